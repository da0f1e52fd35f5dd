//! phx-fw: the Proxmox firewall from JSON. Validates every firewall object
//! against what pve-firewall accepts, renders `cluster.fw` and `<vmid>.fw`,
//! refuses rulesets that lock the operator out, simulates packets with
//! Proxmox's semantics, and reads existing files back into JSON.

pub mod addr;
pub mod check;
pub mod existing;
pub mod fwfile;
pub mod sim;
pub mod tables;

use phx_common::Guest;

/// Whether a guest's NIC needs `firewall=1` (phx-lxc asks this for `net0`):
/// true when the guest has a firewall object that is enabled. Without it
/// Proxmox never filters the guest, whatever its `.fw` says.
pub fn nic_firewall_enabled(guest: Guest<'_>) -> bool {
    guest.firewall().is_some_and(|f| f.enabled)
}
pub mod lockout;
pub mod planner;

pub use planner::{plan, Options};
