//! phx-lxc: plans LXC guests through `pct`. I/O only; the planning is in the library.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_lxc::tool::Lxc>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
