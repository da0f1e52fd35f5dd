//! Undoing one run: every file it replaced or removed comes back from its
//! backup (content, mode, owner, group; a symlink as a link), every file and
//! directory it created is removed, and so are the temp files a kill left.
//! Commands are not undone. Nothing is restored unless the whole backup
//! verifies (see `rollback_check`). A file that no longer holds what the
//! run wrote (a later run or a person changed it) is not restored: the
//! rollback says so, restores the rest, and fails.

use crate::atomic::{commit, remove_stale_temps, temp_beside, write_temp, Mode};
use crate::confine::resolve_parent;
use crate::manifest::{self, Entry};
use crate::rollback_check::{verify, Verified};
use crate::{run, Options};
use anyhow::{bail, Context};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a rollback did, a line each; and the files it would not restore.
#[derive(Debug, Default)]
pub struct Done {
    pub lines: Vec<String>,
    pub kept: Vec<String>,
}

/// What is at a path: compared with what the run found and what it left.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Absent,
    File(String),
    Link(String),
    Other,
}

/// A rollback that also restores the run's guest files (`guest::restore`)
/// and re-runs the handlers the run ran, once the old files are back (on the live host, or under a root with `run_commands`;
/// otherwise they are reported), and forgets the run's armed timer.
pub fn rollback_and_rerun(opts: &Options, backup_dir: &Path) -> anyhow::Result<Done> {
    let guests = crate::guest::restore::verify(opts, backup_dir)?;
    let mut done = rollback(&opts.root, backup_dir)?;
    let guests_failed = guests.restore(opts, &mut done);
    let mut seen = std::collections::HashSet::new();
    for e in manifest::read(backup_dir)? {
        // A VM's handler runs there again, through its guest agent.
        let (on, argv) = match e {
            Entry::Handler { argv } => (None, argv),
            Entry::GuestHandler { vmid, argv } => (Some(phx_plan::Guest::Vm(vmid)), argv),
            _ => continue,
        };
        if !seen.insert((on, argv.clone())) {
            continue;
        }
        let shown = match on {
            None => run::show(&argv),
            Some(g) => crate::guest::via::shown(g, &argv, opts.command_timeout),
        };
        if !opts.may_run() {
            done.lines
                .push(format!("would re-run {shown} (not run under --root)"));
            continue;
        }
        let ran = match on {
            None => run::run(&argv, opts),
            Some(g) => crate::guest::via::run_in(opts, g, &argv, None, opts.command_timeout),
        };
        match ran {
            Ok(r) if r.ok() => done.lines.push(format!("re-ran {shown}")),
            Ok(r) => bail!(
                "the files are restored, but re-running {shown} failed ({:?}): {}",
                r.code,
                r.output().trim_start()
            ),
            Err(e) => bail!("the files are restored, but {shown} could not run: {e}"),
        }
    }
    if let Some(run_id) = backup_dir.file_name() {
        crate::confirm::disarmed(opts, &run_id.to_string_lossy())?;
    }
    crate::guest::restore::finish(done, guests_failed)
}

/// Undoes the run whose backup is `backup_dir` under `root`. Files only.
pub fn rollback(root: &Path, backup_dir: &Path) -> anyhow::Result<Done> {
    if !backup_dir.is_dir() {
        bail!("{} is not a backup directory", backup_dir.display());
    }
    let entries = manifest::read(backup_dir)?;
    let saved: BTreeMap<String, Verified> = verify(backup_dir, &entries)?
        .into_iter()
        .map(|v| (v.path.clone(), v))
        .collect();
    let mut done = Done::default();
    let (before, after) = before_and_after(&entries);
    for (path, was) in &before {
        // No write recorded: the run never got to change this path.
        let Some(left) = after.get(path) else {
            continue;
        };
        let dest = resolve_parent(root, Path::new(path))?;
        let now = state_of(&dest)?;
        if now == *was {
            continue;
        }
        if now != *left {
            done.lines.push(format!(
                "kept {path}: it changed since this run wrote it (a later run, or by hand); not restored"
            ));
            done.kept.push(path.clone());
            continue;
        }
        match was {
            State::File(_) => {
                let v = saved.get(path).context("a saved file without its backup")?;
                restore(v, &dest).with_context(|| format!("restoring {}", dest.display()))?;
                done.lines.push(format!("restored {path}"));
            }
            State::Link(target) => {
                relink(target, &dest).with_context(|| format!("restoring {}", dest.display()))?;
                done.lines
                    .push(format!("restored {path} (a symlink to {target})"));
            }
            State::Absent => {
                std::fs::remove_file(&dest)
                    .with_context(|| format!("removing {}", dest.display()))?;
                done.lines
                    .push(format!("removed {path} (the run created it)"));
            }
            State::Other => {}
        }
    }
    remove_dead_temps(root, &entries, &mut done)?;
    remove_created_dirs(root, &entries, &mut done)?;
    Ok(done)
}

