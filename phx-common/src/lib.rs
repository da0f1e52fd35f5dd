//! phx-common: what every Phoenix tool shares — the configuration model and its
//! validation, the plan format, the executor behind `phx-apply`, and the
//! command-line plumbing that keeps the tool binaries thin.

pub mod apply;
pub mod cli;
pub mod config;
pub mod fsutil;
pub mod plan;
pub mod plan_guest;
pub mod sha256;
pub mod synth;

pub use config::{Guest, Inventory};
pub use plan::{Action, Plan, Step};
