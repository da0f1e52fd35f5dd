//! Carrying out a verb: every chosen planner plans first (one refusal, no
//! change), then phx-apply runs once per phase. Plans are files in a
//! private directory, handed to phx-apply by name; phoenix-cli never edits
//! them (ordering across planners is phx-apply's).

use crate::bins::Bins;
use crate::cli::{ConfirmArgs, RunArgs, Work};
use phx_common::config::Rules;
use phx_common::registry::{self, Phase, Planner, PLANNERS};
use phx_plan::exit::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_PENDING};
use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

mod applying;
mod guests;
mod in_process;
mod inventory;
mod listing;
mod planning;

/// Why phoenix-cli stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The command line is wrong: exit 2, nothing run.
    Usage(String),
    /// A program could not be run, or answered nonsense: exit 1.
    Failed(String),
    /// Already said by the program that stopped: its exit status.
    Exit(u8),
}

impl Stop {
    pub fn code(&self) -> u8 {
        match self {
            Stop::Usage(_) => EXIT_INVALID,
            Stop::Failed(_) => EXIT_FAILED,
            Stop::Exit(code) => *code,
        }
    }
}

pub fn run(work: Work) -> Result<u8, Stop> {
    let bins = Bins::find();
    match work {
        Work::Pass { binary, args } => pass(&bins, binary, args),
        Work::Confirm(a) => confirm(&bins, a),
        Work::Observe(a) => crate::observe::observe(a),
        Work::Guests { action, args } => guests::run(bins, action, args),
        Work::Status(a) => guests::status(bins, a),
        Work::Apply { verb, phases, args } => Run::new(bins, args)?.apply(verb, phases),
        Work::Inspect {
            apply,
            with_run_options,
            args,
        } => Run::new(bins, args)?.inspect(apply, with_run_options),
    }
}

/// graph, schema: the program in phoenix-cli's place, as `exec` would.
fn pass(bins: &Bins, binary: &str, args: &[OsString]) -> Result<u8, Stop> {
    use std::os::unix::process::CommandExt;
    let e = bins.command(binary).args(args).exec();
    Err(Stop::Failed(format!("{binary}: {e}")))
}

fn confirm(bins: &Bins, a: &ConfirmArgs) -> Result<u8, Stop> {
    let mut cmd = bins.command("phx-apply");
    cmd.arg("--confirm");
    if let Some(root) = &a.root {
        cmd.arg("--root").arg(root);
    }
    if a.run_commands {
        cmd.arg("--run-commands");
    }
    status(&mut cmd, "phx-apply")
}

fn status(cmd: &mut Command, name: &str) -> Result<u8, Stop> {
    let s = cmd
        .status()
        .map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    not_interrupted()?;
    Ok(exit_code(s))
}

/// After a program returned: an interrupt caught meanwhile stops the run
/// (signals.rs), whatever the program answered.
fn not_interrupted() -> Result<(), Stop> {
    match crate::signals::caught() {
        Some(code) => {
            eprintln!("phoenix-cli: interrupted; nothing more is run");
            Err(Stop::Exit(code))
        }
        None => Ok(()),
    }
}

fn exit_code(s: std::process::ExitStatus) -> u8 {
    s.code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(EXIT_FAILED)
}

/// The configuration as load_once read it.
struct Loaded {
    inv: std::mem::ManuallyDrop<phx_common::Inventory>,
    took: std::time::Duration,
    rules: Rules,
}

struct Run<'a> {
    bins: Bins,
    args: &'a RunArgs,
    /// --root, made and made absolute.
    root: Option<PathBuf>,
    /// What every planner gets.
    tool_args: Vec<OsString>,
    /// What phx-apply gets on a run.
    apply_args: Vec<OsString>,
    /// A private (0700) directory for the run's plan files, removed when
    /// the run ends.
    scratch: tempfile::TempDir,
    /// Loader warnings already shown: every planner loads the same files and
    /// says the same warnings; the run shows each once.
    warned: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// The configuration read from stdin (`-` in `tool_args`), which
    /// load_once reads.
    stdin: Option<Vec<u8>>,
    /// The configuration, read once (load_once): every planner plans on
    /// it, and the per-guest verbs read it.
    loaded: std::cell::OnceCell<Loaded>,
}

