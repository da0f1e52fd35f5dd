use clap::Parser;
use phx_ca::cli::{Cli, Cmd};
use phx_common::cli::{self, Failure, InputArgs, RenderArgs};
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use std::process::ExitCode;

fn build(input: &InputArgs) -> Result<(phx_common::Inventory, phx_ca::Output), Failure> {
    let inv = input.load_without_rules(phx_ca::TOOL)?;
    let out = phx_ca::build(&inv).map_err(Failure::Invalid)?;
    for w in &out.warnings {
        eprintln!("{}: warning: {w}", phx_ca::TOOL);
    }
    Ok((inv, out))
}

/// The plan on stdout.
fn plan(input: &InputArgs) -> Result<u8, Failure> {
    let (inv, out) = build(input)?;
    let written = cli::emit(&out.plan);
    cli::leave_to_exit(inv);
    written
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.cmd {
        None => plan(&cli.input),
        Some(Cmd::Plan { input }) => plan(&input),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            let (inv, o) = build(&input)?;
            let files = phx_ca::render(&inv, &o.topology, &input.state_root)?;
            cli::render(&files, out.as_deref())
        }
        Some(Cmd::Fingerprint { input }) => {
            let (_, o) = build(&input)?;
            let path = o.topology.exported_root();
            let pem = std::fs::read_to_string(input.observed(&path));
            match pem.ok().as_deref().and_then(phx_ca::fingerprint::sha256) {
                Some(fp) => {
                    println!("{fp}  {path}");
                    Ok(EXIT_OK)
                }
                None => {
                    eprintln!(
                        "{}: {path}: no root certificate exported yet (run the plan first)",
                        phx_ca::TOOL
                    );
                    Ok(EXIT_FAILED)
                }
            }
        }
    }
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::finish(phx_ca::TOOL, run(Cli::parse()))
}
