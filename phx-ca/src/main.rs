//! phx-ca: plans the Step-CA, the root export, trust and Traefik inside the
//! guests. I/O only, through the tool contract; the planning is in the library.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_ca::tool::Ca>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
