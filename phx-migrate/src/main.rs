//! phx-migrate: Phoenix files from the original system's.

use clap::Parser;
use phx_common::cli::{finish, warn, Failure};
use phx_migrate::cli::Args;
use phx_migrate::write::{self, Outcome};
use phx_plan::exit::EXIT_OK;

const TOOL: &str = "phx-migrate";

fn refuse(lines: Vec<String>) -> Failure {
    let n = lines.len();
    let mut text = lines.join(&format!("\n{TOOL}: "));
    text.push_str(&format!("\n{TOOL}: {n} problem(s); nothing was written"));
    Failure::Usage(text)
}

fn run(args: Args) -> Result<u8, Failure> {
    let m = phx_migrate::migrate(&args.from_original).map_err(refuse)?;
    eprintln!("{TOOL}: {}: {}", m.from.display(), m.layout.describe());
    for c in &m.changes {
        eprintln!("{TOOL}: {c}");
    }
    let warnings = write::check_loads(&args.out, &m.files).map_err(refuse)?;
    warn(TOOL, &warnings);
    let scripts: Vec<(&str, String)> = m
        .scripts
        .found
        .iter()
        .map(|(name, text)| (name.as_str(), text.clone()))
        .collect();
    let mut conflicts = write::conflicts(&args.out, &m.files);
    conflicts.extend(write::conflicts(&args.out, &scripts));
    if !conflicts.is_empty() {
        return Err(refuse(conflicts));
    }
    let outcomes = write::write_all(&args.out, &m.files, None)?;
    say(&args.out, &m.files, outcomes);
    let outcomes = write::write_all(&args.out, &scripts, Some(0o755))?;
    say(&args.out, &scripts, outcomes);
    warn(TOOL, &m.scripts.missing);
    Ok(EXIT_OK)
}

fn say(out: &std::path::Path, files: &[(&str, String)], outcomes: Vec<Outcome>) {
    for ((name, _), o) in files.iter().zip(outcomes) {
        let what = match o {
            Outcome::Written => "written",
            Outcome::Identical => "identical, left alone",
        };
        eprintln!("{TOOL}: {}: {what}", out.join(name).display());
    }
}

fn main() -> std::process::ExitCode {
    finish(TOOL, run(Args::parse()))
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
