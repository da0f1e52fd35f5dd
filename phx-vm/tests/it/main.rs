//! phx-vm's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod common;
mod content;
mod converge;
mod fetched_image;
mod golden;
mod guest_filter;
mod letsgo;
mod password;
mod progress;
mod refusals;
mod vendor;
