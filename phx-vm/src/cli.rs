//! phx-vm's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser};
use phx_common::cli::{GuestFilter, GuestFlags, InputArgs};

/// Plan the VMs of phoenix_vm_configs.json through `qm`.
///
/// Reads /etc/pve/qemu-server/<vmid>.conf of every VM in the file (under
/// --root; main section only) and runs `qm list` once, then prints a
/// plan (JSON Lines for phx-apply) in the order phx-lxc follows too
/// (dependencies and clone sources first, then boot_order, then ID, over
/// containers and VMs):
///   - a missing template (is_template) is made from its cloud image
///     (template_image, looked for in /var/lib/vz/template/iso and
///     /var/lib/vz/import): `qm create` with the image imported as scsi0,
///     a cloud-init drive, a serial console and every setting, the disk
///     grown to disk_size_gb; a template whose entry lists features is
///     then started, its features installed through the guest agent (the
///     recipes phx-features runs), `cloud-init clean --logs` run and
///     /etc/machine-id emptied (each clone a new instance and machine),
///     and shut down; then `qm template` (template_snapshot_name
///     is ignored with a warning: qm makes no template of a VM with
///     snapshots). A missing image is refused (exit 2) naming the paths
///     looked at, unless phx-storage downloads it (template_image_url
///     with a checksum key, or an Ubuntu cloud image name): then a note,
///     and the template is made from /var/lib/vz/template/iso/<image>;
///   - a missing VM with clone_from_vmid is a full clone, then configured;
///   - an existing VM gets ONE `qm set` with every key that differs: name
///     cores memory net0 agent ciuser sshkeys (URL-encoded) cicustom
///     ipconfig0 nameserver searchdomain onboot startup;
///   - every VM (templates, clones) names the shared cloud-init vendor
///     snippet /var/lib/vz/snippets/phoenix-vendor.yaml (cicustom
///     vendor=local:snippets/phoenix-vendor.yaml), which installs and
///     starts qemu-guest-agent at the VM's first boot (the cloud image has
///     no agent; the image itself is never modified); `local` is made to
///     allow snippets; vendor data set on a VM by hand is kept, with a note;
///   - a user_config.password goes into a root-only cloud-init snippet that
///     phx-apply fills in from the VM file (cicustom user=…, beside the
///     vendor part): never into the plan or an argument;
///   - scsi0 grows with `qm disk resize` (never shrinks);
///   - VMs with start_at_boot that are not running are started.
///
/// Changes that reach a running VM only at boot (cores, memory, agent,
/// cloud-init) are reported, and done with --restart (`qm reboot`).
/// Features and NFS volumes inside a VM are phx-features' (through the
/// guest agent), trusted_ca phx-ca's. VMs not in the file are never touched.
#[derive(Parser)]
#[command(
    name = "phx-vm",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-vm --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply
  phx-vm --config-dir examples/etc --root /tmp/stage | phx-apply --root /tmp/stage --check
  phx-vm --restart --config-dir etc | phx-apply      # reboot VMs whose changes need it
  phx-vm --guest 1001 --config-dir etc | phx-apply   # VM 1001, its template made if missing

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub flags: GuestFlags,
    #[command(flatten)]
    pub filter: GuestFilter,
}

/// The command line phx-vm parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
