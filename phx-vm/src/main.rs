//! phx-vm: plans the VMs through `qm`. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{emit, finish, Failure};
use phx_vm::cli::Args;
use phx_vm::{observe, KIND, TOOL};
use std::process::ExitCode;
use std::time::Instant;

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let inv = args.input.load_without_rules(TOOL)?;
    let seen = observe::observe(&inv, &args.input.state_root, None)?;
    let opts = args.flags.options();
    let planned =
        phx_vm::plan(&inv, &seen, &args.input.state_root, opts).map_err(Failure::Invalid)?;
    for n in &planned.notes {
        eprintln!("{TOOL}: note: {n}");
    }
    for line in planned.progress(KIND) {
        eprintln!("{TOOL}: {line}");
    }
    eprintln!(
        "{TOOL}: {} VM(s), {} existing, {} running, {} to change, {} step(s); {} qm call(s) while planning; {:.3}s",
        inv.vms.len(),
        seen.confs.len(),
        seen.running.len(),
        planned.guests.len(),
        planned.plan.steps.len(),
        seen.calls,
        t0.elapsed().as_secs_f64()
    );
    emit(&planned.plan)
}

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
