//! Backups of what a run replaces or removes, and the record of what it
//! creates, so `--rollback` can undo it. Backups are written like targets
//! (temp file, fsync, rename) and vouched for by the manifest, whose line
//! for a file is appended only once its backup is durable.

use crate::atomic::{self, commit, write_temp, Mode};
use crate::manifest::{self, Entry};
use crate::Run;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Makes `dir` (its parents as usual) and leaves it 0700, whatever the
/// umask and whatever an older version left: the state directory, the
/// backups and the manifests hold digests of secrets and copies of files
/// others may not read.
pub(crate) fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private (0700)", dir.display()))
}

impl Run<'_> {
    pub(crate) fn run_backup_dir(&self) -> std::io::Result<PathBuf> {
        Ok(self.opts.state_dir()?.join("backups").join(&self.run_id))
    }

    pub(crate) fn open_backup_dir(&mut self) -> anyhow::Result<PathBuf> {
        let dir = self.run_backup_dir()?;
        if self.backup_dir.is_none() {
            let state = self.opts.state_dir()?;
            for d in [state.clone(), state.join("backups"), dir.clone()] {
                private_dir(&d)?;
            }
            self.backup_dir = Some(dir.clone());
        }
        Ok(dir)
    }

    /// Files a run creates are listed so a rollback can remove them again.
    pub(crate) fn record_created(&mut self, path: &str) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(&dir, &Entry::Created { path: path.into() })
    }

    /// `record_created` and `record_wrote` of a new file, made durable
    /// together (one sync, not two, for each file a first run creates).
    pub(crate) fn record_created_wrote(&mut self, path: &str, new: &[u8]) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append_all(
            &dir,
            &[
                Entry::Created { path: path.into() },
                Entry::Wrote {
                    path: path.into(),
                    sha256: Some(manifest::sha256_hex(new)),
                },
            ],
        )
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

    /// Saves what is at `path` now: a symlink as a link (its target, in the
    /// manifest; read through, a dangling one could never be backed up),
    /// anything else as its content, mode, owner and group.
    pub(crate) fn backup(&mut self, path: &str) -> anyhow::Result<()> {
        if !self.saved.insert(path.to_string()) {
            // Two steps edit one file: the first backup holds the original.
            return Ok(());
        }
        let dir = self.open_backup_dir()?;
        let at = self.dest(path)?;
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            let target = std::fs::read_link(&at)
                .with_context(|| format!("reading the link {}", at.display()))?;
            let target = target.to_str().with_context(|| {
                format!(
                    "{} links to a name that is not UTF-8; not backed up",
                    at.display()
                )
            })?;
            return manifest::append(
                &dir,
                &Entry::SavedLink {
                    path: path.into(),
                    target: target.into(),
                },
            );
        }
        let dest = self.real(path)?;
        // Bounded, and never a FIFO or a device (fsutil::read_regular).
        let content = phx_plan::fsutil::read_regular(&dest, phx_plan::fsutil::MAX_READ)
            .and_then(|c| c.ok_or_else(|| std::io::ErrorKind::NotFound.into()))
            .with_context(|| format!("reading {}", dest.display()))?;
        let meta = std::fs::metadata(&dest)?;
        self.save(path, &content, &meta)
    }

    /// Saves `content`, which `path` holds with `meta`'s mode, owner and
    /// group: read by the caller (a file in a directory guests can write
    /// is read through the descriptor it was opened with, see `nofollow`).
    pub(crate) fn backup_read(
        &mut self,
        path: &str,
        content: &[u8],
        meta: &std::fs::Metadata,
    ) -> anyhow::Result<()> {
        if !self.saved.insert(path.to_string()) {
            return Ok(());
        }
        self.save(path, content, meta)
    }

    fn save(&mut self, path: &str, content: &[u8], meta: &std::fs::Metadata) -> anyhow::Result<()> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = self.open_backup_dir()?;
        let to = crate::confine::resolve_parent(&dir, Path::new(path))?;
        let mode = meta.permissions().mode() & 0o7777;
        let tmp = write_temp(&to, content, Mode::Exact(mode))
            .with_context(|| format!("backing up {path} to {}", to.display()))?;
        commit(&tmp, &to).with_context(|| format!("backing up to {}", to.display()))?;
        manifest::append(
            &dir,
            &Entry::Saved {
                path: path.into(),
                size: content.len() as u64,
                sha256: manifest::sha256_hex(content),
                mode,
                uid: meta.uid(),
                gid: meta.gid(),
            },
        )
    }

    /// Records, just before the write, what `path` will hold (`None`:
    /// removed), so a rollback can tell whether anything changed it since.
    /// As [`Self::record_wrote`], for a file too large to hold in memory
    /// (a download), whose SHA-256 the caller computed while reading it.
    pub(crate) fn record_wrote_digest(&mut self, path: &str, sha256: String) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(
            &dir,
            &Entry::Wrote {
                path: path.into(),
                sha256: Some(sha256),
            },
        )
    }

    pub(crate) fn record_wrote(&mut self, path: &str, new: Option<&[u8]>) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(
            &dir,
            &Entry::Wrote {
                path: path.into(),
                sha256: new.map(manifest::sha256_hex),
            },
        )
    }
}

/// What pruning did: the run directories it removed, and why each run it
/// would have removed stays (a guest holding its in-guest backups).
#[derive(Debug, Default)]
pub struct Pruned {
    pub removed: Vec<PathBuf>,
    pub held: Vec<String>,
}

/// Keeps the newest `keep` run directories under `backups` (run ids sort by
/// time), and always those in `spare` (this run's, armed runs', runs owing a
/// handler): the one a rollback may still need. Older ones are removed,
/// each with its in-guest backups (`guest::prune`), and only once those are
/// gone: until then the run stays and `held` says why. Only names shaped
/// like run ids are touched.
pub fn prune(
    opts: &crate::Options,
    backups: &Path,
    keep: usize,
    spare: &std::collections::BTreeSet<String>,
) -> anyhow::Result<Pruned> {
    let mut pruned = Pruned::default();
    let Ok(entries) = std::fs::read_dir(backups) else {
        return Ok(pruned);
    };
    let mut runs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| is_run_id(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    runs.sort();
    let excess = runs.len().saturating_sub(keep);
    let old = runs.into_iter().take(excess).filter(|d| {
        !d.file_name()
            .is_some_and(|n| spare.contains(n.to_string_lossy().as_ref()))
    });
    for d in old {
        let held = crate::guest::prune::prune_guests(opts, &d);
        if !held.is_empty() {
            let run = d.file_name().unwrap_or_default().to_string_lossy();
            pruned.held.extend(
                held.into_iter()
                    .map(|why| format!("backup {run} kept past --keep-backups: {why}")),
            );
            continue;
        }
        std::fs::remove_dir_all(&d)
            .with_context(|| format!("removing old backup {}", d.display()))?;
        pruned.removed.push(d);
    }
    Ok(pruned)
}

pub use phx_plan::armed::is_run_id;
