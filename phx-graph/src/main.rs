//! phx-graph: draws the estate the configuration describes (Mermaid or DOT).

use clap::Parser;
use phx_common::cli::{finish, Failure};
use phx_graph::cli::Args;
use phx_plan::exit::EXIT_OK;
use std::io::Write;
use std::process::ExitCode;

fn run(args: Args) -> Result<u8, Failure> {
    let inv = args.input.load_without_rules("phx-graph")?;
    let text = phx_graph::draw(&inv, args.format);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish("phx-graph", run(Args::parse()))
}
