//! `/etc/pve/qemu-server/<vmid>.conf` (qemu-server's QemuServer.pm, parse_vm_config), read by
//! phx-common's one Proxmox guest-conf reader in qm's dialect.

pub use phx_common::guest_conf::GuestConf as Conf;
use phx_common::guest_conf::{self, QM};

pub fn parse(text: &str) -> Conf {
    guest_conf::parse(text, QM)
}
