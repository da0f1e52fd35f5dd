//! Before a rollback touches anything: the manifest's MACs verified (see
//! `manifest::read`), every path in it plain, every saved file there with
//! the size, SHA-256 and mode the manifest gives, and nothing else in the
//! backup directory. A torn backup restored would empty a healthy file; an
//! unvouched one is not Phoenix's to restore.

use crate::atomic::is_dead_temp;
use crate::check::host_path_problem;
use crate::confine::resolve_parent;
use crate::manifest::{self, Entry, MANIFEST};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A saved file that verified: where it goes back, its content and metadata.
pub(crate) struct Verified {
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

fn refuse(backup_dir: &Path, why: String) -> anyhow::Error {
    anyhow::anyhow!(
        "the backup {} does not verify: {why}; nothing was restored",
        backup_dir.display()
    )
}

/// The saved files, each verified, or why the backup cannot be trusted.
pub(crate) fn verify(backup_dir: &Path, entries: &[Entry]) -> anyhow::Result<Vec<Verified>> {
    let refuse = |why: String| refuse(backup_dir, why);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for e in entries {
        let path = match e {
            Entry::Saved { path, .. }
            | Entry::SavedLink { path, .. }
            | Entry::Created { path }
            | Entry::CreatedDir { path }
            | Entry::Wrote { path, .. } => path,
            Entry::Handler { argv } | Entry::GuestHandler { argv, .. } if argv.is_empty() => {
                return Err(refuse("a handler with an empty argv".into()))
            }
            Entry::GuestHandler { vmid, .. } if !crate::guest::check::ctid_ok(*vmid) => {
                return Err(refuse(format!("a handler in VM {vmid}, which is no VM id")))
            }
            Entry::Handler { .. } | Entry::GuestHandler { .. } => continue,
            // Verified inside their guest, before this (`guest::restore::verify`).
            Entry::GuestSaved { .. }
            | Entry::GuestBackups { .. }
            | Entry::GuestCreated { .. }
            | Entry::GuestCreatedDir { .. }
            | Entry::GuestWrote { .. } => continue,
        };
        if let Some(p) = host_path_problem(path) {
            return Err(refuse(format!("manifest path {path:?}: {p}")));
        }
        if let Entry::SavedLink { target, .. } = e {
            if target.is_empty() || target.contains('\0') {
                return Err(refuse(format!(
                    "the saved link {path} has no usable target"
                )));
            }
        }
        let Entry::Saved {
            path,
            size,
            sha256,
            mode,
            uid,
            gid,
        } = e
        else {
            continue;
        };
        if !seen.insert(path.as_str()) {
            return Err(refuse(format!("{path} is saved twice")));
        }
        let backup = resolve_parent(backup_dir, Path::new(path))?;
        let meta = std::fs::symlink_metadata(&backup)
            .map_err(|err| refuse(format!("the backup of {path} is missing ({err})")))?;
        if !meta.is_file() {
            return Err(refuse(format!(
                "the backup of {path} is not a regular file"
            )));
        }
        use std::os::unix::fs::PermissionsExt;
        let have = meta.permissions().mode() & 0o7777;
        if have != *mode || *mode > 0o7777 {
            return Err(refuse(format!(
                "the backup of {path} has mode {have:04o}, the manifest says {mode:04o}"
            )));
        }
        let content = std::fs::read(&backup)
            .map_err(|err| refuse(format!("reading the backup of {path}: {err}")))?;
        if content.len() as u64 != *size {
            return Err(refuse(format!(
                "the backup of {path} holds {} bytes, the manifest says {size}",
                content.len()
            )));
        }
        if manifest::sha256_hex(&content) != *sha256 {
            return Err(refuse(format!(
                "the backup of {path} does not match its SHA-256"
            )));
        }
        out.push(Verified {
            path: path.clone(),
            content,
            mode: *mode,
            uid: *uid,
            gid: *gid,
        });
    }
    let vouched: BTreeSet<PathBuf> = out
        .iter()
        .map(|v| backup_dir.join(v.path.trim_start_matches('/')))
        .collect();
    if let Some(stray) = unvouched(backup_dir, backup_dir, &vouched)? {
        return Err(refuse(format!(
            "{} is in it, and the manifest does not vouch for it",
            stray.display()
        )));
    }
    Ok(out)
}

/// The first thing under `dir` that is neither the manifest, a vouched
/// file, a directory, nor a temp file a killed run left mid-copy (never
/// restored, so harmless).
fn unvouched(
    top: &Path,
    dir: &Path,
    vouched: &BTreeSet<PathBuf>,
) -> anyhow::Result<Option<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| refuse(top, format!("{}: {e}", dir.display())))?;
    for e in entries {
        let e = e?;
        let path = e.path();
        let kind = e.file_type()?;
        if kind.is_dir() {
            if let Some(stray) = unvouched(top, &path, vouched)? {
                return Ok(Some(stray));
            }
            continue;
        }
        let name = e.file_name();
        let name = name.to_string_lossy();
        let ok = kind.is_file()
            && ((dir == top && name == MANIFEST) || vouched.contains(&path) || is_dead_temp(&name));
        if !ok {
            return Ok(Some(path));
        }
    }
    Ok(None)
}
