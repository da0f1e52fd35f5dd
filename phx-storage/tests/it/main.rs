//! phx-storage's integration tests: one test binary, each part a module.

mod common;
mod fetch;
mod fresh_node;
mod nfs_storages;
mod real_zfs;
mod refusals;
mod shared_volumes;
mod storages;
mod vm_volumes;
mod without_zfs;
