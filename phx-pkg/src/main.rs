//! phx-gen-docs: writes the man pages and shell completions of every program
//! the package ships, generated from their clap definitions.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Write the man pages (section 1, and section 5 from docs/) and bash, zsh and fish completions of
/// every Phoenix program, laid out as under /usr/share.
///
/// Generated from the clap definitions the binaries parse, so they cannot
/// drift from them. scripts/build-deb runs it before `cargo deb`.
#[derive(Parser)]
#[command(
    name = "phx-gen-docs",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-gen-docs --out target/phx-pkg/share     # then: man -l target/phx-pkg/share/man/man1/phx-fw.1
  phx-gen-docs --programs                     # what the package installs in /usr/bin
  phx-gen-docs --planners                     # the planners, in the registry's order (scripts/bench, compare-plans)

Exit status: 0 written, 1 a file could not be written, 2 usage."
)]
struct Args {
    /// Directory to write into, standing for /usr/share (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["programs", "planners", "config_keys"])]
    out: Option<PathBuf>,
    /// Print the programs the package ships, one per line, and write nothing.
    #[arg(long)]
    programs: bool,
    /// Print the planners' binaries, in the registry's order, one per line,
    /// and write nothing (for scripts that run every planner).
    #[arg(long, conflicts_with_all = ["programs", "config_keys"])]
    planners: bool,
    /// Print the "Every key" section of docs/configuration.md, generated
    /// from the loader's declarations, and write nothing.
    #[arg(long, conflicts_with = "programs")]
    config_keys: bool,
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    if args.programs {
        for cmd in phx_pkg::commands() {
            println!("{}", cmd.get_name());
        }
        return ExitCode::SUCCESS;
    }
    if args.planners {
        for p in phx_common::registry::PLANNERS {
            println!("{}", p.binary);
        }
        return ExitCode::SUCCESS;
    }
    if args.config_keys {
        print!("{}", phx_pkg::keys::markdown());
        return ExitCode::SUCCESS;
    }
    let out = args.out.expect("clap requires --out without --programs");
    let mut count = 0;
    for cmd in phx_pkg::commands() {
        match phx_pkg::docs::write_all(&cmd, &out) {
            Ok(files) => count += files.len(),
            Err(e) => {
                eprintln!("phx-gen-docs: {}: {e}", cmd.get_name());
                return ExitCode::from(1);
            }
        }
    }
    match phx_pkg::manual::write_format_pages(&out) {
        Ok(files) => count += files.len(),
        Err(e) => {
            eprintln!("phx-gen-docs: section-5 pages: {e}");
            return ExitCode::from(1);
        }
    }
    eprintln!("phx-gen-docs: {count} file(s) under {}", out.display());
    ExitCode::SUCCESS
}
