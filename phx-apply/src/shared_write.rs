//! Writes into a directory guests can write (see `nofollow`), made through
//! the descriptors `nofollow` opened and never by path: the temp file is
//! created in the directory's descriptor (exclusively, not through a link),
//! given its mode and owner on its own descriptor, and renamed over the
//! target only while the name still holds the inode that was read (or, for
//! a new file, still nothing). A guest that swaps in a link or another file
//! in between gets the write refused, naming the swap; no file outside the
//! directory is read, changed or replaced on the way.

use crate::atomic::{is_dead_temp, temp_name, Mode};
use nix::errno::Errno;
use nix::fcntl::{openat, renameat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode as Perm};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

/// Which file a name held when it was opened: its device and inode.
pub type Identity = (u64, u64);

pub fn identity(file: &std::fs::File) -> std::io::Result<Identity> {
    let m = file.metadata()?;
    Ok((m.dev(), m.ino()))
}

/// Writes `content` to a temp file in `dir` beside `name`, with `mode` and
/// (when given and different) owner `owner`, fsynced; returns its name.
pub fn write_temp_in(
    dir: &OwnedFd,
    name: &OsStr,
    content: &[u8],
    mode: Mode,
    owner: Option<(u32, u32)>,
) -> anyhow::Result<OsString> {
    let tmp = temp_name(name);
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let perm = Perm::from_bits_truncate(match mode {
        Mode::Exact(m) => m & 0o777,
        Mode::Default => 0o644,
    });
    let fd = match openat(dir.as_fd(), tmp.as_os_str(), flags, perm) {
        // Ours by name (this pid): a step that failed mid-write left it.
        Err(Errno::EEXIST) => {
            unlinkat(dir.as_fd(), tmp.as_os_str(), UnlinkatFlags::NoRemoveDir)?;
            openat(dir.as_fd(), tmp.as_os_str(), flags, perm)?
        }
        r => r?,
    };
    let mut file = std::fs::File::from(fd);
    let written = (|| -> anyhow::Result<()> {
        // The owner first: a chown clears setuid bits, the chmod after sets them.
        if let Some((uid, gid)) = owner {
            let m = file.metadata()?;
            if (m.uid(), m.gid()) != (uid, gid) {
                nix::unistd::fchown(file.as_fd(), Some(uid.into()), Some(gid.into()))?;
            }
        }
        if let Mode::Exact(m) = mode {
            set_mode(&file, m)?;
        }
        file.write_all(content)?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = unlinkat(dir.as_fd(), tmp.as_os_str(), UnlinkatFlags::NoRemoveDir);
        return Err(e);
    }
    Ok(tmp)
}

/// Gives the open file `mode` (fchmod), unless it has it already.
pub fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if file.metadata()?.permissions().mode() & 0o7777 != mode {
        nix::sys::stat::fchmod(file.as_fd(), Perm::from_bits_truncate(mode))?;
    }
    Ok(())
}

/// What `name` in `dir` is now, in words, for a refusal.
fn now_is(dir: &OwnedFd, name: &OsStr) -> String {
    match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Err(Errno::ENOENT) => "gone".into(),
        Err(e) => format!("unreadable ({e})"),
        Ok(st) if st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFLNK => {
            match nix::fcntl::readlinkat(dir.as_fd(), name) {
                Ok(t) => format!("a symbolic link to {}", t.to_string_lossy()),
                Err(_) => "a symbolic link".into(),
            }
        }
        Ok(_) => "another file".into(),
    }
}

/// Renames temp file `tmp` over `name` in `dir` if `name` still holds the
/// file `was` identifies (`None`: still nothing); otherwise removes the temp
/// file and says what is there instead. The directory is fsynced after.
pub fn replace_if_same(
    dir: &OwnedFd,
    tmp: &OsStr,
    name: &OsStr,
    was: Option<Identity>,
) -> Result<(), String> {
    let refuse = |why: String| {
        let _ = unlinkat(dir.as_fd(), tmp, UnlinkatFlags::NoRemoveDir);
        Err(why)
    };
    let renamed = match was {
        Some((dev, ino)) => match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) if st.st_dev == dev && st.st_ino == ino => {
                renameat(dir.as_fd(), tmp, dir.as_fd(), name)
            }
            _ => {
                return refuse(format!(
                    "it was replaced while phx-apply wrote it (it is now {})",
                    now_is(dir, name)
                ))
            }
        },
        // Nothing there: a rename that will not replace what appears meanwhile.
        None => match nix::fcntl::renameat2(
            dir.as_fd(),
            tmp,
            dir.as_fd(),
            name,
            nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        ) {
            // A file system without RENAME_NOREPLACE (older NFS and ZFS):
            // look, then rename, as for an existing file.
            Err(Errno::EINVAL) => match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Err(Errno::ENOENT) => renameat(dir.as_fd(), tmp, dir.as_fd(), name),
                _ => Err(Errno::EEXIST),
            },
            r => r,
        },
    };
    match renamed {
        Ok(()) => {
            let _ = nix::unistd::fsync(dir.as_fd());
            Ok(())
        }
        Err(Errno::EEXIST) => refuse(format!(
            "it appeared while phx-apply wrote it (it is now {})",
            now_is(dir, name)
        )),
        Err(e) => refuse(format!("renaming the temp file over it: {e}")),
    }
}

/// Removes the dead runs' temp files in `dir` (regular files only, by name
/// in the descriptor); their names are listed through `/proc/self/fd`.
pub fn sweep_dead_temps(dir: &OwnedFd) {
    let listed = format!("/proc/self/fd/{}", dir.as_raw_fd());
    let Ok(entries) = std::fs::read_dir(listed) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if !is_dead_temp(&name.to_string_lossy()) {
            continue;
        }
        let regular = fstatat(dir.as_fd(), name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .is_ok_and(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG);
        if regular {
            let _ = unlinkat(dir.as_fd(), name.as_os_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}
