//! `/etc/pve/lxc/<ctid>.conf` (pve-container's LXC/Config.pm, write_pct_config), read by phx-common's one
//! Proxmox guest-conf reader in pct's dialect.

use phx_common::guest_conf::{self, PCT};
pub use phx_common::guest_conf::{raw_line, GuestConf as Conf};

pub fn parse(text: &str) -> Conf {
    guest_conf::parse(text, PCT)
}
