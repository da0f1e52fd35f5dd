//! Atomic replacement: a temp file beside the target, fsync, rename, fsync of
//! the directory. A kill at any point leaves the old file or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Temp files are `.<name>.phx-tmp-<pid>`: the pid says whose they are, so
/// those of a run that died can be told from a live one's.
pub const TEMP_TAG: &str = ".phx-tmp-";

/// A temp file beside `dest`, so the final rename stays on one file system.
pub fn temp_beside(dest: &Path) -> PathBuf {
    dest.with_file_name(temp_name(dest.file_name().unwrap_or_default()))
}

/// `.<name>.phx-tmp-<pid>`: the temp file beside `name`, whoever makes it.
pub(crate) fn temp_name(name: &std::ffi::OsStr) -> std::ffi::OsString {
    let mut t = std::ffi::OsString::from(".");
    t.push(name);
    t.push(format!("{TEMP_TAG}{}", std::process::id()));
    t
}

/// The mode a temp file is created with.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Exactly this, whatever the umask: the step's mode or the old file's.
    Exact(u32),
    /// A new file with no mode named: 0644 less the umask, and no chmod
    /// (pmxcfs refuses it and decides the mode itself).
    Default,
}

/// Writes `content` to a temp file beside `dest` and fsyncs it; the caller
/// validates and renames (`commit`), or removes it. The file is created
/// exclusively, never through a symlink, and with its final mode from the
/// first byte: a 0600 file's content is never readable by others, even
/// while it is written or after a kill.
pub fn write_temp(dest: &Path, content: &[u8], mode: Mode) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_beside(dest);
    let open = || {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true)
            .create_new(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .mode(match mode {
                Mode::Exact(m) => m & 0o777,
                Mode::Default => 0o644,
            });
        opts.open(&tmp)
    };
    let mut f = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Ours by name (this pid), so left by an earlier run whose pid
            // this one reuses, or by a step that failed mid-write: remove
            // the name (never what a symlink points to) and create afresh.
            std::fs::remove_file(&tmp)?;
            open()?
        }
        r => r?,
    };
    if let Mode::Exact(m) = mode {
        // The umask may have taken bits away (and setuid bits need a chmod);
        // fchmod on the open file, never by name.
        if f.metadata()?.permissions().mode() & 0o7777 != m {
            f.set_permissions(std::fs::Permissions::from_mode(m))?;
        }
    }
    f.write_all(content)?;
    f.sync_all()?;
    Ok(tmp)
}

/// Renames the temp file over `dest` and fsyncs the directory so the rename is durable.
pub fn commit(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, dest)?;
    if let Some(parent) = dest.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Makes the renames into `dir` durable (best effort, as `commit`: a file
/// system that cannot fsync a directory has nothing more to give).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes the regular temp files in `dir` whose run is dead (`is_dead_temp`).
pub fn remove_stale_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !is_dead_temp(&name) {
            continue;
        }
        let regular = e.file_type().is_ok_and(|t| t.is_file());
        if regular && std::fs::remove_file(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

/// Whether `name` is a temp file (`.<name>.phx-tmp-<pid>`) whose run is dead
/// (its pid no longer exists). A live pid's may be another process's work.
pub fn is_dead_temp(name: &str) -> bool {
    name.rsplit_once(TEMP_TAG)
        .filter(|(head, _)| head.starts_with('.'))
        .and_then(|(_, pid)| pid.parse::<i32>().ok())
        .is_some_and(|pid| {
            pid > 0
                && matches!(
                    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
                    Err(nix::errno::Errno::ESRCH)
                )
        })
}
