//! phx-common: what every Phoenix tool shares — the configuration model and its
//! validation, and the
//! command-line plumbing that keeps the tool binaries thin. It never writes to
//! the machine: that is phx-apply's job.

pub mod alloc;
pub mod bind_sources;
pub mod cli;
pub mod config;
pub mod fast_hash;
pub mod fetch;
pub mod firewall;
pub mod flows;
pub mod gpu;
pub mod guest_conf;
pub mod guest_storage;
pub mod guests;
pub mod ip_text;
pub mod lspci;
pub mod nfs_storages;
pub mod node;
pub mod observed_record;
pub mod order;
pub mod pem;
pub mod pkg;
pub mod probe;
pub mod props;
pub mod registry;
pub mod storage_cfg;
pub mod text;
pub mod tool;
pub mod vm_agent;

pub use config::{Guest, Inventory};
