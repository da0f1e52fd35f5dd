//! Writes a synthetic inventory for benchmarks (`scripts/bench`).

use clap::Parser;
use phx_bench::cli::Args;
use phx_bench::{write, Spec};
use phx_common::cli::{finish, Failure};
use phx_plan::exit::EXIT_OK;
use std::process::ExitCode;

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish("phx-synth", run(Args::parse()))
}

fn run(a: Args) -> Result<u8, Failure> {
    let mut shape = Spec::new(a.guests);
    shape.records_per_guest = a.records_per_guest;
    shape.guest_firewall_every = a.guest_firewall_every;
    shape.services = a.services;
    shape.layout = a.layout;
    if let Some(r) = a.global_rules {
        shape.global_rules = r;
    }
    write(&a.out, shape)?;
    Ok(EXIT_OK)
}
