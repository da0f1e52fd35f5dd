//! phx-schema's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod agreement;
mod cli;
mod common;
mod drift;
mod rule_fields;
mod values;
