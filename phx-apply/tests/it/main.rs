//! phx-apply's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

/// Runs a test that touches process-wide state in a child process, alone.
#[path = "../../../phx-testkit/src/alone.rs"]
mod alone;
mod apply;
mod apply_cli;
mod backups;
mod bounded_reads;
mod common;
mod confine;
mod confirm;
mod download;
mod guest_kill;
mod guest_links_refused;
mod guest_plan_checks;
mod guest_prune;
mod guest_rollback_keeps_later_changes;
mod guest_shared_links;
mod guest_steps;
mod guest_support;
mod guest_writes;
mod handlers;
/// A local HTTP server (phx-testkit's; this crate cannot depend on it).
#[path = "../../../phx-testkit/src/http.rs"]
mod http;
mod limits;
mod manifest_mac;
mod output;
mod plan_checks;
mod plan_refuses_state_paths;
mod resolve_once;
mod rollback_bounded_state;
mod state_private;
mod umask;
mod validate_shown;
mod vm_guest;
