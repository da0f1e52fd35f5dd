//! When a run's renames become durable. Each target is written to a temp
//! file that is fsynced before it is renamed over the target, so a crash
//! (a kill or a power loss) at any point leaves the old file or the new
//! one, whole. The rename itself becomes durable with an fsync of its
//! directory: made once per directory, not once per file (5,000 firewall
//! files in one directory were 5,000 directory fsyncs, a quarter of a first
//! run), before the run does anything that could depend on what it wrote
//! being there — a command, a handler, a guest step, a download — and
//! before it ends. A power loss before that may undo a rename: the target
//! is then its old self, whole, and the manifest (synced before each
//! rename) still lists the write, as it does for a run that was killed.

use crate::Run;
use std::path::Path;

impl Run<'_> {
    /// Renames `tmp` over `dest`; the directory is synced by `sync_dirs`.
    pub(crate) fn rename_into(&mut self, tmp: &Path, dest: &Path) -> std::io::Result<()> {
        std::fs::rename(tmp, dest)?;
        if let Some(parent) = dest.parent() {
            if !self.unsynced.contains(parent) {
                self.unsynced.insert(parent.to_path_buf());
            }
        }
        Ok(())
    }

    /// Fsyncs every directory renamed into since the last call.
    pub(crate) fn sync_dirs(&mut self) {
        for dir in std::mem::take(&mut self.unsynced) {
            crate::atomic::sync_dir(&dir);
        }
    }

    /// How many directories wait for their fsync (tests).
    #[cfg(test)]
    pub(crate) fn unsynced_dirs(&self) -> usize {
        self.unsynced.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Options, Run, Status};
    use phx_plan::{Action, CommandStep, FileStep, Step};

    fn step(id: &str, action: Action) -> Step {
        Step {
            v: 1,
            tool: "test".into(),
            id: id.into(),
            action,
            start: None,
            stop: None,
        }
    }

    fn file(id: &str, path: &str) -> Step {
        step(
            id,
            Action::File(FileStep {
                path: path.into(),
                content: format!("{id}\n"),
                ..Default::default()
            }),
        )
    }

    /// Files written one after another share their directories' fsyncs;
    /// a command runs only once they are made.
    #[test]
    fn directories_are_synced_once_before_a_command_runs() {
        let root = tempfile::tempdir().unwrap();
        let opts = Options {
            root: root.path().to_path_buf(),
            run_commands: true,
            ..Default::default()
        };
        let mut run = Run::new(&opts, crate::confine::Resolver::new(&opts.root)).unwrap();
        for (id, path) in [("a", "/etc/a"), ("b", "/etc/b"), ("c", "/srv/c")] {
            assert_eq!(run.record(&file(id, path)).status, Status::Changed);
        }
        assert_eq!(run.unsynced_dirs(), 2, "/etc and /srv, once each");
        let cmd = step(
            "cmd",
            Action::Command(CommandStep {
                show_output: false,
                argv: vec!["true".into()],
                unless: None,
                only_if: None,
                desc: "cmd".into(),
                notify: vec![],
                timeout_s: None,
            }),
        );
        run.record(&cmd);
        assert_eq!(run.unsynced_dirs(), 0, "synced before the command ran");
    }
}
