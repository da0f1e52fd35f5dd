//! The configuration: loading the three JSON files, the typed model, and
//! validation. Nothing is planned from a configuration that has problems.

pub mod load;
pub mod model;
pub mod names;
pub mod parse;
pub mod problems;
pub mod reader;
pub mod validate;

pub use load::{load, Input};
pub use model::*;
pub use problems::{Problem, Problems};

/// Splits a raw LXC option into key and value: `lxc.apparmor.profile=unconfined`
/// and `lxc.mount.auto: sys:rw` both occur; the first `=` or `:` separates.
pub fn raw_lxc_key(s: &str) -> Option<(&str, &str)> {
    let at = s.find(['=', ':'])?;
    let (k, v) = (s[..at].trim(), s[at + 1..].trim());
    let key_ok = k.starts_with("lxc.")
        && k.len() > 4
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    (key_ok && !v.is_empty()).then_some((k, v))
}
