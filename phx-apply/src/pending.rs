//! Handlers owed: a restart notified by a change must happen even when the
//! run fails or is killed before the handler's turn. The ids of notified
//! handlers are written to the state directory *before* the change that
//! notifies them is made, each with the run that made it, and taken off
//! once the handler has run (or was rightly skipped); the next apply starts
//! with them notified. A kill between a write and its handler so costs at
//! most one extra restart, never a lost one; and the run that made the
//! change is known, so an owed lockout-prone handler arms that run's
//! rollback even when the run that finally runs it changed nothing.

use crate::atomic::{commit, write_temp, Mode};
use crate::Run;
use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const PENDING: &str = "pending-handlers";

/// Each owed handler's id, and the runs whose changes owe it.
pub type Owed = BTreeMap<String, BTreeSet<String>>;

/// The owed handlers, one `<handler>\t<run>` a line (a line without a run,
/// as versions before 0.3 wrote, owes the handler for no known run).
pub fn load(state_dir: &Path) -> anyhow::Result<Owed> {
    let path = state_dir.join(PENDING);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Owed::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut owed = Owed::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (id, run) = line.split_once('\t').unwrap_or((line, ""));
        let runs = owed.entry(id.to_string()).or_default();
        if !run.is_empty() {
            runs.insert(run.to_string());
        }
    }
    Ok(owed)
}

fn store(path: &Path, owed: &Owed) -> anyhow::Result<()> {
    if owed.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        };
    }
    let mut text = String::new();
    for (id, runs) in owed {
        if runs.is_empty() {
            text.push_str(&format!("{id}\n"));
        }
        for run in runs {
            text.push_str(&format!("{id}\t{run}\n"));
        }
    }
    let tmp = write_temp(path, text.as_bytes(), Mode::Exact(0o600))?;
    commit(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Every run some owed handler is owed for: their backups are kept.
pub fn owing_runs(owed: &Owed) -> BTreeSet<String> {
    owed.values().flatten().cloned().collect()
}

impl Run<'_> {
    fn pending_path(&self) -> anyhow::Result<PathBuf> {
        Ok(self.opts.state_dir()?.join(PENDING))
    }

    /// Called just before a step's change is made: its handlers are owed
    /// from now on, for this run, durably.
    pub(crate) fn owe(&mut self, notify: &[String]) -> anyhow::Result<()> {
        if self.opts.check
            || notify.iter().all(|h| {
                self.pending
                    .get(h)
                    .is_some_and(|r| r.contains(&self.run_id))
            })
        {
            return Ok(());
        }
        for h in notify {
            self.pending
                .entry(h.clone())
                .or_default()
                .insert(self.run_id.clone());
        }
        store(&self.pending_path()?, &self.pending)
    }

    /// The runs whose changes `handler` is owed for (this one among them).
    pub(crate) fn owed_for(&self, handler: &str) -> Vec<String> {
        self.pending
            .get(handler)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A handler ran, or was rightly not run (only_if, superseded): not owed.
    pub(crate) fn settle(&mut self, handler: &str) -> anyhow::Result<()> {
        if self.opts.check || self.pending.remove(handler).is_none() {
            return Ok(());
        }
        store(&self.pending_path()?, &self.pending)
    }
}
