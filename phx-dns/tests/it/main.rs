//! phx-dns's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod apply;
mod cli;
mod commands;
mod common;
mod live_dnsmasq;
mod records;