impl<'a> Run<'a> {
    fn new(bins: Bins, args: &'a RunArgs) -> Result<Run<'a>, Stop> {
        let root = match &args.root {
            Some(r) => std::fs::create_dir_all(r)
                .and_then(|_| std::fs::canonicalize(r))
                .map(Some)
                .map_err(|e| Stop::Failed(format!("--root {}: {e}", r.display())))?,
            None => None,
        };
        let mut tool_args: Vec<OsString> = Vec::new();
        if let Some(dir) = &args.config_dir {
            tool_args.extend(["--config-dir".into(), dir.into()]);
        }
        if args.strict {
            tool_args.push("--strict".into());
        }
        if args.allow_rename {
            tool_args.push("--allow-rename".into());
        }
        let stdin = match inventory::source(args.config_dir.as_deref())? {
            inventory::Source::Dir => None,
            inventory::Source::Stdin(bytes) => {
                tool_args.push("-".into());
                Some(bytes)
            }
        };
        let mut apply_args: Vec<OsString> = Vec::new();
        for (set, flag) in [
            (args.run_commands, "--run-commands"),
            (args.check, "--check"),
            (args.diff, "--diff"),
            (args.json, "--json"),
            (args.verbose, "--verbose"),
        ] {
            if set {
                apply_args.push(flag.into());
            }
        }
        if let Some(c) = &args.color {
            apply_args.extend(["--color".into(), c.into()]);
        }
        if let Some(n) = args.confirm_timeout {
            apply_args.extend(["--confirm-timeout".into(), n.to_string().into()]);
        }
        if let Some(r) = &root {
            tool_args.extend(["--state-root".into(), r.into()]);
            apply_args.extend(["--root".into(), r.into()]);
        }
        if let Some(keep) = &args.keep_plans {
            planning::clear_kept(keep)
                .map_err(|e| Stop::Failed(format!("--keep-plans {}: {e}", keep.display())))?;
        }
        let scratch = tempfile::Builder::new()
            .prefix("phoenix-cli.")
            .tempdir()
            .map_err(|e| Stop::Failed(format!("a scratch directory: {e}")))?;
        Ok(Run {
            bins,
            args,
            root,
            tool_args,
            apply_args,
            scratch,
            warned: Default::default(),
            stdin,
            loaded: Default::default(),
        })
    }

    /// The inventory load_once read (load_once first).
    fn inventory(&self) -> &phx_common::Inventory {
        &self.loaded.get().expect("load_once read the inventory").inv
    }

    /// --root, or `/`.
    fn root_or_slash(&self) -> PathBuf {
        self.root.clone().unwrap_or_else(|| PathBuf::from("/"))
    }

    /// The configuration read once, before any planner (inventory.rs): a
    /// mistake in it stops the run here, said once; its warnings are said
    /// here and not again by the planners.
    /// The firewall rules are kept only when one of `planners` plans from
    /// them (phx-fw): at 10,000 guests they are a quarter of the model.
    fn load_once(&self, planners: &[&Planner]) -> Result<(), Stop> {
        if self.loaded.get().is_some() {
            return Ok(());
        }
        let source = match &self.stdin {
            Some(bytes) => inventory::Source::Stdin(bytes.clone()),
            None => inventory::Source::Dir,
        };
        let rules = in_process::rules_for(planners);
        let start = std::time::Instant::now();
        let (warnings, inv) = inventory::load(
            &source,
            self.args.config_dir.as_deref(),
            (self.args.strict, self.args.allow_rename, rules),
            &self.root_or_slash(),
        )?;
        self.warned.borrow_mut().extend(warnings);
        // Kept to the process's exit (freeing it is the exit's job).
        let _ = self.loaded.set(Loaded {
            inv: std::mem::ManuallyDrop::new(inv),
            took: start.elapsed(),
            rules,
        });
        Ok(())
    }

    /// The named subsystems (groups spelled out), or None when none is named.
    fn named(&self) -> Option<Vec<&'static Planner>> {
        if self.args.subsystems.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for name in &self.args.subsystems {
            match registry::group(name) {
                Some(phases) => out.extend(PLANNERS.iter().filter(|p| phases.contains(&p.phase))),
                None => out.extend(registry::planner(name)),
            }
        }
        Some(out)
    }

