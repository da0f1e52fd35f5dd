//! Phoenix's packaging: the command line of every shipped program, gathered
//! so man pages and shell completions are generated from the definitions the
//! binaries parse (`phx-gen-docs`), never written by hand beside them;
//! the section-5 pages are rendered from docs/ (`manual`).
//!
//! This crate may depend on every tool (it is never a dependency itself; see
//! phx-testkit/tests/crate_graph.rs).

pub mod complete;
pub mod docs;
pub mod guest_ids;
pub mod keys;
pub mod manual;
mod roff;

/// Every program the package installs in /usr/bin (phx_common::registry),
/// by its clap definition, in the registry's order.
pub fn commands() -> Vec<clap::Command> {
    phx_common::registry::shipped()
        .map(|binary| {
            command(binary).unwrap_or_else(|| {
                panic!("{binary} is in the registry but phx-pkg has no command line for it (phx-pkg/src/lib.rs)")
            })
        })
        .collect()
}

/// A shipped program's clap definition, by binary name: the one place
/// phx-pkg names each program (docs/adding-a-tool.md).
pub fn command(binary: &str) -> Option<clap::Command> {
    Some(match binary {
        "phx-apply" => phx_apply::cli::command(),
        "phx-net" => phx_net::cli::command(),
        "phx-storage" => phx_storage::cli::command(),
        "phx-dns" => phx_dns::cli::command(),
        "phx-fw" => phx_fw::cli::command(),
        "phx-gpu" => phx_gpu::cli::command(),
        "phx-lxc" => phx_lxc::cli::command(),
        "phx-vm" => phx_vm::cli::command(),
        "phx-ca" => phx_ca::cli::command(),
        "phx-features" => phx_features::cli::command(),
        "phx-graph" => phx_graph::cli::command(),
        "phx-schema" => phx_schema::cli::command(),
        "phx-verify" => phx_verify::cli::command(),
        "phx-migrate" => phx_migrate::cli::command(),
        "phoenix-cli" => phoenix_cli::cli::command(),
        _ => return None,
    })
}
