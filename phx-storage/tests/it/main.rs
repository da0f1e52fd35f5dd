//! phx-storage's integration tests: one test binary, each part a module.

mod common;
mod fetch;
mod fresh_node;
mod real_zfs;
mod refusals;
mod storages;
mod without_zfs;
