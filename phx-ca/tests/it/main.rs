//! phx-ca's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod cli;
mod common;
mod converge;
mod e2e_chain;
mod letsgo;
mod planner;
mod scheme;
mod secrets;
