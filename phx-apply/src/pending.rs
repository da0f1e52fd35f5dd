//! Handlers owed: a restart notified by a change must happen even when the
//! run fails or is killed before the handler's turn. The ids of notified
//! handlers are written to the state directory *before* the change that
//! notifies them is made, and taken off once the handler has run (or was
//! rightly skipped); the next apply starts with them notified. A kill
//! between a write and its handler so costs at most one extra restart,
//! never a lost one.

use crate::atomic::{commit, write_temp, Mode};
use crate::Run;
use anyhow::Context;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const PENDING: &str = "pending-handlers";

/// The owed handlers' ids, one a line (missing file: none).
pub fn load(state_dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    let path = state_dir.join(PENDING);
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn store(path: &Path, ids: &BTreeSet<String>) -> anyhow::Result<()> {
    if ids.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        };
    }
    let text: String = ids.iter().map(|i| format!("{i}\n")).collect();
    let tmp = write_temp(path, text.as_bytes(), Mode::Exact(0o600))?;
    commit(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

impl Run<'_> {
    fn pending_path(&self) -> anyhow::Result<PathBuf> {
        Ok(self.opts.state_dir()?.join(PENDING))
    }

    /// Called just before a step's change is made: its handlers are owed
    /// from now on, durably.
    pub(crate) fn owe(&mut self, notify: &[String]) -> anyhow::Result<()> {
        if self.opts.check || notify.iter().all(|h| self.pending.contains(h)) {
            return Ok(());
        }
        self.pending.extend(notify.iter().cloned());
        store(&self.pending_path()?, &self.pending)
    }

    /// A handler ran, or was rightly not run (only_if, superseded): not owed.
    pub(crate) fn settle(&mut self, handler: &str) -> anyhow::Result<()> {
        if self.opts.check || !self.pending.remove(handler) {
            return Ok(());
        }
        store(&self.pending_path()?, &self.pending)
    }
}
