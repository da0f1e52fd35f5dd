use clap::Parser;
use phx_common::cli::{self, Failure, InputArgs, RenderArgs};
use phx_dns::cli::{Cli, Cmd};
use std::process::ExitCode;

fn build(input: &InputArgs) -> Result<phx_dns::Output, Failure> {
    let inv = input.load_without_rules(phx_dns::TOOL)?;
    let mut opts = phx_dns::Options::default();
    if let Some(exe) = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(String::from))
    {
        opts.phx_dns = exe;
    }
    let out = phx_dns::build(&inv, &opts).map_err(Failure::Invalid)?;
    cli::leave_to_exit(inv);
    for w in &out.warnings {
        eprintln!("{}: warning: {w}", phx_dns::TOOL);
    }
    for n in &out.notes {
        eprintln!("{}: note: {n}", phx_dns::TOOL);
    }
    Ok(out)
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.cmd {
        None => cli::emit(&build(&cli.input)?.plan),
        Some(Cmd::Plan { input }) => cli::emit(&build(&input)?.plan),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            cli::render(&build(&input)?.files, out.as_deref())
        }
        // A predicate for guards: "not installed" is the false answer, not an error.
        Some(Cmd::PkgInstalled { package }) => Ok(if phx_dns::pkg::installed(&package) {
            phx_plan::exit::EXIT_OK
        } else {
            phx_plan::exit::EXIT_FAILED
        }),
    }
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::finish(phx_dns::TOOL, run(Cli::parse()))
}
