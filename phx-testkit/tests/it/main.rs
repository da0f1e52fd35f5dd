//! phx-testkit's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod crate_graph;
mod example_node;
mod fresh_node;
mod fresh_node_fetch;
mod guest_verbs;
mod in_process;
mod installed_cli;
mod interface;
mod observe;
mod pct_double;
mod pct_double_actions;
mod pct_double_exec;
mod phoenix_cli;
mod phoenix_cli_estate;
mod phoenix_cli_voice;
mod pveam_double;
mod qm_double;
mod qm_double_cloudinit;
mod qm_double_guest;
mod registry;
mod unwritten;
