//! phoenix-cli: one verb, the planners of its phases, phx-apply per phase.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use phoenix_cli::cli::Cli;
use phoenix_cli::Stop;
use phx_plan::exit::EXIT_INVALID;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == ErrorKind::InvalidSubcommand => {
            let verb = match e.get(ContextKind::InvalidSubcommand) {
                Some(ContextValue::String(v)) => v.clone(),
                _ => String::new(),
            };
            eprintln!("phoenix-cli: unknown verb '{verb}' (try --help)");
            return ExitCode::from(EXIT_INVALID);
        }
        Err(e) => e.exit(),
    };
    phoenix_cli::signals::catch();
    match phoenix_cli::run(cli.verb.work()) {
        Ok(code) => ExitCode::from(code),
        Err(stop) => {
            match &stop {
                Stop::Usage(m) | Stop::Failed(m) => eprintln!("phoenix-cli: {m}"),
                Stop::Exit(_) => {}
            }
            ExitCode::from(stop.code())
        }
    }
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
