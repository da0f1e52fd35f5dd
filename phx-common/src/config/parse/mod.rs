//! Raw sections → typed model, one module per section. Every read goes
//! through `Reader`, so a bad value becomes a problem with its file and path,
//! and checking continues.

pub mod document;
pub mod firewall;
pub mod guest;
pub mod host;
pub mod lxc;
pub mod lxc_options;
pub mod nfs;
pub mod nvidia;
pub mod records;
pub mod shared_volumes;
pub mod tokens;
pub mod vm;
pub mod zfs;

pub use document::{Document, Shape};
pub use host::hypervisor;
pub use lxc::{lxc_entry, LeftOut};
pub use tokens::{is_iface_name, is_storage_id, MAX_ID, MIN_ID};
pub use vm::vms;
