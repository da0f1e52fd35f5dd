//! phx-fw: the Proxmox firewall from JSON. Validates every firewall object
//! against what pve-firewall accepts, renders `cluster.fw` and `<vmid>.fw`,
//! refuses rulesets that lock the operator out, simulates packets with
//! Proxmox's semantics, and reads existing files back into JSON.
//!
//! The typed values (addresses, rules, protocol and macro tables) live in
//! `phx_common::firewall`, shared with the rest of the workspace.

pub mod check;
pub mod cli;
pub mod commands;
pub mod existing;
pub mod flows;
pub mod fwfile;
pub mod ipv4set;
pub mod lockout;
pub mod planner;
pub mod sim;
pub mod tool;

pub use planner::{plan, Options};

/// The tool's name, in plans and messages.
pub const TOOL: &str = "phx-fw";
