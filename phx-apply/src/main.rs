//! phx-apply: carries out a Phoenix plan (JSON Lines) idempotently.

use clap::Parser;
use phx_apply::{apply, report, Options, Status};
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
    /// Print the report as JSON on stdout instead of text on stderr.
    #[arg(long)]
    json: bool,
    /// Undo one earlier run: restore the files it replaced or removed from
    /// RUN (a directory under /var/lib/phoenix/backups, as the report names it,
    /// or just its name) and remove the files it created. Commands are not undone.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["plan", "check", "diff"])]
    rollback: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    finish("phx-apply", run(&args))
}

fn run(args: &Args) -> Result<u8, Failure> {
    if let Some(run) = &args.rollback {
        let root =
            std::path::absolute(&args.root).map_err(|e| Failure::Usage(format!("--root: {e}")))?;
        let dir = if run.is_absolute() {
            run.clone()
        } else {
            phx_common::fsutil::under_root(&root, "/var/lib/phoenix/backups").join(run)
        };
        let opts = Options {
            root: root.clone(),
            run_commands: false,
            ..Default::default()
        };
        let _lock = phx_apply::lock(&opts)?;
        for line in phx_apply::rollback::rollback(&root, &dir)? {
            eprintln!("{line}");
        }
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
    };
    phx_apply::check_plan(&steps).map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let rep = apply(&steps, &opts)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &rep).map_err(anyhow::Error::from)?;
        writeln!(stdout)?;
    } else {
        for d in rep.outcomes.iter().filter_map(|o| o.diff.as_deref()) {
            stdout.write_all(d.as_bytes())?;
        }
        eprint!("{}", report::text(&rep, args.check));
    }
    if let Some(f) = rep.failed() {
        eprintln!(
            "phx-apply: step {:?} failed; steps before it stay done (see above)",
            f.id
        );
        return Ok(EXIT_FAILED);
    }
    Ok(if args.check && rep.count(Status::Changed) > 0 {
        EXIT_PENDING
    } else {
        EXIT_OK
    })
}
