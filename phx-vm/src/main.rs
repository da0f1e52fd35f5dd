//! phx-vm: plans the VMs through `qm`. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{finish, stdout_plan, Failure};
use phx_plan::exit::EXIT_OK;
use phx_plan::StepSink;
use phx_vm::cli::Args;
use phx_vm::{observe, KIND, TOOL};
use std::io::{stderr, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let inv = args.input.load_without_rules(TOOL)?;
    let seen = observe::observe(&inv, &args.input.state_root, None)?;
    let opts = args.flags.options();
    // Steps go to stdout as they are planned, once every check passed.
    let out = stdout_plan(TOOL);
    let planned = phx_vm::plan_into(&inv, &seen, &args.input.state_root, opts, out)
        .map_err(Failure::Invalid)?;
    // One write for every line, not one per line: 10,000 guests are as
    // many progress lines.
    let mut err = BufWriter::with_capacity(1 << 16, stderr().lock());
    for n in &planned.notes {
        writeln!(err, "{TOOL}: note: {n}")?;
    }
    for line in planned.progress(KIND) {
        writeln!(err, "{TOOL}: {line}")?;
    }
    writeln!(
        err,
        "{TOOL}: {} VM(s), {} existing, {} running, {} to change, {} step(s); {} qm call(s) while planning; {:.3}s",
        inv.vms.len(),
        seen.confs.len(),
        seen.running.len(),
        planned.guests.len(),
        planned.plan.len(),
        seen.calls,
        t0.elapsed().as_secs_f64()
    )?;
    err.flush()?;
    planned.plan.finish()?;
    phx_common::cli::leave_to_exit((inv, seen));
    Ok(EXIT_OK)
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
