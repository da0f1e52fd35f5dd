//! phx-lxc: plans LXC guests through `pct`. I/O only; the planning is in the library.

use clap::{Parser, Subcommand};
use phx_common::cli::{emit, finish, render, Failure, GuestFlags, InputArgs, RenderArgs};
use phx_lxc::{observe, KIND, TOOL};
use std::process::ExitCode;
use std::time::Instant;

/// Plan the LXC containers of phoenix_lxc_configs.json through `pct`.
///
/// Reads /etc/pve/lxc/<ctid>.conf of every container in the file (under
/// --state-root) and runs `pct list` once, then prints a plan (JSON Lines for
/// phx-apply), in dependency order (dependencies and clone sources first, then
/// boot_order, then CTID):
///   - a missing container is created (`pct create <ctid> <template volid> …`
///     with every setting) or, with clone_from_ctid, cloned from the source's
///     template_snapshot_name (`pct snapshot` of the source first if it lacks it);
///   - an existing one gets ONE `pct set` with every key that differs:
///     hostname memory swap cores net0 nameserver onboot startup features and
///     mounts (zfs_volumes, mount_points; matched by container path, new ones
///     at the lowest free mpN, none ever dropped or renumbered);
///   - raw LXC lines pct cannot set (lxc_options, apparmor_profile, NVIDIA
///     passthrough for gpu_assignment): a new container gets them added to its
///     conf's main section; an existing conf is rewritten (a `file` step,
///     before its pct calls) with only those lines edited. Lines Phoenix owns
///     are exactly the entry's: every /dev/nvidia* mount entry and NVIDIA
///     cgroup rule (a container has exactly its gpu_assignment's GPUs; a
///     clone's inherited others are removed before it starts) and every line
///     of a key the entry names; a single-valued key keeps its place. Lines
///     of keys the entry never names are kept and reported;
///   - rootfs/volumes grow with `pct resize` (never shrink);
///   - guests with start_at_boot that are not running are started, in boot order.
///
/// Changes that reach a running container only at its next start (raw lines,
/// features, nameserver, changed mounts, pending changes) are reported, and
/// done with --restart (`pct reboot`).
///
/// With --state-root DIR other than /, the confs are read under DIR but the
/// running state still comes from `pct list` on PATH, run with PHX_ROOT=DIR
/// (so a pct test double reads DIR). A preview on a live Proxmox host
/// therefore plans starts and restarts against the host's real running
/// state; a note on stderr says which pct answered. Without pct on PATH every
/// container is taken as stopped.
///
/// Drift that is not changed (smaller disk, unprivileged, restarts needed) is
/// reported on stderr, with a progress line per container that gets steps.
/// Containers not in the file are never touched. A converged host: empty plan.
///
/// Examples:
///   phx-lxc --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply
///   phx-lxc --config-dir examples/etc --state-root /tmp/stage | phx-apply --root /tmp/stage --check --diff
///   phx-lxc --start-all --restart --config-dir etc | phx-apply
///   phx-lxc render --config-dir examples/etc --out /tmp/preview
#[derive(Parser)]
#[command(version, verbatim_doc_comment, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    flags: GuestFlags,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        flags: GuestFlags,
    },
    /// Print the conf pct would write for each container created from its entry
    /// (or write them under --out DIR as DIR/etc/pve/lxc/<ctid>.conf).
    Render(RenderArgs),
}

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let (input, flags) = match args.cmd {
        None => (args.input, args.flags),
        Some(Cmd::Plan { input, flags }) => (input, flags),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            let inv = input.load(TOOL)?;
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
    let inv = input.load(TOOL)?;
    let t_load = t0.elapsed();
    let seen = observe::observe(&inv, &input.state_root, None)?;
    let t_observe = t0.elapsed();
    let planned = phx_lxc::plan(&inv, &seen, flags.options()).map_err(Failure::Invalid)?;
    let t_plan = t0.elapsed();
    for n in &planned.notes {
        eprintln!("{TOOL}: note: {n}");
    }
    let total = inv.lxcs.len();
    for line in planned.progress(KIND) {
        eprintln!("{TOOL}: {line} ({:.3}s)", t0.elapsed().as_secs_f64());
    }
    eprintln!(
        "{TOOL}: {total} container(s), {} existing, {} running, {} to change, {} step(s); {} pct call(s) while planning; \
         {:.3}s (load {:.3}s, observe {:.3}s, plan {:.3}s)",
        seen.confs.len(),
        seen.running.len(),
        planned.guests.len(),
        planned.plan.steps.len(),
        seen.calls,
        t0.elapsed().as_secs_f64(),
        t_load.as_secs_f64(),
        (t_observe - t_load).as_secs_f64(),
        (t_plan - t_observe).as_secs_f64()
    );
    emit(&planned.plan)
}

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
