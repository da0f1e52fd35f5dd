//! phx-features' integration tests: plans on the upstream fixture and the
//! example, refusals, and plans applied with the pct double (a chrooted root
//! per container) and the guest-program doubles inside.

mod apply;
mod common;
mod plan;
mod real_root;
