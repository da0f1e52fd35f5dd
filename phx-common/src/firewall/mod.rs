//! Typed firewall values shared by every tool that reasons about the Proxmox
//! firewall: what pve-firewall knows by name (`tables`), the address grammar
//! of `-source`/`-dest`, aliases and IP sets (`addr`, with `cidr4` reading
//! the common IPv4 CIDR), a rule parsed once into typed fields (`rule`), and
//! how references resolve between a guest's file and the cluster's
//! (`lookup`). phx-fw checks and simulates with these;
//! phx-lxc asks only whether a NIC is filtered.

pub mod addr;
mod cidr4;
#[cfg(test)]
mod every_text;
pub mod lookup;
pub mod rule;
pub mod tables;

use crate::config::Guest;

/// Whether a guest's NIC needs `firewall=1`: true when the guest has a
/// firewall object that is enabled. Without it Proxmox never filters the
/// guest, whatever its `.fw` says.
pub fn nic_firewall_enabled(guest: Guest<'_>) -> bool {
    guest.firewall().is_some_and(|f| f.enabled)
}
