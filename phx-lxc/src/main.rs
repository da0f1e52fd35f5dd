//! phx-lxc: plans LXC guests through `pct`. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{finish, render, stdout_plan, Failure, RenderArgs};
use phx_lxc::cli::{Args, Cmd};
use phx_lxc::{observe, KIND, TOOL};
use phx_plan::exit::EXIT_OK;
use phx_plan::StepSink;
use std::io::{stderr, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let (input, flags) = match args.cmd {
        None => (args.input, args.flags),
        Some(Cmd::Plan { input, flags }) => (input, flags),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            let inv = input.load_without_rules(TOOL)?;
            let files: Vec<(String, String)> = inv
                .lxcs
                .keys()
                .filter_map(|&id| {
                    phx_lxc::render::conf(&inv, id).map(|c| (observe::conf_path(id), c))
                })
                .collect();
            return render(&files, out.as_deref());
        }
    };
    let inv = input.load_without_rules(TOOL)?;
    let t_load = t0.elapsed();
    let seen = observe::observe(&inv, &input.state_root, None)?;
    let t_observe = t0.elapsed();
    // Steps go to stdout as they are planned, once every check passed.
    let out = stdout_plan(TOOL);
    let planned =
        phx_lxc::plan_into(&inv, &seen, flags.options(), out).map_err(Failure::Invalid)?;
    let t_plan = t0.elapsed();
    // One write for every line, not one per line: 10,000 guests are as
    // many progress lines.
    let mut err = BufWriter::with_capacity(1 << 16, stderr().lock());
    for n in &planned.notes {
        writeln!(err, "{TOOL}: note: {n}")?;
    }
    let total = inv.lxcs.len();
    // The lines are written in one go once planning is done: they carry
    // the time the block starts, taken once (formatting it per line was
    // 10 M instructions at 10,000 guests).
    let at = format!(" ({:.3}s)\n", t0.elapsed().as_secs_f64());
    for line in planned.progress(KIND) {
        for part in [TOOL, ": ", &line, &at] {
            err.write_all(part.as_bytes())?;
        }
    }
    writeln!(
        err,
        "{TOOL}: {total} container(s), {} existing, {} running, {} to change, {} step(s); {} pct call(s) while planning; \
         {:.3}s (load {:.3}s, observe {:.3}s, plan {:.3}s)",
        seen.confs.len(),
        seen.running.len(),
        planned.guests.len(),
        planned.plan.len(),
        seen.calls,
        t0.elapsed().as_secs_f64(),
        t_load.as_secs_f64(),
        (t_observe - t_load).as_secs_f64(),
        (t_plan - t_observe).as_secs_f64()
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
