//! phoenix-cli's command line: the one definition of its interface (the man
//! page and completions are generated from it by phx-pkg). Verbs are an
//! enum; what each does is data (`Verb::work`), so a new verb is a variant
//! and, when it runs a program or a phase, a registry entry.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use phx_common::guests::Action;
use phx_common::registry::{self, Phase, GROUPS, PLANNERS};
use std::ffi::OsString;
use std::path::PathBuf;

const LONG_ABOUT: &str = "\
Plan and apply a Proxmox VE host from the Phoenix JSON.

phoenix-cli plans with the phx-* planners of each phase, in its own process
on one load of the configuration: every named subsystem is planned first
(phx-net, phx-storage, phx-dns, phx-fw, phx-gpu, phx-lxc, phx-vm,
phx-features, phx-ca), and nothing is applied if any planner refuses its
input; then phx-apply carries the plans out, one run per phase. setup =
net, storage, dns, fw, gpu; LetsGo = lxc and vm (one start order over
both), then features and ca inside the running guests.

phx-apply (and the programs of graph, schema, verify, migrate) is looked
for in $PHX_BIN_DIR, beside phoenix-cli (/usr/bin when installed from the
package, target/release in a checkout), then on PATH; a plan's guard that
calls its planner back (phx-dns, phx-gpu) names the planner's program found
there.";

const AFTER_HELP: &str = "\
Examples:
  phoenix-cli setup                                    # the live host
  phoenix-cli check setup --config-dir ./etc           # what would change
  phoenix-cli setup dns                                # only DNS
  phoenix-cli all --config-dir examples/etc --root /tmp/preview --diff

Exit status: 0 done or converged, 1 a step failed, 2 bad input (nothing
was done), 3 --check/check: changes are pending.";

/// Plan and apply a Proxmox VE host from the Phoenix JSON
#[derive(Parser, Debug)]
#[command(
    name = "phoenix-cli",
    version,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    subcommand_required = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Subcommand, Debug)]
pub enum Verb {
    /// Configure the host: net, storage, dns, fw, gpu
    Setup(RunArgs),
    /// Converge the guests: lxc and vm (one start order over both), then ca (Step-CA, root export, trust, Traefik) inside the running guests; prints the root CA's SHA-256 fingerprint
    #[command(name = "LetsGo")]
    LetsGo(RunArgs),
    /// setup, then LetsGo (LetsGo not started while an automatic rollback is armed: confirm first); LetsGo is planned again after setup changed the host
    All(RunArgs),
    /// Print the plan (JSON Lines) that setup/LetsGo would apply (subsystems: setup, LetsGo, all or names; default: setup)
    Plan(RunArgs),
    /// Show what would change (unified diffs); exit 3 if anything would (subsystems as for plan)
    Check(RunArgs),
    /// Copy what the guest planners read of this node (/etc/pve's guest confs, firewall files, storage.cfg; never /etc/pve/priv; conf lines that may hold a secret left out and named) and record `pct list`/`qm list` and the /dev/nvidia* nodes into DIR (private, complete or not made), read-only; `--root DIR` then previews LetsGo for this node anywhere
    Observe(ObserveArgs),
    /// Converge these guests (CTID or VMID) and nothing else, except what they need first (clone sources and dependencies, transitively: made when missing, started as their entries say; their settings' drift is left alone)
    Converge(GuestArgs),
    /// Start these guests (and what they need first, when it exists and its entry starts it)
    Start(GuestArgs),
    /// Shut these guests down (forced after 60 s)
    Stop(GuestArgs),
    /// Reboot these guests when running, else start them
    Restart(GuestArgs),
    /// Stop, then destroy these guests with their disks (needs --yes); refused while another configured guest depends on or clones from one
    Delete(GuestArgs),
    /// One line per guest (or the IDs given): state (running, stopped, template, missing; unknown offline), drift (what a converge of lxc and vm would change; not the software inside), addresses; --json for one document
    Status(StatusArgs),
    /// Keep a network/firewall change made over SSH: disarm the automatic rollback phx-apply armed before the reload
    Confirm(ConfirmArgs),
    /// Draw the estate (phx-graph): guests by boot order, clones, dependencies, CA trust, Traefik routes, DNS names, firewalls
    #[command(disable_help_flag = true)]
    Graph(PassArgs),
    /// Print the JSON Schema of a configuration file (phx-schema), for editors: hypervisor, lxc or vm
    #[command(disable_help_flag = true)]
    Schema(PassArgs),
    /// Check the live estate, read-only (phx-verify): DNS answers, the CA's health, every route's certificate, the root in trusting guests, declared flows, GPU drivers and model servers; exit 1 naming each failure
    #[command(disable_help_flag = true)]
    Verify(PassArgs),
    /// Phoenix files from the original system's (phx-migrate --from-original DIR OUT), each addition listed with its source
    #[command(disable_help_flag = true)]
    Migrate(PassArgs),
}

