//! phx-apply: carries out a Phoenix plan (JSON Lines) idempotently.

use clap::Parser;
use phx_apply::color::ColorChoice;
use phx_apply::{apply_observed, progress::Live, Options};
use phx_common::cli::{finish, Failure, EXIT_FAILED, EXIT_OK, EXIT_PENDING};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Carry out a Phoenix plan: write files atomically, run commands and the
/// handlers they notify. Unchanged files are not rewritten, so a converged
/// host sees zero writes and zero restarts.
///
/// Examples:
///   phx-net --config-dir etc | phx-apply --check --diff     # what would change
///   { phx-net; phx-dns; } --config-dir etc | phx-apply      # do it
///   phx-dns etc/*.json | phx-apply --root /tmp/preview      # stage into a tree
///
/// Exit status: 0 done (with --check: nothing to change), 1 a step failed,
/// 2 bad plan or usage, 3 --check found pending changes.
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// The plan (JSON Lines); `-` or nothing reads stdin.
    plan: Option<PathBuf>,
    /// Map every path under DIR (previews, staging, tests). Commands and
    /// handlers are reported, not run, unless --run-commands is given.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Under --root, run command and handler steps too (tests put doubles on PATH).
    #[arg(long)]
    run_commands: bool,
    /// Change nothing; exit 3 when something would change, 0 when converged.
    /// Guards still run (they only read). Under --root without --run-commands,
    /// commands are not evaluated and do not count.
    #[arg(long)]
    check: bool,
    /// Print a unified diff of every file that changes (secrets as <secret>).
    #[arg(long)]
    diff: bool,
    /// Print the report as JSON on stdout (diffs inside it); the step lines
    /// and recap still go to stderr, without a spinner.
    #[arg(long)]
    json: bool,
    /// Undo one earlier run: restore the files it replaced or removed from
    /// RUN (a directory under /var/lib/phoenix/backups, as the report names it,
    /// or just its name), remove the files it created, then re-run the
    /// handlers it ran. Refused, with nothing restored, unless the backup
    /// verifies against its manifest. Commands are not undone.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["plan", "check", "diff", "confirm"])]
    rollback: Option<PathBuf>,
    /// Disarm the automatic rollback a lockout-prone change armed: the
    /// operator still reaches the host, the change stays.
    #[arg(long, conflicts_with_all = ["plan", "check", "diff"])]
    confirm: bool,
    /// Before a lockout-prone handler (bridge reload, firewall restart), arm
    /// an automatic rollback N seconds out. Default: 120 when on SSH
    /// ($SSH_CLIENT or $SSH_CONNECTION set), else none.
    #[arg(long, value_name = "N")]
    confirm_timeout: Option<u64>,
    /// Keep the backup directories of the last N runs; older ones are removed.
    #[arg(long, value_name = "N", default_value_t = phx_apply::DEFAULT_KEEP_BACKUPS)]
    keep_backups: usize,
    /// Show every step (ok and skipped ones too) and how long each took;
    /// by default a converged run prints only one recap line per subsystem.
    #[arg(short, long)]
    verbose: bool,
    /// Colour diffs and the report: auto (on a terminal, unless NO_COLOR is
    /// set and not empty), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Seconds an operator has to confirm a lockout-prone change made over SSH.
const DEFAULT_CONFIRM_TIMEOUT: u64 = 120;

fn main() -> ExitCode {
    let args = Args::parse();
    finish("phx-apply", run(&args))
}

/// The backup directory `--rollback RUN` names: a run id, or a path to one,
/// and in either case a directory right inside the backups directory (under
/// `--root`, resolved inside it). Anything else is refused: a rollback
/// restores whatever a directory holds.
fn backup_of_run(opts: &Options, run: &std::path::Path) -> Result<PathBuf, Failure> {
    let backups = opts.state_dir()?.join("backups");
    let refuse = || {
        Failure::Usage(format!(
            "--rollback {}: not a run's backup; name a directory in {} (as the report does) or its name",
            run.display(),
            backups.display()
        ))
    };
    let name = run.file_name().ok_or_else(refuse)?;
    if !phx_apply::backup::is_run_id(&name.to_string_lossy()) {
        return Err(refuse());
    }
    if run.components().count() > 1 {
        let parent = run.parent().ok_or_else(refuse)?;
        let same = |a: &std::path::Path, b: &std::path::Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
        if !same(parent, &backups) {
            return Err(refuse());
        }
    }
    let dir = backups.join(name);
    if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(refuse());
    }
    Ok(dir)
}

fn run(args: &Args) -> Result<u8, Failure> {
    if let Some(run) = &args.rollback {
        let root =
            std::path::absolute(&args.root).map_err(|e| Failure::Usage(format!("--root: {e}")))?;
        let opts = Options {
            root: root.clone(),
            run_commands: args.run_commands,
            ..Default::default()
        };
        let dir = backup_of_run(&opts, run)?;
        let _lock = phx_apply::lock(&opts)?;
        for line in phx_apply::rollback::rollback_and_rerun(&opts, &dir)? {
            eprintln!("{line}");
        }
        return Ok(EXIT_OK);
    }
    if args.confirm {
        let opts = Options {
            root: std::path::absolute(&args.root)
                .map_err(|e| Failure::Usage(format!("--root: {e}")))?,
            run_commands: args.run_commands,
            ..Default::default()
        };
        eprintln!("{}", phx_apply::confirm::confirm(&opts)?);
        return Ok(EXIT_OK);
    }
    let steps = match args.plan.as_ref().filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| Failure::Usage(format!("cannot read plan {}: {e}", p.display())))?;
            phx_common::plan::read_jsonl(BufReader::new(f))
        }
        None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            return Err(Failure::Usage(
                "no plan: pipe one in (phx-net | phx-apply) or name a file; see --help".into(),
            ));
        }
        None => phx_common::plan::read_jsonl(std::io::stdin().lock()),
    }
    .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let root =
        std::path::absolute(&args.root).map_err(|e| Failure::Usage(format!("--root: {e}")))?;
    let opts = Options {
        root,
        run_commands: args.run_commands,
        check: args.check,
        diff: args.diff,
        path: None,
        keep_backups: args.keep_backups,
        confirm_timeout: args.confirm_timeout.or_else(|| {
            ["SSH_CLIENT", "SSH_CONNECTION"]
                .iter()
                .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
                .then_some(DEFAULT_CONFIRM_TIMEOUT)
        }),
        self_exe: std::env::current_exe().ok(),
    };
    phx_apply::check_plan(&steps)
        .and_then(|_| phx_apply::check_targets(&steps, &opts))
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let mut live = Live::new(args.check, args.verbose, args.json, args.color);
    let rep = apply_observed(&steps, &opts, &mut live)?;
    live.finish(&rep);
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &rep).map_err(anyhow::Error::from)?;
        writeln!(stdout)?;
    }
    if let Some(f) = rep.failed() {
        eprintln!(
            "phx-apply: step {:?} failed; steps before it stay done (see above)",
            f.id
        );
        return Ok(EXIT_FAILED);
    }
    Ok(if args.check && rep.pending() {
        EXIT_PENDING
    } else {
        EXIT_OK
    })
}
