//! File-system helpers every tool needs to look at the machine: paths under a
//! root and files that may be missing. Writing belongs to phx-apply.
//!
//! Every whole-file read of a file Phoenix does not own (a target, a
//! source, a secret's file) goes through [`read_regular`]: a FIFO there
//! blocked the run for ever while it held phx-apply's lock, `/dev/zero`
//! filled its memory.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest configuration document read (by the loader, and by
/// phx-apply for a secret reference): the 100,000-guest synthetic inventory that
/// `scripts/bench` loads has files of up to 99 MB; past 128 MiB a document
/// is not a configuration. (It was 64 MiB until the bench reported 100,000.)
pub const MAX_DOCUMENT: u64 = 128 << 20;

/// The largest file read whole: as large as a configuration document may
/// be, far above any file Phoenix writes (the 100,000-guest bench's largest
/// is under 100 MiB).
pub const MAX_READ: u64 = MAX_DOCUMENT;

/// `/etc/hosts` under `/tmp/r` is `/tmp/r/etc/hosts`; under `/` it is itself.
pub fn under_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Reads a file that may not exist, as [`read_regular`] reads it.
pub fn read_optional(path: &Path) -> std::io::Result<Option<String>> {
    match read_regular(path, MAX_READ)? {
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| not_utf8(path)),
        None => Ok(None),
    }
}

/// The bytes of the regular file at `path` (`None` when it does not exist),
/// at most `limit` of them. It is opened without blocking, so a FIFO does
/// not wait for a writer; then anything but a regular file — a FIFO, a
/// device, a socket, a directory — is refused naming what it is, and a file
/// larger than `limit` is refused unread.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    match open_regular(path, limit)? {
        Some(opened) => opened.read(path, limit).map(Some),
        None => Ok(None),
    }
}

/// A regular file opened as [`read_regular`] opens it, with what `fstat`
/// said of it: a caller may look at the size (or mode and owner) first and
/// read only when it needs the bytes.
pub struct Opened {
    pub file: std::fs::File,
    pub meta: std::fs::Metadata,
}

/// Opens the regular file at `path` (`None` when it does not exist) and
/// refuses as [`read_regular`] does, without reading it.
pub fn open_regular(path: &Path, limit: u64) -> std::io::Result<Option<Opened>> {
    open_flags(path, limit, 0)
}

/// [`open_regular`], except that a symbolic link as the last component is
/// not followed: the error is then `ELOOP` (`is_link_refused`), for the
/// caller to resolve the link its own way.
pub fn open_regular_nofollow(path: &Path, limit: u64) -> std::io::Result<Option<Opened>> {
    open_flags(path, limit, nix::fcntl::OFlag::O_NOFOLLOW.bits())
}

/// Whether `open_regular_nofollow` failed because the last component is a link.
pub fn is_link_refused(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(nix::libc::ELOOP)
}

fn open_flags(path: &Path, limit: u64, extra: i32) -> std::io::Result<Option<Opened>> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(
            nix::fcntl::OFlag::O_NONBLOCK.bits() | nix::fcntl::OFlag::O_NOCTTY.bits() | extra,
        )
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if is_link_refused(&e) => return Err(e),
        // A socket cannot be opened at all (ENXIO): say what it is.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => not_regular(path, m.file_type()),
                _ => e,
            })
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    if meta.len() > limit {
        return Err(too_large(path, limit));
    }
    Ok(Some(Opened { file, meta }))
}

impl Opened {
    /// Its bytes, at most `limit` of them (`path` names it in errors).
    pub fn read(self, path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.meta.len() as usize);
        // The size said may be stale, or 0 (procfs): the read is bounded anyway.
        self.file.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(too_large(path, limit));
        }
        Ok(bytes)
    }

    /// Its text, refused when it is not UTF-8 (as [`read_optional`]).
    pub fn read_text(self, path: &Path, limit: u64) -> std::io::Result<String> {
        String::from_utf8(self.read(path, limit)?).map_err(|_| not_utf8(path))
    }
}

fn not_utf8(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{} is not UTF-8 text", path.display()),
    )
}

fn not_regular(path: &Path, t: std::fs::FileType) -> std::io::Error {
    let what = if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a regular file; refused unread",
            path.display()
        ),
    )
}

fn too_large(path: &Path, limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{} is larger than {} MiB, the most Phoenix reads of a file; refused unread",
            path.display(),
            limit >> 20
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // Without O_NONBLOCK the open would block for ever: run it on a
        // thread so a regression fails the test instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || tx.send(read_optional(&path)).unwrap());
        let got = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("reading a FIFO blocked");
        let err = got.unwrap_err().to_string();
        assert!(err.contains("is a FIFO, not a regular file"), "{err}");
        assert!(err.contains(&fifo.display().to_string()), "{err}");
    }

    #[test]
    fn devices_and_directories_are_refused_naming_what_they_are() {
        let start = Instant::now();
        let err = read_optional(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/zero is a character device"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(1));
        let dir = tempfile::tempdir().unwrap();
        let err = read_optional(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
    }

    #[test]
    fn a_socket_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("s");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let err = read_optional(&sock).unwrap_err().to_string();
        assert!(err.contains("is a socket"), "{err}");
    }

    #[test]
    fn a_file_past_the_limit_is_refused_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read_regular(&f, 10).unwrap().unwrap(), b"0123456789");
        let err = read_regular(&f, 9).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        assert_eq!(read_optional(&dir.path().join("none")).unwrap(), None);
    }
}
