//! phx-apply: carries out a Phoenix plan (JSON Lines) idempotently.

use clap::Parser;
use failure::{finish, Failure};
use phx_apply::cli::Args;
use phx_apply::plans::Source;
use phx_apply::{apply_checked, progress::Live, Options};
use phx_plan::exit::{EXIT_FAILED, EXIT_OK, EXIT_PENDING};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod failure;

/// Seconds an operator has to confirm a lockout-prone change made over SSH.
const DEFAULT_CONFIRM_TIMEOUT: u64 = 120;

fn main() -> ExitCode {
    let args = Args::parse();
    finish(run(&args))
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

/// Every plan named (stdin when none, or `-`), read whole and ordered
/// before anything is done: one cut plan, and nothing runs.
fn read_plans(paths: &[PathBuf]) -> Result<Vec<phx_plan::Step>, Failure> {
    let stdin_is_terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut sources: Vec<Source<Box<dyn std::io::BufRead>>> = Vec::new();
    let from_stdin = |sources: &mut Vec<_>| {
        if stdin_is_terminal {
            return Err(Failure::Usage(
                "no plan: pipe one in (phx-net | phx-apply) or name a file; see --help".into(),
            ));
        }
        sources.push(Source {
            name: "stdin".into(),
            input: Box::new(std::io::stdin().lock()) as Box<dyn std::io::BufRead>,
        });
        Ok(())
    };
    if paths.is_empty() {
        from_stdin(&mut sources)?;
    }
    for p in paths {
        if p.as_os_str() == "-" {
            from_stdin(&mut sources)?;
            continue;
        }
        let f = std::fs::File::open(p)
            .map_err(|e| Failure::Usage(format!("cannot read plan {}: {e}", p.display())))?;
        sources.push(Source {
            name: format!("plan {}", p.display()),
            input: Box::new(BufReader::new(f)),
        });
    }
    phx_apply::plans::read_plans(sources).map_err(|e| Failure::Usage(format!("{e:#}")))
}

fn run(args: &Args) -> Result<u8, Failure> {
    if let Some(run) = &args.rollback {
        let root =
            std::path::absolute(&args.root).map_err(|e| Failure::Usage(format!("--root: {e}")))?;
        let opts = Options {
            root: root.clone(),
            run_commands: args.run_commands,
            command_timeout: Duration::from_secs(args.command_timeout),
            agent_wait: Duration::from_secs(args.agent_wait),
            lock_wait: Duration::from_secs(args.lock_wait),
            ..Default::default()
        };
        let dir = backup_of_run(&opts, run)?;
        let _lock = phx_apply::lock_waiting(&opts, opts.lock_wait)?;
        let run_id = dir.file_name().unwrap_or_default().to_string_lossy();
        if args.if_armed && !phx_apply::confirm::is_armed(&opts, &run_id)? {
            eprintln!("run {run_id} was confirmed (not armed any more); nothing rolled back");
            return Ok(EXIT_OK);
        }
        let done = phx_apply::rollback::rollback_and_rerun(&opts, &dir)?;
        for line in &done.lines {
            eprintln!("{line}");
        }
        return Ok(if done.kept.is_empty() {
            EXIT_OK
        } else {
            eprintln!(
                "phx-apply: rolled back, except {} changed since run {run_id} wrote them (see above)",
                done.kept.join(", ")
            );
            EXIT_FAILED
        });
    }
    if args.confirm {
        let opts = Options {
            root: std::path::absolute(&args.root)
                .map_err(|e| Failure::Usage(format!("--root: {e}")))?,
            run_commands: args.run_commands,
            command_timeout: Duration::from_secs(args.command_timeout),
            agent_wait: Duration::from_secs(args.agent_wait),
            ..Default::default()
        };
        eprintln!("{}", phx_apply::confirm::confirm(&opts)?);
        return Ok(EXIT_OK);
    }
    let steps = read_plans(&args.plans)?;
    if args.print_plan {
        let plan = phx_plan::Plan {
            tool: "phx-apply".into(),
            steps,
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        return match plan.write_jsonl(&mut out).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(EXIT_OK),
        };
    }
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
        command_timeout: Duration::from_secs(args.command_timeout),
        agent_wait: Duration::from_secs(args.agent_wait),
        lock_wait: Duration::from_secs(args.lock_wait),
    };
    let checked = phx_apply::check(&steps, &opts).map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let mut live = Live::new(args.check, args.verbose, args.json, args.color);
    let rep = apply_checked(checked, &opts, &mut live)?;
    live.finish(&rep);
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &rep).map_err(anyhow::Error::from)?;
        writeln!(stdout)?;
    }
    if let Some(file) = &args.report_to {
        let json = serde_json::to_vec(&rep).map_err(anyhow::Error::from)?;
        std::fs::write(file, json)
            .map_err(|e| anyhow::anyhow!("--report-to {}: {e}", file.display()))?;
    }
    let code = if let Some(f) = rep.failed() {
        eprintln!(
            "phx-apply: step {:?} failed; steps before it stay done (see above)",
            f.id
        );
        EXIT_FAILED
    } else if args.check && rep.pending() {
        EXIT_PENDING
    } else {
        EXIT_OK
    };
    // The process ends here: freeing a 26,000-step plan and its report
    // piece by piece took a fifth of a check's time; the kernel takes the
    // memory back whole.
    std::mem::forget(rep);
    std::mem::forget(steps);
    Ok(code)
}
