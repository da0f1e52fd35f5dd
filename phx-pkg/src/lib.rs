//! Phoenix's packaging: the command line of every shipped program, gathered
//! so man pages and shell completions are generated from the definitions the
//! binaries parse (`phx-gen-docs`), never written by hand beside them;
//! the section-5 pages are rendered from docs/ (`manual`).
//!
//! This crate may depend on every tool (it is never a dependency itself; see
//! phx-testkit/tests/crate_graph.rs).

pub mod docs;
pub mod keys;
pub mod manual;
pub mod phoenix_cli;
mod roff;

/// Every program the package installs in /usr/bin, by its clap definition.
pub fn commands() -> Vec<clap::Command> {
    vec![
        phx_apply::cli::command(),
        phx_net::cli::command(),
        phx_dns::cli::command(),
        phx_fw::cli::command(),
        phx_lxc::cli::command(),
        phx_vm::cli::command(),
        phx_ca::cli::command(),
        phx_graph::cli::command(),
        phx_schema::cli::command(),
        phoenix_cli::command(),
    ]
}
