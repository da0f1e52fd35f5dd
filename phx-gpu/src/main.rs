//! phx-gpu: plans the host's NVIDIA driver from the Phoenix JSON.
//! I/O only, through the tool contract; the planning is in the library.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_gpu::tool::Gpu>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
