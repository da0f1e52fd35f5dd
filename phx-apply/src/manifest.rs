//! A run's backup manifest: one JSON line per saved file (its path on the
//! host, size and SHA-256), per file and per directory the run created.
//! Each line is appended and fsynced only once what it describes is durable,
//! so a rollback can tell a whole backup from one a kill tore: any file in
//! the backup directory the manifest does not vouch for, a size or hash that
//! does not match, or a torn line, and nothing is restored.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub const MANIFEST: &str = ".phoenix-manifest";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// `path` was replaced or removed; its old content is in the backup.
    Saved {
        path: String,
        size: u64,
        sha256: String,
    },
    /// `path` did not exist before the run.
    Created { path: String },
    /// The run made this directory for a file it created.
    CreatedDir { path: String },
    /// The run ran this handler; a rollback runs it again on the old files.
    Handler { argv: Vec<String> },
    /// Guest file `path` in CT `ctid` was replaced (or its mode or owner
    /// changed); its old content is saved inside the guest (see
    /// `guest::backup`), with what it must verify as and the mode and
    /// numeric owner it goes back with.
    GuestSaved {
        ctid: u32,
        path: String,
        size: u64,
        sha256: String,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// Guest file `path` in CT `ctid` did not exist before the run.
    GuestCreated { ctid: u32, path: String },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends one entry and makes it durable before the caller goes on.
pub fn append(dir: &Path, entry: &Entry) -> anyhow::Result<()> {
    let path = dir.join(MANIFEST);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    f.write_all(&line)?;
    f.sync_data()
        .with_context(|| format!("syncing {}", path.display()))
}

/// The entries, or why the manifest cannot be trusted.
pub fn read(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no manifest ({MANIFEST}): the backup is incomplete or not Phoenix's",
            dir.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        bail!("{}: the last line is torn", path.display());
    }
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a manifest entry", path.display(), i + 1))
        })
        .collect()
}
