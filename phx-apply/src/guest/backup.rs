//! Backups of guest files, kept inside the guest (the content may be key
//! material that has no business on the host) under
//! `/var/lib/phoenix/backups/<run-id>/<path>`, and vouched for in the host
//! run's manifest like host backups: the entry is appended only once the
//! in-guest copy is durable, and it records the size and SHA-256 a rollback
//! checks before restoring, and the mode and numeric owner it restores.

use super::scripts::{MISSING_DIRS, SAVE};
use super::{script, Run};
use crate::manifest::{self, Entry};
use anyhow::{bail, Context};
use phx_plan::Guest;

/// Where in every guest its backups are kept, one directory per run.
pub const GUEST_BACKUPS: &str = "/var/lib/phoenix/backups";

/// Where the run `run_id`'s backup of guest file `path` is, inside the guest.
pub fn backup_path(run_id: &str, path: &str) -> String {
    format!("{GUEST_BACKUPS}/{run_id}{path}")
}

/// What SAVE prints: `mode uid gid size`, then `digest  -`.
fn parse_saved(guest: Guest, path: &str, out: &str) -> Option<Entry> {
    let mut lines = out.lines();
    let mut f = lines.next()?.split_whitespace();
    let mode = u32::from_str_radix(f.next()?, 8).ok()?;
    let uid = f.next()?.parse().ok()?;
    let gid = f.next()?.parse().ok()?;
    let size = f.next()?.parse().ok()?;
    let sha256 = lines.next()?.split_whitespace().next()?.to_string();
    (sha256.len() == 64).then(|| Entry::GuestSaved {
        ctid: guest.id(),
        vm: guest.is_vm(),
        path: path.into(),
        size,
        sha256,
        mode,
        uid,
        gid,
    })
}

/// Set keys of guest files, apart from host paths (which start with `/`)
/// and from `ct<ctid>` / `vm<vmid>`, a guest the run has recorded it keeps
/// backups in.
fn saved_key(guest: Guest, path: &str) -> String {
    format!("{}:{path}", guest.tag())
}

impl Run<'_> {
    /// Saves guest file `path` of `guest` inside the guest, once per run
    /// (the first backup holds the original), and records it.
    pub(crate) fn guest_backup(&mut self, guest: Guest, path: &str) -> anyhow::Result<()> {
        if self.saved.contains(&saved_key(guest, path)) {
            return Ok(());
        }
        if !self.saved.contains(&guest.tag()) {
            let dir = self.open_backup_dir()?;
            let (ctid, vm) = (guest.id(), guest.is_vm());
            manifest::append(&dir, &Entry::GuestBackups { ctid, vm })?;
            self.saved.insert(guest.tag());
        }
        let to = backup_path(&self.run_id, path);
        let r = self.exec(guest, &script("phx-save", SAVE, &[path, &to]), None)?;
        if !r.ok() {
            bail!("{guest}: backing up {path} failed: {}", r.output());
        }
        let Some(entry) = parse_saved(guest, path, &r.stdout) else {
            bail!(
                "{guest}: backing up {path}: unexpected report {:?}",
                r.stdout
            );
        };
        let dir = self.open_backup_dir()?;
        manifest::append(&dir, &entry)
            .with_context(|| format!("recording the backup of {guest}: {path}"))?;
        self.saved.insert(saved_key(guest, path));
        Ok(())
    }

    /// What the run is about to leave in guest file `path` (`None`: a
    /// secret made in the guest), appended before the write so a rollback
    /// touches only a file that still holds it.
    pub(crate) fn guest_wrote(
        &mut self,
        guest: Guest,
        path: &str,
        sha256: Option<String>,
    ) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(
            &dir,
            &Entry::GuestWrote {
                ctid: guest.id(),
                vm: guest.is_vm(),
                path: path.into(),
                sha256,
            },
        )
    }

    /// A guest file the run creates is listed so a rollback removes it again.
    pub(crate) fn guest_created(&mut self, guest: Guest, path: &str) -> anyhow::Result<()> {
        let dir = self.open_backup_dir()?;
        manifest::append(
            &dir,
            &Entry::GuestCreated {
                ctid: guest.id(),
                vm: guest.is_vm(),
                path: path.into(),
            },
        )
    }
}

impl Run<'_> {
    /// The directories a write of guest file `path` is about to make, each
    /// recorded (shallowest first) before the write's `mkdir -p` makes it,
    /// so a rollback removes them again even after a kill.
    pub(crate) fn guest_created_dirs(&mut self, guest: Guest, path: &str) -> anyhow::Result<()> {
        let r = self.exec(
            guest,
            &script("phx-missing-dirs", MISSING_DIRS, &[path]),
            None,
        )?;
        if !r.ok() {
            bail!(
                "{guest}: looking for the directories above {path} failed: {}",
                r.output()
            );
        }
        let missing: Vec<&str> = r.stdout.lines().collect();
        if missing.is_empty() {
            return Ok(());
        }
        let dir = self.open_backup_dir()?;
        for d in missing.into_iter().rev() {
            manifest::append(
                &dir,
                &Entry::GuestCreatedDir {
                    ctid: guest.id(),
                    vm: guest.is_vm(),
                    path: d.into(),
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_report() {
        let sum = "a".repeat(64);
        let e = parse_saved(101.into(), "/etc/x", &format!("4750 0 33 12\n{sum}  -\n")).unwrap();
        assert_eq!(
            e,
            Entry::GuestSaved {
                ctid: 101,
                vm: false,
                path: "/etc/x".into(),
                size: 12,
                sha256: sum,
                mode: 0o4750,
                uid: 0,
                gid: 33,
            }
        );
        assert!(parse_saved(101.into(), "/etc/x", "644 0 0 1\nshort  -\n").is_none());
        assert!(parse_saved(101.into(), "/etc/x", "644 root 0 1\n").is_none());
    }
}