/// What a verb does.
pub enum Work<'a> {
    /// Plan the phases' subsystems, then apply phase by phase.
    Apply {
        verb: &'static str,
        phases: &'static [Phase],
        args: &'a RunArgs,
    },
    /// Plan the subsystems, then hand the plans to phx-apply with `apply`'s
    /// flags instead of the run's (`--print-plan`, or `--check --diff`).
    Inspect {
        apply: &'static [&'static str],
        with_run_options: bool,
        args: &'a RunArgs,
    },
    Confirm(&'a ConfirmArgs),
    Observe(&'a ObserveArgs),
    /// A per-guest verb: the guest tools with `--guest ID… --action`.
    Guests {
        action: Action,
        args: &'a GuestArgs,
    },
    Status(&'a StatusArgs),
    /// Run a program with the arguments as they are.
    Pass {
        binary: &'static str,
        args: &'a [OsString],
    },
}

impl Verb {
    pub fn work<'s>(&'s self) -> Work<'s> {
        let apply = |verb: &'static str, args| Work::Apply {
            verb,
            phases: registry::group(verb).expect("a group of the registry"),
            args,
        };
        let pass = |verb: &str, args: &'s PassArgs| Work::Pass {
            binary: registry::program_of_verb(verb)
                .expect("a program of the registry")
                .binary,
            args: &args.args,
        };
        let guests = |action, args| Work::Guests { action, args };
        match self {
            Verb::Setup(a) => apply("setup", a),
            Verb::LetsGo(a) => apply("LetsGo", a),
            Verb::All(a) => apply("all", a),
            Verb::Plan(a) => Work::Inspect {
                apply: &["--print-plan"],
                with_run_options: false,
                args: a,
            },
            Verb::Check(a) => Work::Inspect {
                apply: &["--check", "--diff"],
                with_run_options: true,
                args: a,
            },
            Verb::Confirm(a) => Work::Confirm(a),
            Verb::Observe(a) => Work::Observe(a),
            Verb::Converge(a) => guests(Action::Converge, a),
            Verb::Start(a) => guests(Action::Start, a),
            Verb::Stop(a) => guests(Action::Stop, a),
            Verb::Restart(a) => guests(Action::Restart, a),
            Verb::Delete(a) => guests(Action::Delete, a),
            Verb::Status(a) => Work::Status(a),
            Verb::Graph(a) => pass("graph", a),
            Verb::Schema(a) => pass("schema", a),
            Verb::Verify(a) => pass("verify", a),
            Verb::Migrate(a) => pass("migrate", a),
        }
    }
}

