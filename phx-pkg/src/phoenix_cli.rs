//! A clap model of `scripts/phoenix-cli`, the bash wrapper, so it gets a man
//! page and completions like the Rust tools. The script stays the source of
//! truth: `tests/phoenix_cli_model.rs` compares this model with what
//! `phoenix-cli --help` lists, both ways, so neither can gain a verb or an
//! option the other lacks.

use clap::{Arg, ArgAction, Command};

/// Subsystems `setup` plans.
pub const SETUP: [&str; 3] = ["net", "dns", "fw"];
/// Subsystems `LetsGo` plans.
pub const LETSGO: [&str; 3] = ["lxc", "vm", "ca"];

const ABOUT: &str = "Plan and apply a Proxmox VE host from the Phoenix JSON";

const LONG_ABOUT: &str = "\
Plan and apply a Proxmox VE host from the Phoenix JSON.

phoenix-cli pipes the phx-* tools together: each named subsystem is planned
first (phx-net, phx-dns, phx-fw, phx-lxc, phx-vm, phx-ca), and nothing is
applied if any tool refuses its input; then phx-apply carries the plans out.
setup = net, dns, fw; LetsGo = lxc and vm (one start order over both), then
ca inside the running guests.

The tools are looked for in $PHX_BIN_DIR, in a source checkout (built on
demand), beside the script (/usr/bin when installed from the package), then
on PATH.";

const AFTER_HELP: &str = "\
Examples:
  phoenix-cli setup                                    # the live host
  phoenix-cli check setup --config-dir ./etc           # what would change
  phoenix-cli setup dns                                # only DNS
  phoenix-cli all --config-dir examples/etc --root /tmp/preview --diff

Exit status: 0 done or converged, 1 a step failed, 2 bad input (nothing
was done), 3 --check/check: changes are pending.";

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::SetTrue)
        .help(help)
}

fn valued(name: &'static str, value: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).value_name(value).help(help)
}

/// The options every planning verb takes (the script accepts them anywhere
/// after the verb).
fn run_options(cmd: Command) -> Command {
    cmd.arg(
        valued(
            "config-dir",
            "DIR",
            "The three JSON files (default /usr/local/phoenix_hypervisor/etc)",
        )
        .value_hint(clap::ValueHint::DirPath),
    )
    .arg(
        valued(
            "root",
            "DIR",
            "Act on a tree under DIR instead of / (preview, staging); tools read state there, commands are reported, not run",
        )
        .value_hint(clap::ValueHint::DirPath),
    )
    .arg(flag(
        "run-commands",
        "With --root: run commands too (tests use doubles on PATH)",
    ))
    .arg(flag(
        "check",
        "Change nothing; exit 3 if something would change",
    ))
    .arg(flag("diff", "Print a unified diff of every file that changes"))
    .arg(
        valued(
            "color",
            "WHEN",
            "Colour diffs and the report: auto (on a terminal, unless NO_COLOR is set), always, never",
        )
        .value_parser(["auto", "always", "never"]),
    )
    .arg(
        flag(
            "verbose",
            "Every step (ok and skipped too), each step's time, and the phase headers",
        )
        .short('v'),
    )
    .arg(flag(
        "json",
        "Machine-readable report from phx-apply: one JSON document, {\"setup\": …, \"guests\": …, \"ca\": …}; a phase with nothing to do is null",
    ))
    .arg(
        valued(
            "confirm-timeout",
            "N",
            "Seconds before an unconfirmed bridge/firewall change is rolled back (default 120 on SSH)",
        )
        .value_parser(clap::value_parser!(u64)),
    )
    .arg(flag(
        "strict",
        "Every tool: unknown configuration keys are errors",
    ))
    .arg(flag(
        "allow-lockout",
        "phx-fw: apply rules the lockout guard refuses",
    ))
    .arg(flag(
        "rename-node",
        "phx-net: change the hostname even though the node holds guests or certificates under /etc/pve/nodes/<its name>/",
    ))
    .arg(flag(
        "restart",
        "phx-lxc, phx-vm: restart running guests whose settings changed",
    ))
    .arg(flag(
        "start-all",
        "phx-lxc, phx-vm: start every guest, not only start_at_boot ones",
    ))
    .arg(flag("no-start", "phx-lxc, phx-vm: start no guest"))
}

fn subsystems(values: &[&'static str], help: &'static str) -> Arg {
    Arg::new("subsystem")
        .value_name("SUBSYSTEM")
        .num_args(0..)
        .value_parser(clap::builder::PossibleValuesParser::new(values.to_vec()))
        .help(help)
}

fn verb(
    name: &'static str,
    about: &'static str,
    values: &[&'static str],
    sub_help: &'static str,
) -> Command {
    let cmd = Command::new(name).about(about);
    let cmd = if values.is_empty() {
        cmd
    } else {
        cmd.arg(subsystems(values, sub_help))
    };
    run_options(cmd)
}

/// The whole command line of `phoenix-cli`.
pub fn command() -> Command {
    let all: Vec<&'static str> = SETUP.iter().chain(LETSGO.iter()).copied().collect();
    let mut named: Vec<&'static str> = vec!["setup", "LetsGo", "all"];
    named.extend(&all);
    let graph = phx_graph::cli::command()
        .name("graph")
        .about("Draw the estate (phx-graph): guests by boot order, clones, dependencies, CA trust, Traefik routes, DNS names, firewalls")
        .long_about(None)
        .after_help(None::<&str>)
        .disable_version_flag(true);
    let schema = phx_schema::cli::command()
        .name("schema")
        .about("Print the JSON Schema of a configuration file (phx-schema), for editors: hypervisor, lxc or vm")
        .long_about(None)
        .after_help(None::<&str>)
        .disable_version_flag(true);
    Command::new("phoenix-cli")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .subcommand(verb(
            "setup",
            "Configure the host: net, dns, fw",
            &SETUP,
            "Only these subsystems (default: all of setup's)",
        ))
        .subcommand(verb(
            "LetsGo",
            "Converge the guests: lxc and vm (one start order over both), then ca (Step-CA, root export, trust, Traefik) inside the running guests; prints the root CA's SHA-256 fingerprint",
            &LETSGO,
            "Only these subsystems (default: all of LetsGo's)",
        ))
        .subcommand(verb(
            "all",
            "setup, then LetsGo (LetsGo not started while an automatic rollback is armed: confirm first)",
            &all,
            "Only these subsystems (default: every one)",
        ))
        .subcommand(verb(
            "plan",
            "Print the plan (JSON Lines) that setup/LetsGo would apply",
            &named,
            "setup, LetsGo, all or subsystems (default: setup)",
        ))
        .subcommand(verb(
            "check",
            "Show what would change (unified diffs); exit 3 if anything would",
            &named,
            "setup, LetsGo, all or subsystems (default: setup)",
        ))
        .subcommand(verb(
            "confirm",
            "Keep a network/firewall change made over SSH: disarm the automatic rollback phx-apply armed before the reload",
            &[],
            "",
        ))
        .subcommand(graph)
        .subcommand(schema)
}