    /// The planners this run plans, in the registry's order: the named
    /// ones, or every one of `default`'s phases.
    fn chosen(&self, default: &[Phase]) -> Vec<&'static Planner> {
        match self.named() {
            Some(named) => PLANNERS.iter().filter(|p| named.contains(p)).collect(),
            None => PLANNERS
                .iter()
                .filter(|p| default.contains(&p.phase))
                .collect(),
        }
    }

    /// A planner flag for no planner of this run would do nothing: refused.
    fn check_flags(&self, chosen: &[&Planner]) -> Result<(), Stop> {
        for (flag, _) in self.args.tool_flags() {
            let owners: Vec<&Planner> = PLANNERS
                .iter()
                .filter(|p| p.own_flags.contains(&flag))
                .collect();
            if !owners.iter().any(|o| chosen.contains(o)) {
                let bins: Vec<&str> = owners.iter().map(|o| o.binary).collect();
                let subs: Vec<&str> = owners.iter().map(|o| o.subsystem).collect();
                let nor: String = subs[1..].iter().map(|s| format!(", nor {s}")).collect();
                return Err(Stop::Usage(format!(
                    "{flag} is for {}, and {} is not planned in this run{nor}",
                    bins.join(" and "),
                    subs[0]
                )));
            }
        }
        Ok(())
    }

    /// setup, LetsGo, all: plan every phase, then apply phase by phase
    /// (all: LetsGo's phases planned again once setup changed something).
    fn apply(&self, verb: &str, phases: &[Phase]) -> Result<u8, Stop> {
        let chosen = self.chosen(phases);
        if let Some(stray) = chosen.iter().find(|p| !phases.contains(&p.phase)) {
            let runs: Vec<&str> = PLANNERS
                .iter()
                .filter(|p| phases.contains(&p.phase))
                .map(|p| p.subsystem)
                .collect();
            return Err(Stop::Usage(format!(
                "'{}' does not belong to {verb} (it runs: {}); use 'all' for both",
                stray.subsystem,
                runs.join(" ")
            )));
        }
        self.check_flags(&chosen)?;
        self.load_once(&chosen)?;
        let of = |phase: Phase| -> Vec<&Planner> {
            chosen
                .iter()
                .copied()
                .filter(|p| p.phase == phase)
                .collect()
        };
        let in_group = |group: &str| -> Vec<&str> {
            chosen
                .iter()
                .filter(|p| p.phase.group() == group)
                .map(|p| p.subsystem)
                .collect()
        };
        let mut plans = Vec::new();
        let mut said = None;
        for &phase in phases {
            if said != Some(phase.group()) {
                said = Some(phase.group());
                let subs = in_group(phase.group());
                if self.args.verbose && !subs.is_empty() {
                    eprintln!("phoenix-cli: {}: {}", phase.group(), subs.join(" "));
                }
            }
            plans.push(self.plan(phase.key(), &of(phase))?);
        }
        let mut reports: Vec<Option<Value>> = vec![None; phases.len()];
        let mut rc = EXIT_OK;
        // Whether a phase of an earlier group changed something in this run.
        let mut earlier_group_changed = false;
        for (i, &phase) in phases.iter().enumerate() {
            let later_group = phase.group() != phases[0].group();
            let group_starts = later_group && phases[i - 1].group() != phase.group();
            if group_starts && !in_group(phase.group()).is_empty() && self.rollback_armed() {
                eprintln!(
                    "phoenix-cli: an automatic rollback is armed (a network or firewall change over SSH), so {0} was not started: check that you still reach the host, run 'phoenix-cli confirm', then 'phoenix-cli {0}'",
                    phase.group()
                );
                self.print_json(phases, &reports);
                return Ok(EXIT_FAILED);
            }
            // all: LetsGo was planned before setup changed the host (every
            // phase plans first, so a refusal leaves the host untouched);
            // planned again now, against the host setup made — a template
            // or image setup fetched, a storage it added — so one run does
            // what a second one would.
            if later_group && earlier_group_changed && !self.args.check {
                self.plan_again(phase, &mut plans[i], &of(phase))?;
            }
            let applied = self.apply_phase(phase, &plans[i], !later_group)?;
            earlier_group_changed |= !later_group && applied.changed;
            let code = applied.code;
            reports[i] = applied.report;
            if code != EXIT_OK {
                rc = code;
            }
            if code != EXIT_OK && code != EXIT_PENDING {
                self.print_json(phases, &reports);
                return Ok(code);
            }
        }
        self.print_json(phases, &reports);
        if rc == EXIT_OK && !self.args.check {
            self.after_run(&chosen);
        }
        Ok(rc)
    }

    /// Whether phx-apply has an automatic rollback armed (one file per run
    /// in armed/, or the one file versions before 0.3 kept): `all` then
    /// stops before its second group, for the operator to see the host is
    /// still reachable and confirm. A --check arms nothing, so it goes on.
    fn rollback_armed(&self) -> bool {
        if self.args.check {
            return false;
        }
        let state = self
            .root
            .as_deref()
            .unwrap_or(Path::new("/"))
            .join("var/lib/phoenix");
        // Unreadable counts as armed: stopping before LetsGo is the safe side.
        phx_plan::armed::armed_runs(&state).map_or(true, |runs| !runs.is_empty())
    }

    /// --json: one document, each phase's report or null when the phase
    /// planned nothing or was not reached.
    fn print_json(&self, phases: &[Phase], reports: &[Option<Value>]) {
        if !self.args.json {
            return;
        }
        let parts: Vec<String> = phases
            .iter()
            .zip(reports)
            .map(|(phase, r)| {
                format!(
                    "{}: {}",
                    Value::from(phase.key()),
                    r.as_ref().unwrap_or(&Value::Null)
                )
            })
            .collect();
        println!("{{{}}}", parts.join(", "));
    }

    /// What planners say once their plan ran (registry `after_run`: the
    /// root CA's fingerprint); nothing when there is nothing yet (a preview
    /// without --run-commands made no root).
    fn after_run(&self, chosen: &[&Planner]) {
        for p in chosen {
            let (Some(after), Some(lib)) = (p.after_run, in_process::library(p.binary)) else {
                continue;
            };
            let argv = self.argv(p, &[], &[]);
            if let Some(said) = (lib.after_run)(self.inventory(), &argv) {
                eprintln!("phoenix-cli: {}: {said}", after.label);
            }
        }
    }

    /// plan, check: every chosen planner (default: setup's), then one
    /// phx-apply with `apply`'s flags (and the run's, `with_run_options`).
    fn inspect(&self, apply: &[&str], with_run_options: bool) -> Result<u8, Stop> {
        let setup = registry::group("setup").expect("the setup group");
        let chosen = self.chosen(setup);
        self.check_flags(&chosen)?;
        self.load_once(&chosen)?;
        if with_run_options {
            self.list_before_check(&chosen)?;
        }
        let plans = self.plan("plan", &chosen)?;
        let mut cmd = self.bins.command("phx-apply");
        cmd.args(apply);
        if with_run_options {
            let given = |a: &OsString| apply.iter().any(|f| OsStr::new(f) == a);
            cmd.args(self.apply_args.iter().filter(|a| !given(a)));
        }
        status(cmd.args(plans), "phx-apply")
    }
}