/// The options the planning verbs and the per-guest verbs share.
#[derive(Args, Debug, Clone, Default)]
pub struct Common {
    /// The three JSON files (default /usr/local/phoenix_hypervisor/etc)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub config_dir: Option<PathBuf>,
    /// Act on a tree under DIR instead of / (preview, staging); tools read state there, commands are reported, not run
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,
    /// With --root: run commands too (tests use doubles on PATH)
    #[arg(long)]
    pub run_commands: bool,
    /// Change nothing; exit 3 if something would change
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of every file that changes
    #[arg(long)]
    pub diff: bool,
    /// Machine-readable report from phx-apply: one JSON document, {"setup": …, "guests": …, "ca": …}; a phase with nothing to do is null
    #[arg(long)]
    pub json: bool,
    /// Colour diffs and the report: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_name = "WHEN", value_parser = Names::colors())]
    pub color: Option<String>,
    /// Every step (ok and skipped too), each step's time, and which tools each phase runs; by default a converged run prints one recap line per subsystem
    #[arg(short, long)]
    pub verbose: bool,
    /// Every tool: unknown configuration keys are errors
    #[arg(long)]
    pub strict: bool,
    /// Every tool: take the default CT<id>/VM<id> (DHCP) for a live guest whose entry has no name (no ip); default: keep its live name (address) everywhere, DNS and firewall included, and warn
    #[arg(long)]
    pub allow_rename: bool,
    /// phx-lxc, phx-vm: restart running guests whose settings changed
    #[arg(long)]
    pub restart: bool,
}

/// The options of every planning verb.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Only these subsystems, or setup, LetsGo, all (default: all of the verb's; plan and check: setup)
    #[arg(value_name = "SUBSYSTEM", value_parser = Names::subsystems())]
    pub subsystems: Vec<String>,
    #[command(flatten)]
    pub common: Common,
    /// Seconds before an unconfirmed bridge/firewall change is rolled back (default 120 on SSH)
    #[arg(long, value_name = "N")]
    pub confirm_timeout: Option<u64>,
    /// phx-fw: apply rules the lockout guard refuses
    #[arg(long)]
    pub allow_lockout: bool,
    /// phx-fw: plan although the flow NAME (as `phoenix-cli check` lists it, e.g. traefik->ca:acme) is blocked; warned about on every run (repeatable)
    #[arg(long, value_name = "NAME")]
    pub allow_blocked_flow: Vec<String>,
    /// phx-net: change the hostname even though the node holds guests or certificates under /etc/pve/nodes/<its name>/
    #[arg(long)]
    pub rename_node: bool,
    /// phx-lxc, phx-vm: start every guest, not only start_at_boot ones
    #[arg(long)]
    pub start_all: bool,
    /// phx-lxc, phx-vm: start no guest
    #[arg(long)]
    pub no_start: bool,
    /// phx-storage: erase this disk (wipefs -a) before creating the pool it belongs to (repeatable)
    #[arg(long, value_name = "DISK")]
    pub wipe_disks: Vec<String>,
    /// Keep each planner's plan in DIR, as PHASE/N-SUBSYSTEM.jsonl: the JSON Lines its own binary prints (phx-apply runs them later; all: LetsGo's as planned again after setup, under PHASE-again)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub keep_plans: Option<PathBuf>,
    /// The per-guest verbs' guests and action, passed as --guest/--action.
    #[arg(skip)]
    pub guests: Option<(Vec<u32>, Action)>,
}

// The shared options read as the verb's own (`args.root`), as the model's
// guests read their common part.
impl std::ops::Deref for RunArgs {
    type Target = Common;
    fn deref(&self) -> &Common {
        &self.common
    }
}

impl std::ops::Deref for GuestArgs {
    type Target = Common;
    fn deref(&self) -> &Common {
        &self.common
    }
}

