//! File-system helpers every tool needs to look at the machine: paths under a
//! root and files that may be missing. Writing belongs to phx-apply.

use std::path::{Path, PathBuf};

/// The largest configuration document read (by the loader, and by
/// phx-apply for a secret reference): the 100,000-guest synthetic inventory that
/// `scripts/bench` loads has files of up to 99 MB; past 128 MiB a document
/// is not a configuration. (It was 64 MiB until the bench reported 100,000.)
pub const MAX_DOCUMENT: u64 = 128 << 20;

/// `/etc/hosts` under `/tmp/r` is `/tmp/r/etc/hosts`; under `/` it is itself.
pub fn under_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Reads a file that may not exist.
pub fn read_optional(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
