//! phx-net: plans the host network (bridge stanza, hostname, /etc/hosts,
//! /etc/resolv.conf) from the Phoenix JSON. It never writes to the system.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_net::tool::Net>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
