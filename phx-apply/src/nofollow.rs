//! Reads of host files that guests can write: a `from_guest` step's target
//! and a `content_from` source live in directories bind-mounted into guests
//! (`/ssl`), where a guest can plant `root.crt -> /etc/shadow`. Such a file
//! is opened one component at a time below the root, none followed if it is
//! a symbolic link (`O_NOFOLLOW` on every `openat`, so a link swapped in
//! while the walk runs is refused too), and must be a regular file. This is
//! always the rule for those two fields, not a plan option: there is no
//! case where reading through a link in a shared directory is wanted.

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path};

/// Why a shared file was refused.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A host file in a directory shared with guests, opened without following
/// a link: its directory and, when it exists, the file itself. Every later
/// look at it and change to it goes through these descriptors, never the
/// path again, so a link a guest swaps in meanwhile is not followed.
pub struct Opened {
    /// The directory it is in; `None` when a directory above it is missing.
    pub dir: Option<OwnedFd>,
    /// Its name in `dir`.
    pub name: std::ffi::OsString,
    /// The file, a regular one; `None` when it does not exist.
    pub file: Option<std::fs::File>,
}

/// The names below the root in `path`, the last one apart.
fn names(path: &str) -> Result<(&std::ffi::OsStr, Vec<&std::ffi::OsStr>), Refused> {
    let mut names: Vec<&std::ffi::OsStr> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let last = names
        .pop()
        .ok_or_else(|| Refused(format!("{path}: names no file")))?;
    Ok((last, names))
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

fn open_root(root: &Path, path: &str) -> Result<OwnedFd, Refused> {
    // The root itself is the operator's choice (and `/` on the live host).
    Ok(std::fs::File::open(root)
        .map_err(|e| Refused(format!("{path}: opening the root {}: {e}", root.display())))?
        .into())
}

/// Opens host file `path` under `root`: refused when a component below the
/// root is a symbolic link or the file is not a regular one.
pub fn open_regular(root: &Path, path: &str) -> Result<Opened, Refused> {
    let io = |what: &str, e: Errno| Refused(format!("{path}: {what}: {e}"));
    let (last, dirs) = names(path)?;
    let absent = |dir| Opened {
        dir,
        name: last.to_owned(),
        file: None,
    };
    let mut dir = open_root(root, path)?;
    let mut walked = std::path::PathBuf::from("/");
    for name in dirs {
        walked.push(name);
        match openat(dir.as_fd(), name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => dir = fd,
            Err(Errno::ENOENT) => return Ok(absent(None)),
            Err(e @ (Errno::ELOOP | Errno::ENOTDIR)) => {
                return Err(link_or(&dir, name, path, &walked, e))
            }
            Err(e) => return Err(io(&format!("opening {}", walked.display()), e)),
        }
    }
    walked.push(last);
    let file_flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = match openat(dir.as_fd(), last, file_flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(absent(Some(dir))),
        Err(Errno::ELOOP) => return Err(link_or(&dir, last, path, &walked, Errno::ELOOP)),
        Err(e) => return Err(io("opening", e)),
    };
    let file = std::fs::File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| Refused(format!("{path}: {e}")))?;
    if !meta.is_file() {
        return Err(Refused(format!(
            "{path} is not a regular file; in a directory shared with guests only regular files are read"
        )));
    }
    Ok(Opened {
        dir: Some(dir),
        name: last.to_owned(),
        file: Some(file),
    })
}

impl Opened {
    /// The file's content (`None`: it does not exist); refused when it holds
    /// more than `max` bytes or not UTF-8.
    pub fn read(&self, path: &str, max: usize) -> Result<Option<String>, Refused> {
        let Some(mut file) = self.file.as_ref() else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        (&mut file)
            .take(max as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Refused(format!("{path}: reading: {e}")))?;
        if bytes.len() > max {
            return Err(Refused(format!("{path} holds more than {max} bytes")));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Refused(format!("{path} is not UTF-8 text")))
    }
}

/// The content of host file `path` under `root`, `None` when it does not
/// exist; refused as `open_regular` and `Opened::read` refuse.
pub fn read_regular(root: &Path, path: &str, max: usize) -> Result<Option<String>, Refused> {
    open_regular(root, path)?.read(path, max)
}

/// The directory `path` goes in, opened as `open_regular` opens it, each
/// missing directory made (`made` is told its host path first, so it can
/// be recorded before it exists).
pub fn open_parent_making(
    root: &Path,
    path: &str,
    mut made: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<OwnedFd> {
    let (_, dirs) = names(path)?;
    let mut dir = open_root(root, path)?;
    let mut walked = std::path::PathBuf::from("/");
    for name in dirs {
        walked.push(name);
        let opened = match openat(dir.as_fd(), name, DIR_FLAGS, Mode::empty()) {
            Err(Errno::ENOENT) => {
                made(&walked.to_string_lossy())?;
                match nix::sys::stat::mkdirat(dir.as_fd(), name, Mode::from_bits_truncate(0o755)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => anyhow::bail!("{path}: making {}: {e}", walked.display()),
                }
                openat(dir.as_fd(), name, DIR_FLAGS, Mode::empty())
            }
            r => r,
        };
        dir = match opened {
            Ok(fd) => fd,
            Err(e @ (Errno::ELOOP | Errno::ENOTDIR)) => {
                return Err(link_or(&dir, name, path, &walked, e).into())
            }
            Err(e) => anyhow::bail!("{path}: opening {}: {e}", walked.display()),
        };
    }
    Ok(dir)
}

/// The refusal for a component that would not open as asked: a link, named
/// with its target, or else the plain error.
fn link_or(dir: &OwnedFd, name: &std::ffi::OsStr, path: &str, walked: &Path, e: Errno) -> Refused {
    match nix::fcntl::readlinkat(dir.as_fd(), name) {
        Ok(target) => Refused(format!(
            "{path}: {} is a symbolic link (to {}); in a directory shared with guests nothing is read through a link",
            walked.display(),
            Path::new(&target).display()
        )),
        Err(_) => Refused(format!("{path}: opening {}: {e}", walked.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_anywhere_below_the_root_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::create_dir_all(r.join("ssl")).unwrap();
        std::fs::write(r.join("etc/shadow"), "root:$6$hash").unwrap();
        std::fs::write(r.join("ssl/ok.crt"), "CERT").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", r.join("ssl/root.crt")).unwrap();
        std::os::unix::fs::symlink("/etc", r.join("via")).unwrap();
        let read = |p: &str| read_regular(r, p, 1 << 20);
        assert_eq!(read("/ssl/ok.crt").unwrap().as_deref(), Some("CERT"));
        assert_eq!(read("/ssl/none.crt").unwrap(), None);
        let e = read("/ssl/root.crt").unwrap_err().0;
        assert!(
            e.contains("/ssl/root.crt is a symbolic link (to /etc/shadow)"),
            "{e}"
        );
        let e = read("/via/shadow").unwrap_err().0;
        assert!(e.contains("/via is a symbolic link (to /etc)"), "{e}");
        let e = read("/ssl").unwrap_err().0;
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_regular(r, "/ssl/ok.crt", 3).unwrap_err().0;
        assert!(e.contains("more than 3 bytes"), "{e}");
    }
}
