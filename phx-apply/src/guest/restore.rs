//! The guest half of `--rollback`: guest files the run replaced come back
//! from their in-guest backups (with the recorded mode and owner), guest
//! files it created are removed, and then the directories it made for them
//! (deepest first, each only when empty). As on the host, nothing is restored unless
//! every backup that can be reached verifies (size and SHA-256, read in the
//! guest) first. A guest that is not running cannot be reached: each of its
//! files is reported as not restored, nothing of it is touched, and the
//! rollback fails once the rest is back.
//!
//! As on the host, a guest file is restored or removed only while it holds
//! what the run left there (its last `GuestWrote`, checked in the guest);
//! one changed since is kept and named, and the rollback exits 1. Secrets
//! the run generated in a guest are kept, not deleted, and reported: data
//! encrypted with them since would otherwise be lost for good.

use super::backup::backup_path;
use super::check::{ctid_ok, guest_path_ok};
use super::script;
use super::scripts::{CHANGED_SINCE, CHECK_BACKUP, REMOVE_CREATED, REMOVE_DIRS, RESTORE};
use super::via;
use crate::manifest::{self, Entry};
use crate::rollback::Done;
use crate::run::{run, Ran};
use crate::Options;
use anyhow::{bail, Context};
use phx_plan::Guest;
use std::collections::BTreeMap;
use std::path::Path;

/// The guest entries of one run, by guest, once checked.
pub struct GuestRollback {
    run_id: String,
    /// Guests that can be reached, with their entries (saved and created).
    reachable: BTreeMap<Guest, Vec<Entry>>,
    /// Guests that cannot, with why and their entries.
    unreachable: BTreeMap<Guest, (String, Vec<Entry>)>,
}

/// `argv` run in `guest` with `input`, within the command timeout.
fn in_guest(
    opts: &Options,
    guest: Guest,
    argv: &[String],
    input: Option<&[u8]>,
) -> std::io::Result<Ran> {
    via::run_in(opts, guest, argv, input, opts.command_timeout)
}

/// Why `guest` cannot be reached now, if it cannot. `pct status` prints
/// `status: <status>` (pve-container src/PVE/CLI/pct.pm, 94f5585, line 81);
/// a VM is reached when its guest agent answers (`via::ping`).
pub(super) fn unreachable_why(opts: &Options, guest: Guest) -> Option<String> {
    if !opts.may_run() {
        return Some("guests are not reached under --root without --run-commands".into());
    }
    let ctid = match guest {
        Guest::Vm(vmid) => {
            return via::ping(opts, vmid)
                .err()
                .map(|e| format!("VM {vmid}: {e}"))
        }
        Guest::Ct(ctid) => ctid,
    };
    let argv = ["pct".to_string(), "status".into(), ctid.to_string()];
    match run(&argv, opts) {
        Ok(r) if r.ok() && r.stdout.trim() == "status: running" => None,
        Ok(r) if r.ok() => Some(format!("CT {ctid} is not running ({})", r.stdout.trim())),
        Ok(r) => Some(format!("CT {ctid}: pct status failed: {}", r.output())),
        Err(e) => Some(format!("CT {ctid}: pct could not run: {e}")),
    }
}

/// Reads the run's guest entries and checks every reachable guest's backups;
/// an error means nothing may be restored (host files included).
pub fn verify(opts: &Options, backup_dir: &Path) -> anyhow::Result<GuestRollback> {
    let refuse = |why: String| {
        anyhow::anyhow!(
            "the backup {} does not verify: {why}; nothing was restored",
            backup_dir.display()
        )
    };
    let run_id = backup_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut by_guest: BTreeMap<Guest, Vec<Entry>> = BTreeMap::new();
    for e in manifest::read(backup_dir)? {
        let (Entry::GuestSaved { path, .. }
        | Entry::GuestCreated { path, .. }
        | Entry::GuestCreatedDir { path, .. }
        | Entry::GuestWrote { path, .. }) = &e
        else {
            continue;
        };
        let Some(guest) = e.guest() else { continue };
        if !ctid_ok(guest.id()) || !guest_path_ok(path) {
            return Err(refuse(format!("manifest guest entry {guest} {path:?}")));
        }
        by_guest.entry(guest).or_default().push(e);
    }
    let mut out = GuestRollback {
        run_id,
        reachable: BTreeMap::new(),
        unreachable: BTreeMap::new(),
    };
    for (ctid, entries) in by_guest {
        if let Some(why) = unreachable_why(opts, ctid) {
            out.unreachable.insert(ctid, (why, entries));
            continue;
        }
        for e in &entries {
            let Entry::GuestSaved {
                path, size, sha256, ..
            } = e
            else {
                continue;
            };
            let b = backup_path(&out.run_id, path);
            let r = in_guest(
                opts,
                ctid,
                &script("phx-check-backup", CHECK_BACKUP, &[&b]),
                None,
            )
            .with_context(|| format!("{ctid}: checking the backup of {path}"))?;
            let mut lines = r.stdout.lines();
            let found = (lines.next(), lines.next().and_then(|l| l.split(' ').next()));
            match found {
                _ if !r.ok() => {
                    return Err(refuse(format!(
                        "{ctid}: the backup of {path} cannot be read: {}",
                        r.output()
                    )))
                }
                (Some("absent"), _) => {
                    return Err(refuse(format!("{ctid}: the backup of {path} is missing")))
                }
                (Some(s), Some(h)) if s == size.to_string() && h == sha256 => {}
                _ => {
                    return Err(refuse(format!(
                        "{ctid}: the backup of {path} does not match its size and SHA-256"
                    )))
                }
            }
        }
        out.reachable.insert(ctid, entries);
    }
    Ok(out)
}

