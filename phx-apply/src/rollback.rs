//! Undoing one run: every file it replaced or removed comes back from its
//! backup, every file and directory it created is removed. Commands are not
//! undone. Nothing is restored unless the whole backup verifies against its
//! manifest: a torn backup restored would empty a healthy file.

use crate::atomic::{commit, write_temp, Mode};
use crate::check::host_path_problem;
use crate::confine::resolve_parent;
use crate::manifest::{self, Entry};
use crate::{run, Options};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// A saved file that verified: where it goes back, and its content.
struct Verified {
    path: String,
    backup: PathBuf,
    content: Vec<u8>,
}

/// A rollback that also restores the run's guest files (`guest::restore`)
/// and re-runs the handlers the run ran, once the old files are back (on the live host, or under a root with `run_commands`;
/// otherwise they are reported), and forgets the run's armed timer.
pub fn rollback_and_rerun(opts: &Options, backup_dir: &Path) -> anyhow::Result<Vec<String>> {
    let guests = crate::guest::restore::verify(opts, backup_dir)?;
    let mut done = rollback(&opts.root, backup_dir)?;
    let guests_failed = guests.restore(opts, &mut done);
    let mut seen = std::collections::HashSet::new();
    for e in manifest::read(backup_dir)? {
        let Entry::Handler { argv } = e else { continue };
        if !seen.insert(argv.clone()) {
            continue;
        }
        let shown = run::show(&argv);
        if !opts.may_run() {
            done.push(format!("would re-run {shown} (not run under --root)"));
            continue;
        }
        match run::run(&argv, opts) {
            Ok(r) if r.ok() => done.push(format!("re-ran {shown}")),
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

/// What a rollback did, one line per file. Restores files only.
pub fn rollback(root: &Path, backup_dir: &Path) -> anyhow::Result<Vec<String>> {
    if !backup_dir.is_dir() {
        bail!("{} is not a backup directory", backup_dir.display());
    }
    let entries = manifest::read(backup_dir)?;
    let verified = verify(backup_dir, &entries)?;
    let mut done = Vec::new();
    for v in &verified {
        let dest = resolve_parent(root, Path::new(&v.path))?;
        restore(&v.backup, &dest, &v.content)
            .with_context(|| format!("restoring {}", dest.display()))?;
        done.push(format!("restored {}", v.path));
    }
    for e in &entries {
        if let Entry::Created { path } = e {
            let dest = resolve_parent(root, Path::new(path))?;
            match std::fs::remove_file(&dest) {
                Ok(()) => done.push(format!("removed {path} (the run created it)")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", dest.display())),
            }
        }
    }
    // Directories the run made, deepest first; one something else now uses stays.
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
            Ok(()) => done.push(format!("removed {path}/ (the run created it)")),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty
                ) => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", dest.display())),
        }
    }
    Ok(done)
}

/// Every entry's path is a plain absolute path and every saved file is
/// there with the size and hash the manifest gives, or nothing is restored.
fn verify(backup_dir: &Path, entries: &[Entry]) -> anyhow::Result<Vec<Verified>> {
    let refuse = |why: String| {
        anyhow::anyhow!(
            "the backup {} does not verify: {why}; nothing was restored",
            backup_dir.display()
        )
    };
    let mut out = Vec::new();
    for e in entries {
        let path = match e {
            Entry::Saved { path, .. } | Entry::Created { path } | Entry::CreatedDir { path } => {
                path
            }
            Entry::Handler { argv } if argv.is_empty() => {
                return Err(refuse("a handler with an empty argv".into()))
            }
            Entry::Handler { .. } => continue,
            // Verified in the guest, before this (`guest::restore::verify`).
            Entry::GuestSaved { .. } | Entry::GuestCreated { .. } => continue,
        };
        if let Some(p) = host_path_problem(path) {
            return Err(refuse(format!("manifest path {path:?}: {p}")));
        }
        if let Entry::Saved { path, size, sha256 } = e {
            let backup = resolve_parent(backup_dir, Path::new(path))?;
            let meta = std::fs::symlink_metadata(&backup)
                .map_err(|err| refuse(format!("the backup of {path} is missing ({err})")))?;
            if !meta.is_file() {
                return Err(refuse(format!(
                    "the backup of {path} is not a regular file"
                )));
            }
            let content = std::fs::read(&backup)
                .map_err(|err| refuse(format!("reading the backup of {path}: {err}")))?;
            if content.len() as u64 != *size {
                return Err(refuse(format!(
                    "the backup of {path} holds {} bytes, the manifest says {size}",
                    content.len()
                )));
            }
            if manifest::sha256_hex(&content) != *sha256 {
                return Err(refuse(format!(
                    "the backup of {path} does not match its SHA-256"
                )));
            }
            out.push(Verified {
                path: path.clone(),
                backup,
                content,
            });
        }
    }
    Ok(out)
}

/// Puts `content` back at `dest` with the backup's mode (exactly, whatever the
/// umask) and the current file's owner when there is one.
fn restore(backup: &Path, dest: &Path, content: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(backup)?.permissions().mode() & 0o7777;
    let tmp = write_temp(dest, content, Mode::Exact(mode))?;
    if let Err(e) = crate::meta::keep_metadata(&tmp, dest, false) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    commit(&tmp, dest)?;
    Ok(())
}
