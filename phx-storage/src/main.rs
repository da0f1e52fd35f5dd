//! phx-storage: plans the node's ZFS pools, datasets, ARC limit, Proxmox
//! storages, NFS exports and bind sources. I/O only, through the tool
//! contract; the planning is in the library.

fn main() -> std::process::ExitCode {
    phx_common::tool::main::<phx_storage::tool::Storage>()
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
