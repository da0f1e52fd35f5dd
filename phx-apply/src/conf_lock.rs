//! A Proxmox guest's conf is changed the way Proxmox's own tools change it
//! (pve-guest-common src/PVE/AbstractConfig.pm:329 lock_config and :336 check_lock):
//! under an exclusive flock on the guest's lock file, waited for up to 10
//! seconds, and never while the conf's main section carries `lock:` (a
//! backup, migration or snapshot in progress, which would be undone).

use crate::outcome::{outcome, Outcome, Status};
use crate::Run;
use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};
use phx_plan::{ConfLock, Step};
use std::fs::File;
use std::time::{Duration, Instant};

/// lock_config's wait: `lock_config_full($vmid, 10, …)`.
const WAIT: Duration = Duration::from_secs(10);

/// What a step writing a guest's conf may do.
pub(crate) enum ConfAccess {
    /// Go on, holding this (None: no lock asked for, or only checking).
    Free(Option<Flock<File>>),
    /// The conf carries `lock:`: this is the step's outcome.
    Locked(Outcome),
}

/// The value of the `lock:` line in the conf's main section (before the
/// first `[section]`), if any.
pub(crate) fn lock_line(conf: &str) -> Option<&str> {
    conf.lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.strip_prefix("lock:"))
        .map(str::trim)
}

impl Run<'_> {
    /// Takes `lock`'s flock (not when only checking: that writes nothing,
    /// the lock file included), then looks at the conf at `path` as it is
    /// under the lock.
    pub(crate) fn conf_access(
        &self,
        step: &Step,
        path: &str,
        lock: Option<&ConfLock>,
    ) -> anyhow::Result<ConfAccess> {
        let Some(lock) = lock else {
            return Ok(ConfAccess::Free(None));
        };
        let held = if self.opts.check {
            None
        } else {
            Some(self.flock(&lock.lock_file)?)
        };
        if let Some(value) = self.read(path)?.as_deref().and_then(lock_line) {
            return Ok(ConfAccess::Locked(outcome(
                step,
                Status::Failed,
                format!(
                    "{} is locked ({value}): {path} is not written while Proxmox holds it (its lock: line; a backup, migration or snapshot in progress); run again when that is done",
                    lock.guest
                ),
            )));
        }
        Ok(ConfAccess::Free(held))
    }

    /// An exclusive flock on `lock_file` (made as Perl's `>>` would), waited
    /// for up to [`WAIT`].
    fn flock(&self, lock_file: &str) -> anyhow::Result<Flock<File>> {
        let real = self.dest(lock_file)?;
        if let Some(dir) = real.parent() {
            // pve-container makes /run/lock/lxc itself (`mkdir $lockdir`).
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&real)
            .with_context(|| format!("opening {}", real.display()))?;
        let started = Instant::now();
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(held) => return Ok(held),
                Err((back, _)) if started.elapsed() < WAIT => {
                    file = back;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err((_, e)) => anyhow::bail!(
                    "can't lock file '{lock_file}' - got timeout after {} s ({e}): a Proxmox tool holds the guest's conf",
                    WAIT.as_secs()
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_main_sections_lock_counts() {
        assert_eq!(lock_line("arch: amd64\nlock: backup\n"), Some("backup"));
        assert_eq!(lock_line("arch: amd64\n\n[snap]\nlock: snapshot\n"), None);
        assert_eq!(lock_line("arch: amd64\n#lock: x\n"), None);
    }
}
