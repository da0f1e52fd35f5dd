//! phx-storage: plans the node's ZFS pools, datasets, ARC limit and Proxmox
//! storages. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{emit, finish, leave_to_exit, Failure};
use phx_storage::cli::{Args, Cmd};
use phx_storage::TOOL;
use std::process::ExitCode;

fn run(args: Args) -> Result<u8, Failure> {
    let (input, flags) = match args.cmd {
        None => (args.input, args.flags),
        Some(Cmd::Plan { input, flags }) => (input, flags),
    };
    let inv = input.load_without_rules(TOOL)?;
    let seen = phx_storage::observe(&inv, &input.state_root)?;
    let summary = phx_storage::plan(&inv, &seen, &flags.options()).map_err(Failure::Invalid)?;
    for n in &summary.notes {
        eprintln!("{TOOL}: note: {n}");
    }
    eprintln!(
        "{TOOL}: {} pool(s), {} dataset(s); {} step(s); {} program call(s) while observing",
        inv.host.zfs_pools.len(),
        inv.host.zfs_datasets.len(),
        summary.steps,
        seen.calls
    );
    leave_to_exit(inv);
    emit(&summary.plan)
}

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
