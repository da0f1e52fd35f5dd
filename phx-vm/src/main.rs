//! phx-vm: plans the VMs through `qm`. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{emit, finish, Failure};
use phx_vm::cli::Args;
use phx_vm::{observe, Options, StartMode, TOOL};
use std::process::ExitCode;
use std::time::Instant;

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let inv = args.input.load(TOOL)?;
    let seen = observe::observe(&inv, &args.input.state_root, None)?;
    let opts = Options {
        start: if args.no_start {
            StartMode::None
        } else if args.start_all {
            StartMode::All
        } else {
            StartMode::AtBoot
        },
        restart: args.restart,
    };
    let planned =
        phx_vm::plan(&inv, &seen, &args.input.state_root, opts).map_err(Failure::Invalid)?;
    for n in &planned.notes {
        eprintln!("{TOOL}: note: {n}");
    }
    for (i, g) in planned.guests.iter().enumerate() {
        eprintln!(
            "{TOOL}: [{}/{}] VM {} {}: {}",
            i + 1,
            planned.guests.len(),
            g.vmid,
            g.name,
            g.actions.join("; ")
        );
    }
    eprintln!(
        "{TOOL}: {} VM(s), {} existing, {} running, {} to change, {} step(s); {} qm call(s) while planning; {:.3}s",
        inv.vms.len(),
        seen.confs.len(),
        seen.running.len(),
        planned.guests.len(),
        planned.plan.steps.len(),
        seen.qm_calls,
        t0.elapsed().as_secs_f64()
    );
    emit(&planned.plan)
}

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
