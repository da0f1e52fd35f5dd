//! phx-features' integration tests: plans on the upstream fixture and the
//! example, refusals, and plans applied with the pct double (a chrooted root
//! per container) and the guest-program doubles inside; base_setup (and
//! docker, Docker's packages through a double) in a real Debian 12 root;
//! VMs through the qm double's guest agent (vms.rs).

mod apply;
mod common;
mod guest_filter;
mod nvidia;
mod ollama;
mod plan;
mod real_root;
mod real_root_nvidia;
mod real_vllm;
mod recipes;
mod serve;
mod vms;
