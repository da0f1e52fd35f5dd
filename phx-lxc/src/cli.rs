//! phx-lxc's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{GuestFilter, GuestFlags, InputArgs, RenderArgs};

/// Plan the LXC containers of phoenix_lxc_configs.json through `pct`.
///
/// Reads /etc/pve/lxc/<ctid>.conf of every container in the file (under
/// --root) and runs `pct list` once, then prints a plan (JSON Lines for
/// phx-apply), in dependency order (dependencies and clone sources first, then
/// boot_order, then CTID):
///   - a missing container is created (`pct create <ctid> <template volid> …`
///     with every setting) or, with clone_from_ctid, cloned from the source's
///     template_snapshot_name:
///     `--storage` only for a source without volume mounts (pct copies every
///     volume onto it), else each volume stays on its storage and the rootfs
///     is moved with `pct move-volume <ctid> rootfs <storage> --delete 1`;
///   - zfs_volumes with the same name are one volume: the first container
///     (in this order) allocates it, later ones mount its volume ID;
///   - an existing one gets ONE `pct set` with every key that differs:
///     hostname memory swap cores net0 nameserver onboot startup features and
///     mounts (zfs_volumes, mount_points, and a bind mount of each
///     shared_volumes entry that names the container; matched by container
///     path, new ones at the lowest free mpN, none ever dropped or renumbered);
///   - gpu_assignment: a `devN` entry (in the same `pct set`) for each of
///     the node's device nodes the GPUs need: /dev/nvidia<N> per GPU,
///     nvidiactl, nvidia-uvm, and nvidia-uvm-tools when the node has it
///     (not nvidia-modeset nor MIG's /dev/nvidia-caps/*: CUDA does not use
///     the first, no boot step makes either, so pct start would fail
///     without them), each
///     with the node's mode
///     (pve-container gives each its real major:minor at every start; no
///     fixed majors). Entries of /dev/nvidia* paths are Phoenix's: a
///     container has exactly its GPUs' (a clone's inherited others are
///     deleted before it starts; a running container's changes wait for its
///     restart); other devN entries are the operator's. When the node lacks
///     a needed node (driver not installed, reboot pending) each such
///     container gets a warning naming it, and its devices are left as they
///     are;
///   - raw LXC lines pct cannot set (lxc_options, apparmor_profile): a new
///     container gets them added to its conf's main section; an existing
///     conf is rewritten (a `file` step, before its pct calls) with only
///     those lines edited. Lines Phoenix owns are exactly the entry's: every
///     line of a key the entry names, and the raw NVIDIA passthrough lines
///     earlier versions wrote (/dev/nvidia* mount entries, cgroup rules of
///     majors 195/234/509), which are removed; a single-valued key keeps its
///     place. Lines of keys the entry never names are kept and reported;
///   - rootfs/volumes grow with `pct resize` (never shrink);
///   - a golden template (template_snapshot_name) without its snapshot is
///     started, its features and application_script installed inside it
///     (the recipes phx-features runs), shut down, and snapshotted with a
///     description recording what went in, before any clone is made from
///     it; it ends stopped. With its snapshot nothing is done: an entry that
///     now wants something else is noted with the clones carrying the old
///     image, never rebuilt;
///   - guests with start_at_boot that are not running are started, in boot order.
///
/// With --root DIR other than /, the confs are read under DIR but the
/// running state still comes from `pct list` on PATH, run with PHX_ROOT=DIR
/// (so a pct test double reads DIR). A preview on a live Proxmox host
/// therefore plans starts and restarts against the host's real running
/// state; a note on stderr says which pct answered. Without pct on PATH every
/// container is taken as stopped.
///
/// Changes that reach a running container only at its next start (raw lines,
/// features, nameserver, changed mounts, pending changes) are reported, and
/// done with --restart (`pct reboot`).
///
/// Drift that is not changed (smaller disk, unprivileged, restarts needed) is
/// reported on stderr, with a progress line per container that gets steps.
/// Containers not in the file are never touched. A converged host: empty plan.
#[derive(Parser)]
#[command(
    name = "phx-lxc",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  phx-lxc --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply
  phx-lxc --config-dir examples/etc --root /tmp/stage | phx-apply --root /tmp/stage --check --diff
  phx-lxc --start-all --restart --config-dir etc | phx-apply
  phx-lxc --guest 110 --config-dir etc | phx-apply              # CT 110, its source and dependencies made if missing
  phx-lxc --guest 110 --action stop --config-dir etc | phx-apply
  phx-lxc render --config-dir examples/etc --out /tmp/preview

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub flags: GuestFlags,
    #[command(flatten)]
    pub filter: GuestFilter,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        flags: GuestFlags,
        #[command(flatten)]
        filter: GuestFilter,
    },
    /// Print the conf pct would write for each container created from its entry
    /// (or write them under --out DIR as DIR/etc/pve/lxc/<ctid>.conf).
    Render(RenderArgs),
}

/// The command line phx-lxc parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
