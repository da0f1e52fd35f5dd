//! phoenix-cli's integration tests: one test binary, each file a module.
//! End-to-end runs against a preview root are phx-testkit's (phoenix_cli,
//! installed_cli): they need every planner built.

mod interface;
mod interrupt;