impl RunArgs {
    /// The planners' own flags given (registry `own_flags`): each flag's
    /// name and the arguments that pass it on (a valued flag once per value).
    pub fn tool_flags(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut given: Vec<(&'static str, Vec<String>)> = [
            (self.allow_lockout, "--allow-lockout"),
            (self.rename_node, "--rename-node"),
            (self.restart, "--restart"),
            (self.start_all, "--start-all"),
            (self.no_start, "--no-start"),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, flag)| (flag, vec![flag.to_string()]))
        .collect();
        if let Some((ids, action)) = &self.guests {
            let argv = ids
                .iter()
                .flat_map(|id| ["--guest".to_string(), id.to_string()]);
            given.push(("--guest", argv.collect()));
            given.push((
                "--action",
                vec!["--action".to_string(), action.name().to_string()],
            ));
        }
        let valued = [
            ("--allow-blocked-flow", &self.allow_blocked_flow),
            ("--wipe-disks", &self.wipe_disks),
        ];
        for (flag, values) in valued {
            if !values.is_empty() {
                let argv = values
                    .iter()
                    .flat_map(|v| [flag.to_string(), v.clone()])
                    .collect();
                given.push((flag, argv));
            }
        }
        given
    }

    /// The arguments passing on those of the given flags that were given.
    pub fn flags_for(&self, own: &[&str]) -> Vec<String> {
        self.tool_flags()
            .into_iter()
            .filter(|(f, _)| own.contains(f))
            .flat_map(|(_, argv)| argv)
            .collect()
    }
}

#[derive(Args, Debug, Clone)]
pub struct ConfirmArgs {
    /// The tree phx-apply acted on, if not /
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,
    /// With --root: run commands too (tests use doubles on PATH)
    #[arg(long)]
    pub run_commands: bool,
}

/// The per-guest verbs' arguments.
#[derive(Args, Debug, Clone)]
pub struct GuestArgs {
    /// CTIDs and VMIDs, as the configuration's keys and vmid fields name them
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<u32>,
    #[command(flatten)]
    pub common: Common,
    /// delete: yes, destroy them and their disks
    #[arg(long)]
    pub yes: bool,
}

/// `status`'s arguments.
#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// Only these guests (default: every guest of the configuration)
    #[arg(value_name = "ID")]
    pub ids: Vec<u32>,
    /// The three JSON files (default /usr/local/phoenix_hypervisor/etc)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub config_dir: Option<PathBuf>,
    /// Read the state under DIR instead of / (a copy made by observe)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,
    /// One JSON document: an array of {id, kind, name, state, drift, addresses}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ObserveArgs {
    /// Where the copy and its record (DIR/var/lib/phoenix/observed.json) go: a new or empty directory, or an earlier observation (replaced whole)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: PathBuf,
    /// Observe a tree under DIR instead of / (its pct/qm run with PHX_ROOT=DIR: the test doubles)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub root: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct PassArgs {
    /// The program's own arguments (its --help says which)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARG"
    )]
    pub args: Vec<OsString>,
}

/// A value among fixed names, refused with a sentence naming them all
/// (completions offer them).
#[derive(Clone)]
struct Names {
    names: Vec<&'static str>,
    refusal: fn(&str) -> String,
}

impl Names {
    fn subsystems() -> Names {
        let names = PLANNERS
            .iter()
            .map(|p| p.subsystem)
            .chain(GROUPS.iter().map(|(g, _)| *g))
            .collect();
        Names {
            names,
            refusal: |v| {
                let valid: Vec<&str> = PLANNERS.iter().map(|p| p.subsystem).collect();
                let groups: Vec<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
                format!(
                    "unknown subsystem '{v}': valid names are {} (or {})",
                    valid.join(" "),
                    groups.join(", ")
                )
            },
        }
    }

    fn colors() -> Names {
        Names {
            names: vec!["auto", "always", "never"],
            refusal: |_| "--color needs auto, always or never".to_string(),
        }
    }
}

impl TypedValueParser for Names {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let v = value.to_string_lossy();
        if self.names.iter().any(|n| *n == v) {
            Ok(v.into_owned())
        } else {
            Err(
                clap::Error::raw(ErrorKind::InvalidValue, format!("{}\n", (self.refusal)(&v)))
                    .with_cmd(cmd),
            )
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(PossibleValue::new)))
    }
}

/// The command line phoenix-cli parses, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}
