//! The configuration: loading the three JSON files, the typed model, and
//! validation. Nothing is planned from a configuration that has problems.

pub mod declared_flow;
mod digest;
pub mod dup;
mod dup_lines;
pub mod gpu;
mod gpu_check;
pub mod load;
pub mod model;
pub mod mounts;
pub mod names;
pub mod node_storage;
mod options;
pub mod parse;
pub mod path;
pub mod problems;
pub mod raid;
pub mod raw;
pub mod reader;
mod section;
pub mod serve;
pub mod shared_volume;
pub mod step_ca;
pub mod stream;
pub mod suggest;
pub mod unhandled;
pub mod validate;
pub mod vm_volume;

pub use declared_flow::{DeclaredFlow, FlowEnd, FlowProto};
pub use gpu::{ArgValue, EngineConfig, GuestNvidia, NvidiaDriver, NvidiaKeys};
pub use load::{load, Input};
pub use model::*;
pub use options::{Options, Rules};
pub use problems::{Problem, Problems};

/// Splits a raw LXC line into trimmed key and value: `lxc.apparmor.profile=unconfined`
/// and `lxc.mount.auto: sys:rw` both occur; the first `=` or `:` separates.
pub fn split_raw_lxc(s: &str) -> Option<(&str, &str)> {
    let at = s.find(['=', ':'])?;
    Some((s[..at].trim(), s[at + 1..].trim()))
}

/// A raw LXC option as the configuration may give it: split, with a well-formed
/// `lxc.` key and a value.
pub fn raw_lxc_key(s: &str) -> Option<(&str, &str)> {
    let (k, v) = split_raw_lxc(s)?;
    let key_ok = k.starts_with("lxc.")
        && k.len() > 4
        && k.bytes()
            // '-' occurs in real keys: lxc.hook.pre-start, lxc.hook.post-stop.
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    (key_ok && !v.is_empty()).then_some((k, v))
}

#[cfg(test)]
mod tests {
    use super::raw_lxc_key;

    #[test]
    fn raw_lxc_options() {
        assert_eq!(
            raw_lxc_key("lxc.apparmor.profile=unconfined"),
            Some(("lxc.apparmor.profile", "unconfined"))
        );
        assert_eq!(
            raw_lxc_key("lxc.mount.auto:sys:rw"),
            Some(("lxc.mount.auto", "sys:rw"))
        );
        assert_eq!(
            raw_lxc_key("lxc.hook.pre-start: /usr/local/bin/hook"),
            Some(("lxc.hook.pre-start", "/usr/local/bin/hook"))
        );
        assert_eq!(raw_lxc_key("lxc.cap.drop:"), None);
        assert_eq!(raw_lxc_key("memory: 512"), None);
        assert_eq!(raw_lxc_key("lxc.Key=1"), None);
    }
}
