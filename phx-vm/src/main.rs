//! phx-vm: plans the VMs through `qm`. I/O only; the planning is in the library.

use clap::Parser;
use phx_common::cli::{emit, finish, Failure, GuestFlags, InputArgs};
use phx_vm::{observe, KIND, TOOL};
use std::process::ExitCode;
use std::time::Instant;

/// Plan the VMs of phoenix_vm_configs.json through `qm`.
///
/// Reads /etc/pve/qemu-server/<vmid>.conf of every VM in the file (under
/// --state-root; main section only) and runs `qm list` once, then prints a
/// plan (JSON Lines for phx-apply) in the order phx-lxc follows too
/// (dependencies and clone sources first, then boot_order, then ID, over
/// containers and VMs):
///   - a missing template (is_template) is made from its cloud image
///     (template_image, looked for in /var/lib/vz/template/iso and
///     /var/lib/vz/import): `qm create` with the image imported as scsi0,
///     a cloud-init drive, a serial console and every setting, the disk
///     grown to disk_size_gb, the snapshot template_snapshot_name, then
///     `qm template`. A missing image is refused (exit 2) naming the paths
///     looked at; nothing is ever downloaded;
///   - a missing VM with clone_from_vmid is a full clone, then configured;
///   - an existing VM gets ONE `qm set` with every key that differs: name
///     cores memory net0 agent ciuser sshkeys (URL-encoded) ipconfig0
///     nameserver searchdomain onboot startup;
///   - scsi0 grows with `qm disk resize` (never shrinks);
///   - VMs with start_at_boot that are not running are started.
///
/// Changes that reach a running VM only at boot (cores, memory, agent,
/// cloud-init) are reported, and done with --restart (`qm reboot`).
/// Features and volumes that need software inside a VM are listed as
/// warnings on stderr. VMs not in the file are never touched.
///
/// Examples:
///   phx-vm --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply
///   phx-vm --config-dir examples/etc --state-root /tmp/stage | phx-apply --root /tmp/stage --check
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    flags: GuestFlags,
}

fn run(args: Args) -> Result<u8, Failure> {
    let t0 = Instant::now();
    let inv = args.input.load(TOOL)?;
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
