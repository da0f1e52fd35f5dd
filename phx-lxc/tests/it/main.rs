//! phx-lxc's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod bind_sources;
mod cli;
mod clones;
mod common;
mod conf_lock;
mod content;
mod golden;
mod gpu_devices;
mod guest_filter;
mod letsgo;
mod owned_lines;
mod planner;
mod shared_volumes;
mod templates;
mod threads;
