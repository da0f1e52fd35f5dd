//! Backups of what a run replaces or removes, and the list of what it
//! creates, so `--rollback` can undo it.

use crate::{rollback, Run};
use anyhow::Context;
use phx_common::fsutil::under_root;
use std::path::{Path, PathBuf};

impl Run<'_> {
    pub(crate) fn run_backup_dir(&self) -> PathBuf {
        self.opts.state_dir().join("backups").join(&self.run_id)
    }

    /// Files a run creates are listed so a rollback can remove them again.
    pub(crate) fn record_created(&mut self, path: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let dir = self.run_backup_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(rollback::CREATED))?;
        writeln!(f, "{path}")?;
        self.backup_dir = Some(dir);
        Ok(())
    }

    pub(crate) fn backup(&mut self, path: &str, dest: &Path) -> anyhow::Result<()> {
        let dir = self.run_backup_dir();
        let to = under_root(&dir, path);
        if to.exists() {
            // Two steps edit one file: the first backup holds the original.
            return Ok(());
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(dest, &to)
            .with_context(|| format!("backing up {} to {}", dest.display(), to.display()))?;
        self.backup_dir = Some(dir);
        Ok(())
    }
}
