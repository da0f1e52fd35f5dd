//! phx-fw's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod apply;
mod cli;
mod common;
mod end_to_end;
mod flows;
mod golden;
mod guard_scope;
mod host_and_groups;
mod local_network;
mod lockout;
mod nics;
mod proxmox_cases;
mod reference_examples;
mod roundtrip;
mod several_nodes;
mod simulate;
mod validate;
mod wrong_today;
