//! phx-fw: plans the Proxmox firewall (cluster.fw, <vmid>.fw) from the
//! Phoenix JSON, simulates packets, and reads existing files back to JSON.
//! It never writes to the system.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_fw::tool::Fw>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
