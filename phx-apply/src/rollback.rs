//! Undoing one run: every file it replaced or removed comes back from its
//! backup, every file it created is removed. Commands are not undone.

use crate::atomic::{commit, write_temp};
use anyhow::Context;
use phx_common::fsutil::under_root;
use std::path::{Path, PathBuf};

/// The list of files a run created, kept beside its backups.
pub const CREATED: &str = ".phoenix-created";

/// What a rollback did, one line per file.
pub fn rollback(root: &Path, backup_dir: &Path) -> anyhow::Result<Vec<String>> {
    if !backup_dir.is_dir() {
        anyhow::bail!("{} is not a backup directory", backup_dir.display());
    }
    let mut done = Vec::new();
    let mut stack = vec![backup_dir.to_path_buf()];
    let mut saved: Vec<PathBuf> = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != CREATED) {
                saved.push(p);
            }
        }
    }
    saved.sort();
    for file in saved {
        let rel = file
            .strip_prefix(backup_dir)
            .expect("walked below the backup dir");
        let path = format!("/{}", rel.display());
        let content =
            std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let dest = under_root(root, &path);
        restore(&file, &dest, &content).with_context(|| format!("restoring {}", dest.display()))?;
        done.push(format!("restored {path}"));
    }
    if let Ok(list) = std::fs::read_to_string(backup_dir.join(CREATED)) {
        for path in list.lines().filter(|l| !l.is_empty()) {
            let dest = under_root(root, path);
            match std::fs::remove_file(&dest) {
                Ok(()) => done.push(format!("removed {path} (the run created it)")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", dest.display())),
            }
        }
    }
    Ok(done)
}

/// Puts `content` back at `dest` with the backup's mode (exactly, whatever the
/// umask) and the current file's owner when there is one.
fn restore(backup: &Path, dest: &Path, content: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(backup)?.permissions().mode() & 0o7777;
    let tmp = write_temp(dest, content, Some(mode))?;
    let fixed = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
        .map_err(anyhow::Error::from)
        .and_then(|_| super::keep_metadata(&tmp, dest, false));
    if let Err(e) = fixed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    commit(&tmp, dest)?;
    Ok(())
}
