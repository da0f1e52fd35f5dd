//! The exit-status contract every Phoenix program keeps.

pub const EXIT_OK: u8 = 0;
/// Something failed at run time.
pub const EXIT_FAILED: u8 = 1;
/// Bad input or usage: nothing was done.
pub const EXIT_INVALID: u8 = 2;
/// `--check` found changes pending.
pub const EXIT_PENDING: u8 = 3;