impl GuestRollback {
    /// Restores what can be reached, a line each in `done`; returns what
    /// was not restored, a line per file.
    pub fn restore(self, opts: &Options, done: &mut Done) -> Vec<String> {
        let mut failed = Vec::new();
        for (ctid, (why, entries)) in &self.unreachable {
            for e in entries {
                match e {
                    Entry::GuestSaved { path, .. } | Entry::GuestCreated { path, .. } => {
                        failed.push(format!("{ctid}: {path} not restored: {why}"))
                    }
                    Entry::GuestCreatedDir { path, .. } => {
                        failed.push(format!("{ctid}: {path}/ not removed: {why}"))
                    }
                    _ => {}
                }
            }
        }
        for (ctid, entries) in &self.reachable {
            let ctid = *ctid;
            let left = left_by_path(entries);
            // Saved files first, then removals, as on the host.
            for e in entries {
                if let Entry::GuestSaved {
                    path,
                    size,
                    sha256,
                    mode,
                    uid,
                    gid,
                    ..
                } = e
                {
                    // No write recorded: the run never got to change it.
                    let Some(Some(left_sum)) = left.get(path.as_str()) else {
                        continue;
                    };
                    let b = backup_path(&self.run_id, path);
                    let (m, u, g) = (format!("{mode:04o}"), uid.to_string(), gid.to_string());
                    let argv = script("phx-restore", RESTORE, &[path, &b, &m, &u, &g]);
                    let header = format!("{size} {sha256} {left_sum}\n");
                    match in_guest(opts, ctid, &argv, Some(header.as_bytes())) {
                        Ok(r) if r.ok() => done.lines.push(format!("restored {ctid}: {path}")),
                        Ok(r) if r.code == Some(CHANGED_SINCE) => kept(done, ctid, path),
                        Ok(r) => {
                            failed.push(format!("{ctid}: {path} not restored: {}", r.output()))
                        }
                        Err(e) => failed.push(format!("{ctid}: {path} not restored: {e}")),
                    }
                }
            }
            for e in entries {
                if let Entry::GuestCreated { path, .. } = e {
                    let left_sum = match left.get(path.as_str()) {
                        None => continue,
                        Some(None) => {
                            done.lines.push(format!(
                                "kept {ctid}: {path}: a secret the run generated (what it encrypted may still need it); remove it by hand if nothing does"
                            ));
                            continue;
                        }
                        Some(Some(sum)) => sum,
                    };
                    let argv = script("phx-remove-created", REMOVE_CREATED, &[path]);
                    let input = format!("{left_sum}\n");
                    match in_guest(opts, ctid, &argv, Some(input.as_bytes())) {
                        Ok(r) if r.ok() => done
                            .lines
                            .push(format!("removed {ctid}: {path} (the run created it)")),
                        Ok(r) if r.code == Some(CHANGED_SINCE) => kept(done, ctid, path),
                        Ok(r) => failed.push(format!("{ctid}: {path} not removed: {}", r.output())),
                        Err(e) => failed.push(format!("{ctid}: {path} not removed: {e}")),
                    }
                }
            }
            remove_created_dirs(opts, ctid, entries, done, &mut failed);
        }
        failed
    }
}

/// Per guest path, what the run left there: its last `GuestWrote` (`None`
/// inside: a secret made in the guest, whose digest the host never knew).
fn left_by_path(entries: &[Entry]) -> BTreeMap<&str, Option<&str>> {
    let mut left = BTreeMap::new();
    for e in entries {
        if let Entry::GuestWrote { path, sha256, .. } = e {
            left.insert(path.as_str(), sha256.as_deref());
        }
    }
    left
}

/// A guest file that no longer holds what the run left: not touched, and the
/// rollback exits 1 naming it, as for a host file.
fn kept(done: &mut Done, ctid: Guest, path: &str) {
    done.lines.push(format!(
        "kept {ctid}: {path}: it changed since this run wrote it (a later run, or by hand); not restored"
    ));
    done.kept.push(format!("{ctid}: {path}"));
}

/// The directories the run made in guest `ctid`, deepest first, each only when
/// empty (one something else now uses stays), as on the host.
fn remove_created_dirs(
    opts: &Options,
    ctid: Guest,
    entries: &[Entry],
    done: &mut Done,
    failed: &mut Vec<String>,
) {
    let mut dirs: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::GuestCreatedDir { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    if dirs.is_empty() {
        return;
    }
    dirs.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let argv = script("phx-remove-dirs", REMOVE_DIRS, &dirs);
    match in_guest(opts, ctid, &argv, None) {
        Ok(r) => {
            for gone in r.stdout.lines().filter_map(|l| l.strip_prefix("removed ")) {
                done.lines
                    .push(format!("removed {ctid}: {gone}/ (the run created it)"));
            }
            if !r.ok() {
                failed.push(format!(
                    "{ctid}: directories the run created not removed: {}",
                    r.output()
                ));
            }
        }
        Err(e) => failed.push(format!(
            "{ctid}: directories the run created not removed: {e}"
        )),
    }
}

/// The rollback's result: `done`, or, when a guest file was not restored,
/// an error listing both (so the exit status says the rollback is partial).
pub fn finish(done: Done, failed: Vec<String>) -> anyhow::Result<Done> {
    if failed.is_empty() {
        return Ok(done);
    }
    let mut text = done.lines;
    text.extend(failed);
    bail!(
        "{}\nthe rollback is incomplete: guest files above were not restored",
        text.join("\n")
    )
}
