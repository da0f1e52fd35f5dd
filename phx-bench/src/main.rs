//! Writes a synthetic inventory for benchmarks (`scripts/bench`).

use clap::Parser;
use phx_bench::{write, Spec};
use phx_common::cli::{finish, Failure, EXIT_OK};
use std::path::PathBuf;
use std::process::ExitCode;

/// Generate a synthetic Phoenix inventory: the three JSON files, N guests.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Number of guests (four of five are LXCs, the rest VMs).
    #[arg(long)]
    guests: usize,
    /// Explicit DNS records per guest.
    #[arg(long, default_value_t = 4)]
    records_per_guest: usize,
    /// Rules in the cluster firewall (default: 5 per guest).
    #[arg(long)]
    global_rules: Option<usize>,
    /// Every n-th guest gets its own firewall file (0: none).
    #[arg(long, default_value_t = 2)]
    guest_firewall_every: usize,
    /// Traefik services, one per guest from the fourth on.
    #[arg(long, default_value_t = 0)]
    services: usize,
    /// Directory to write the files into.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    finish("phx-synth", run(Args::parse()))
}

fn run(a: Args) -> Result<u8, Failure> {
    let mut shape = Spec::new(a.guests);
    shape.records_per_guest = a.records_per_guest;
    shape.guest_firewall_every = a.guest_firewall_every;
    shape.services = a.services;
    if let Some(r) = a.global_rules {
        shape.global_rules = r;
    }
    write(&a.out, shape)?;
    Ok(EXIT_OK)
}
