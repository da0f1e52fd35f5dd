//! Backups of what a run replaces or removes, and the record of what it
//! creates, so `--rollback` can undo it. Backups are written like targets
//! (temp file, fsync, rename) and vouched for by the manifest, whose line
//! for a file is appended only once its backup is durable.

use crate::atomic::{self, commit, write_temp, Mode};
use crate::manifest::{self, Entry};
use crate::Run;
use anyhow::Context;
use std::path::{Path, PathBuf};

impl Run<'_> {
    pub(crate) fn run_backup_dir(&self) -> std::io::Result<PathBuf> {
        Ok(self.opts.state_dir()?.join("backups").join(&self.run_id))
    }

    fn open_backup_dir(&mut self) -> anyhow::Result<PathBuf> {
        let dir = self.run_backup_dir()?;
        if self.backup_dir.is_none() {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            self.backup_dir = Some(dir.clone());
        }
        Ok(dir)
    }

    /// Files a run creates are listed so a rollback can remove them again.
    pub(crate) fn record_created(&mut self, path: &str) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(&dir, &Entry::Created { path: path.into() })
    }

    /// Makes the directories missing above `path`, each recorded first so a
    /// rollback removes them again, and clears the dead runs' temp files
    /// from the directory the file goes to (once per directory and run).
    pub(crate) fn prepare_parent(&mut self, path: &str) -> anyhow::Result<()> {
        let dest = self.dest(path)?;
        let Some(parent) = dest.parent() else {
            return Ok(());
        };
        let mut missing = Vec::new();
        let mut dir = Some(parent);
        while let Some(d) = dir.filter(|d| !d.exists()) {
            missing.push(d.to_path_buf());
            dir = d.parent();
        }
        for d in missing.iter().rev() {
            let rel = d.strip_prefix(&self.opts.root).unwrap_or(d);
            let host_path = format!("/{}", rel.display());
            let bdir = self.open_backup_dir()?;
            manifest::append(&bdir, &Entry::CreatedDir { path: host_path })?;
            std::fs::create_dir(d).or_else(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Ok(()),
                _ => Err(e).with_context(|| format!("creating {}", d.display())),
            })?;
        }
        if self.scanned.insert(parent.to_path_buf()) {
            atomic::remove_stale_temps(parent);
        }
        Ok(())
    }

    /// Saves the current content of `path` (read through `real`, inside the root).
    pub(crate) fn backup(&mut self, path: &str) -> anyhow::Result<()> {
        if !self.saved.insert(path.to_string()) {
            // Two steps edit one file: the first backup holds the original.
            return Ok(());
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = self.open_backup_dir()?;
        let to = crate::confine::resolve_parent(&dir, Path::new(path))?;
        let dest = self.real(path)?;
        // Bounded, and never a FIFO or a device (fsutil::read_regular).
        let content = phx_common::fsutil::read_regular(&dest, phx_common::fsutil::MAX_READ)
            .and_then(|c| c.ok_or_else(|| std::io::ErrorKind::NotFound.into()))
            .with_context(|| format!("reading {}", dest.display()))?;
        let mode = std::fs::metadata(&dest)?.permissions().mode() & 0o7777;
        let tmp = write_temp(&to, &content, Mode::Exact(mode))
            .with_context(|| format!("backing up {} to {}", dest.display(), to.display()))?;
        commit(&tmp, &to).with_context(|| format!("backing up to {}", to.display()))?;
        manifest::append(
            &dir,
            &Entry::Saved {
                path: path.into(),
                size: content.len() as u64,
                sha256: manifest::sha256_hex(&content),
            },
        )
    }
}

/// Keeps the newest `keep` run directories under `backups` (run ids sort by
/// time); older ones are removed. Only names shaped like run ids are touched.
pub fn prune(backups: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(backups) else {
        return Ok(Vec::new());
    };
    let mut runs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| is_run_id(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    runs.sort();
    let excess = runs.len().saturating_sub(keep);
    let old: Vec<PathBuf> = runs.into_iter().take(excess).collect();
    for d in &old {
        std::fs::remove_dir_all(d)
            .with_context(|| format!("removing old backup {}", d.display()))?;
    }
    Ok(old)
}

/// `<seconds>-<nanoseconds>-<pid>`, every part digits.
pub fn is_run_id(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}
