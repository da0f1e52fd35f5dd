//! phx-storage's command line, in the library so the packaging crate can
//! make its man page and completions from the definition the binary parses.

use clap::{Args as ClapArgs, CommandFactory, Parser, Subcommand};
use phx_common::cli::InputArgs;

/// Plan the node's storage from zfs.* in phoenix_hypervisor_config.json.
///
///   - zfs.pools: a missing pool is created (`zpool create -o ashift=12
///     -o autotrim=on -O compression=lz4 -O atime=off NAME [mirror|raidzN]
///     DISK…`, the pool's `properties`/`filesystem_properties` over those).
///     A disk with any signature or partition (`wipefs -n -J`, `lsblk -J`)
///     is refused, naming what is on it, unless --wipe-disks names it;
///     a mounted disk is refused always. An existing pool is left alone;
///   - zfs.datasets: `zfs create -o k=v…` when missing, one `zfs set` with
///     every property that differs; a dataset of a managed pool the JSON
///     does not name is reported, never destroyed;
///   - zfs.arc_max_gb: `options zfs zfs_arc_max=<bytes>` in
///     /etc/modprobe.d/zfs.conf, and the running module's limit when it differs;
///   - proxmox_storage_type/proxmox_content_type: `pvesm add zfspool|dir`
///     for a missing storage ID (proxmox_storage_ids.<pool>_<name, - as _>,
///     else <pool>-<name>), `pvesm set --content` when
///     its content differs. Other storage.cfg entries are never touched;
///   - nfs.exports: one /etc/exports line each in a managed block
///     (`exportfs -ra` when it changed), the NFS server installed, enabled
///     and started; then each export is a Proxmox NFS storage, as the
///     original made them: `pvesm add nfs nfs-<last path component>
///     --server <network.nfs_server, else the host's address> --export <path>
///     --path /mnt/nfs/<id> --content images,iso,vztmpl,backup,snippets
///     --options vers=4,soft,timeo=30,retrans=3`, `pvesm set --content`
///     when its content differs;
///   - bind-mount sources (lxc_configs.<id>.mount_points[].host_path and the
///     shared_volumes naming a container of the file) under mount_point_base
///     or a dataset's mount: made with their `mode` (kept when given; else
///     0755 when made), owned by the host uid/gid the
///     containers' root maps to (100000 unprivileged, lxc.idmap when given);
///     containers disagreeing on it are a warning. Sources elsewhere are the
///     operator's (a note).
///   - the directory each VM's NFS volume (vms[].volumes[] on this node's
///     address or hostname) mounts, under its nfs.exports path: made
///     (root's, 0755) when missing; a path under no export is a warning,
///     another server's volume a note.
///   - for guests still to be made (no conf yet):
///     container templates (lxc_configs.<id>.template) missing from their
///     storage's template/cache: `pveam update` once, then `pveam download
///     STORAGE FILE` (pveam verifies them);
///   - cloud images (vms[].template_image) missing from
///     /var/lib/vz/template/iso and /var/lib/vz/import: a download step
///     (curl by phx-apply, the digest of template_image_sha256,
///     template_image_sha512 or template_image_checksum_url checked before
///     it is renamed into place; Ubuntu cloud image names default to
///     https://cloud-images.ubuntu.com/<release>/current/ and its SHA256SUMS).
///
/// With --root DIR other than /, storage.cfg and the ARC limit are read
/// under DIR, and zpool, zfs, wipefs and lsblk run with PHX_ROOT=DIR.
#[derive(Parser)]
#[command(
    name = "phx-storage",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  phx-storage --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply --check --diff
  phx-storage --wipe-disks /dev/disk/by-id/nvme-X --config-dir etc | phx-apply --run-commands

Exit status: 0 ok, 1 runtime error, 2 invalid configuration, refused disk or usage (nothing printed on stdout)."
)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub flags: Flags,
}

#[derive(ClapArgs, Debug, Clone, Default)]
pub struct Flags {
    /// Erase these disks (`wipefs -a`) before creating the pool they belong
    /// to, whatever signatures or partitions they carry. Only disks of a
    /// pool this plan creates; never a mounted one.
    #[arg(long, value_name = "DISK", num_args = 1..)]
    pub wipe_disks: Vec<String>,
}

impl Flags {
    pub fn options(self) -> crate::Options {
        crate::Options {
            wipe_disks: self.wipe_disks,
        }
    }
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        flags: Flags,
    },
}

/// The command line phx-storage parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
