//! phx-synth's command line, in the library like every tool's, so the
//! interface tests read the same definition the binary parses.

use clap::{CommandFactory, Parser};
use std::path::PathBuf;

/// Generate a synthetic Phoenix inventory: the three JSON files, N guests.
///
/// Four of five guests are LXCs, the rest VMs; every guest has its own
/// address, DNS records and clone source or dependency, shaped like the real
/// files so every tool's planner does its full work (scripts/bench*). The
/// first VM is a template made from debian-12-genericcloud-amd64.qcow2 (the
/// image examples/state holds), the other VMs are full clones of it.
#[derive(Parser)]
#[command(
    name = "phx-synth",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-synth --guests 10000 --out /tmp/synth               # about 21 MB of JSON
  phx-synth --guests 10000 --services 2000 --out /tmp/ca  # with Traefik services
  phx-synth --guests 10000 --layout original --out /tmp/o # firewall under shared_volumes
  phx-net --config-dir /tmp/synth --root examples/state

Exit status: 0 ok, 1 the files could not be written, 2 usage."
)]
pub struct Args {
    /// Number of guests (four of five are LXCs, the rest VMs).
    #[arg(long, value_name = "N")]
    pub guests: usize,
    /// Explicit DNS records per guest.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub records_per_guest: usize,
    /// Rules in the cluster firewall (default: 5 per guest).
    #[arg(long, value_name = "N")]
    pub global_rules: Option<usize>,
    /// Every n-th guest gets its own firewall file (0: none).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub guest_firewall_every: usize,
    /// Traefik services, one per guest from the fourth on.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub services: usize,
    /// Where the hypervisor file keeps the firewall: Phoenix's top-level
    /// `firewall`, or `shared_volumes.firewall` as the original's files do.
    #[arg(long, value_enum, default_value_t = crate::Layout::Phoenix)]
    pub layout: crate::Layout,
    /// Directory to write the files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// The command line phx-synth parses.
pub fn command() -> clap::Command {
    Args::command()
}
