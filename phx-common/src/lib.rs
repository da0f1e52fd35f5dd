//! phx-common: what every Phoenix tool shares — the configuration model and its
//! validation, the plan format, pure text edits of managed files, and the
//! command-line plumbing that keeps the tool binaries thin. It never writes to
//! the machine: that is phx-apply's job.

pub mod alloc;
pub mod cli;
pub mod config;
pub mod crypt;
pub mod edit;
pub mod fast_hash;
pub mod firewall;
pub mod fsutil;
pub mod guest_conf;
pub mod guests;
pub mod ip_text;
pub mod node;
pub mod order;
pub mod plan;
pub mod plan_guest;
mod plan_stream;
pub mod probe;
pub mod props;
pub mod secret_ref;
pub mod sha256;
pub mod text;

pub use config::{Guest, Inventory};

pub use plan::{Action, Plan, Step};