/// Per path, what it was before the run (its first saved or created entry)
/// and what the run left there (its last write).
fn before_and_after(entries: &[Entry]) -> (Vec<(String, State)>, BTreeMap<String, State>) {
    let mut before: Vec<(String, State)> = Vec::new();
    let mut known = BTreeSet::new();
    let mut after = BTreeMap::new();
    for e in entries {
        let (path, was) = match e {
            Entry::Saved { path, sha256, .. } => (path, State::File(sha256.clone())),
            Entry::SavedLink { path, target } => (path, State::Link(target.clone())),
            Entry::Created { path } => (path, State::Absent),
            Entry::Wrote { path, sha256 } => {
                let left = sha256.clone().map_or(State::Absent, State::File);
                after.insert(path.clone(), left);
                continue;
            }
            _ => continue,
        };
        if known.insert(path.as_str()) {
            before.push((path.clone(), was));
        }
    }
    (before, after)
}

fn state_of(dest: &Path) -> anyhow::Result<State> {
    let meta = match std::fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Absent),
        Err(e) => return Err(e).with_context(|| format!("looking at {}", dest.display())),
    };
    Ok(if meta.file_type().is_symlink() {
        State::Link(std::fs::read_link(dest)?.to_string_lossy().into_owned())
    } else if meta.is_file() {
        content_state(dest)?
    } else {
        State::Other
    })
}

/// The digest of the regular file at `dest`, read without following a link
/// and without blocking on a FIFO: a from_guest target sits where a guest
/// can swap it between the look and the read. What is not a regular file,
/// or is larger than any backup (`fsutil::MAX_READ`, so never what the run
/// left), is `Other`: kept, never restored over.
fn content_state(dest: &Path) -> anyhow::Result<State> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let limit = phx_plan::fsutil::MAX_READ;
    let flags =
        nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(dest)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Absent),
        // ELOOP (now a link), ENXIO (now a socket): not what the run left.
        Err(e) if matches!(e.raw_os_error(), Some(nix::libc::ELOOP | nix::libc::ENXIO)) => {
            return Ok(State::Other)
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", dest.display())),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > limit {
        return Ok(State::Other);
    }
    let mut content = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut content)
        .with_context(|| format!("reading {}", dest.display()))?;
    if content.len() as u64 > limit {
        return Ok(State::Other);
    }
    Ok(State::File(manifest::sha256_hex(&content)))
}

/// Puts a saved file back with its mode, owner and group, as it was. The
/// owner first: a chown clears setuid bits, the chmod after sets them.
fn restore(v: &Verified, dest: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = write_temp(dest, &v.content, Mode::Exact(v.mode & 0o777))?;
    let fix = || -> anyhow::Result<()> {
        let meta = std::fs::metadata(&tmp)?;
        // Only what differs: pmxcfs refuses a chown or chmod.
        if (meta.uid(), meta.gid()) != (v.uid, v.gid) {
            nix::unistd::chown(&tmp, Some(v.uid.into()), Some(v.gid.into()))
                .with_context(|| format!("chown {}:{} {}", v.uid, v.gid, tmp.display()))?;
        }
        if std::fs::metadata(&tmp)?.permissions().mode() & 0o7777 != v.mode {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(v.mode))?;
        }
        Ok(())
    };
    if let Err(e) = fix() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    commit(&tmp, dest)?;
    Ok(())
}

/// Puts a saved symlink back, replacing what is there in one rename.
fn relink(target: &str, dest: &Path) -> anyhow::Result<()> {
    let tmp = temp_beside(dest);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    std::os::unix::fs::symlink(target, &tmp)?;
    commit(&tmp, dest)?;
    Ok(())
}

/// A killed run leaves a temp file (holding the new content) beside what it
/// was writing; it goes, from every directory the run wrote in or made.
fn remove_dead_temps(root: &Path, entries: &[Entry], done: &mut Done) -> anyhow::Result<()> {
    let mut dirs = BTreeSet::new();
    for e in entries {
        match e {
            Entry::CreatedDir { path } => {
                dirs.insert(resolve_parent(root, Path::new(path))?);
            }
            Entry::Saved { path, .. }
            | Entry::SavedLink { path, .. }
            | Entry::Created { path }
            | Entry::Wrote { path, .. } => {
                let dest = resolve_parent(root, Path::new(path))?;
                dirs.extend(dest.parent().map(Path::to_path_buf));
            }
            // In-guest temp files go with their script's EXIT trap, or the next write there.
            Entry::Handler { .. }
            | Entry::GuestHandler { .. }
            | Entry::GuestSaved { .. }
            | Entry::GuestBackups { .. }
            | Entry::GuestCreated { .. }
            | Entry::GuestCreatedDir { .. }
            | Entry::GuestWrote { .. } => {}
        }
    }
    for dir in dirs {
        for gone in remove_stale_temps(&dir) {
            done.lines.push(format!(
                "removed {} (a killed run's temp file)",
                shown(root, &gone).display()
            ));
        }
    }
    Ok(())
}

/// Directories the run made, deepest first; one something else now uses stays.
fn remove_created_dirs(root: &Path, entries: &[Entry], done: &mut Done) -> anyhow::Result<()> {
    let mut dirs: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::CreatedDir { path } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    dirs.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in dirs {
        let dest = resolve_parent(root, Path::new(path))?;
        match std::fs::remove_dir(&dest) {
            Ok(()) => done
                .lines
                .push(format!("removed {path}/ (the run created it)")),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty
                ) => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", dest.display())),
        }
    }
    Ok(())
}

/// A path under the root as the host sees it.
fn shown(root: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) => Path::new("/").join(rel),
        Err(_) => path.to_path_buf(),
    }
}
