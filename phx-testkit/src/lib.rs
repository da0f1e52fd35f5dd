//! What every Phoenix crate's tests share: where the repository's example and
//! fixture configurations are, loading and editing them in temp copies, and
//! the test doubles of programs that only exist on Proxmox (`doubles/`).
//!
//! Commands reach the doubles through the PATH this crate builds
//! ([`doubles_path`]), handed to the executor in its options, never by
//! changing the test process's environment: test threads read it concurrently.

pub mod config;
pub mod doubles;
pub mod guests;

pub use config::*;
pub use doubles::*;
pub use guests::*;
