//! phoenix-cli: one verb, the planners of its phases, phx-apply per phase.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use phoenix_cli::cli::{command, Cli};
use phoenix_cli::Stop;
use phx_common::config::suggest::nearest;
use phx_common::registry::{GROUPS, PLANNERS};
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
            let cmd = command();
            let verbs: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
            let clap_says = match e.get(ContextKind::SuggestedSubcommand) {
                Some(ContextValue::String(s)) => Some(s.as_str()),
                Some(ContextValue::Strings(s)) => s.first().map(String::as_str),
                _ => None,
            };
            match did_you_mean(&verb, &verbs).or(clap_says) {
                Some(s) => eprintln!("phoenix-cli: unknown verb '{verb}'; did you mean {s}?"),
                None => eprintln!("phoenix-cli: unknown verb '{verb}' (try --help)"),
            }
            return ExitCode::from(EXIT_INVALID);
        }
        Err(e) if e.kind() == ErrorKind::InvalidValue => {
            // A subsystem's refusal (cli.rs `Names`) lists the valid names;
            // the nearest one is added here.
            let text = e.render().to_string();
            eprint!("{text}");
            let subsystem = text
                .split_once("unknown subsystem '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map(|(v, _)| v);
            let names: Vec<&str> = PLANNERS
                .iter()
                .map(|p| p.subsystem)
                .chain(GROUPS.iter().map(|(g, _)| *g))
                .collect();
            if let Some(s) = subsystem.and_then(|v| did_you_mean(v, &names)) {
                eprintln!("phoenix-cli: did you mean {s}?");
            }
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

/// The name `typed` was probably meant to be: the same but for case
/// (`letsgo` → `LetsGo`), else the nearest by edit distance (`dsn` → `dns`).
fn did_you_mean<'n>(typed: &str, names: &[&'n str]) -> Option<&'n str> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(typed))
        .copied()
        .or_else(|| {
            let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
            let near = nearest(typed, &lower)?;
            names.iter().find(|n| n.eq_ignore_ascii_case(near)).copied()
        })
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
