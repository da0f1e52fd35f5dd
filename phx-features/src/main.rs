//! phx-features: plans the software every running container's and VM's
//! `features`, `application_script` and NFS `volumes` ask for. I/O only, through the tool contract;
//! the planning is in the library.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_features::tool::Features>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
