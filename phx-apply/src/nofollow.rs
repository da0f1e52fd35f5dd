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

/// The content of host file `path` under `root`, `None` when it does not
/// exist; refused when a component below the root is a symbolic link, when
/// it is not a regular file, or holds more than `max` bytes or not UTF-8.
pub fn read_regular(root: &Path, path: &str, max: usize) -> Result<Option<String>, Refused> {
    let io = |what: &str, e: Errno| Refused(format!("{path}: {what}: {e}"));
    let names: Vec<&std::ffi::OsStr> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let Some((last, dirs)) = names.split_last() else {
        return Err(Refused(format!("{path}: names no file")));
    };
    let dir_flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    // The root itself is the operator's choice (and `/` on the live host).
    let mut dir: OwnedFd = std::fs::File::open(root)
        .map_err(|e| Refused(format!("{path}: opening the root {}: {e}", root.display())))?
        .into();
    let mut walked = std::path::PathBuf::from("/");
    for name in dirs {
        walked.push(name);
        match openat(dir.as_fd(), *name, dir_flags, Mode::empty()) {
            Ok(fd) => dir = fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(e @ (Errno::ELOOP | Errno::ENOTDIR)) => {
                return Err(link_or(&dir, name, path, &walked, e))
            }
            Err(e) => return Err(io(&format!("opening {}", walked.display()), e)),
        }
    }
    walked.push(last);
    let file_flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = match openat(dir.as_fd(), *last, file_flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(None),
        Err(Errno::ELOOP) => return Err(link_or(&dir, last, path, &walked, Errno::ELOOP)),
        Err(e) => return Err(io("opening", e)),
    };
    let mut file = std::fs::File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| Refused(format!("{path}: {e}")))?;
    if !meta.is_file() {
        return Err(Refused(format!(
            "{path} is not a regular file; in a directory shared with guests only regular files are read"
        )));
    }
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
