//! The key that authenticates backup manifests, and HMAC-SHA-256 (RFC 2104)
//! over `sha2`. A manifest decides what a rollback writes, removes, chmods
//! and runs as root; without a key only root can read, anyone who can write
//! the backups directory could make it do any of that. HMAC is a dozen lines
//! over the SHA-256 already depended on, checked below against RFC 4231, so
//! no `hmac` crate.

use crate::atomic::{write_temp, Mode};
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The key's file in the state directory: 32 random bytes, root's, 0600.
pub const KEY_FILE: &str = "manifest.key";
const KEY_LEN: usize = 32;

pub type Key = [u8; KEY_LEN];

/// HMAC-SHA-256 of the concatenated `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Equal without telling, by its timing, how much of a guess was right.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The key, made on first use (whole or not at all: written to a temp file
/// and linked into place, so a kill never leaves a short key).
pub fn key(state_dir: &Path) -> anyhow::Result<Key> {
    static KNOWN: std::sync::Mutex<Option<(std::path::PathBuf, Key)>> = std::sync::Mutex::new(None);
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    // One run appends many lines: the key is read once per process.
    if let Some((_, key)) = known.as_ref().filter(|(d, _)| d == state_dir) {
        return Ok(*key);
    }
    let key = make_or_read_key(state_dir)?;
    *known = Some((state_dir.to_path_buf(), key));
    Ok(key)
}

fn make_or_read_key(state_dir: &Path) -> anyhow::Result<Key> {
    let path = state_dir.join(KEY_FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        let mut fresh = [0u8; KEY_LEN];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut fresh))
            .context("reading /dev/urandom for the manifest key")?;
        let tmp = write_temp(&path, &fresh, Mode::Exact(0o600))
            .with_context(|| format!("writing {}", path.display()))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_context(|| format!("creating {}", path.display()))
            }
            _ => {}
        }
    }
    existing_key(state_dir)
}

/// The key that is there, or why it cannot be trusted; never made.
pub fn existing_key(state_dir: &Path) -> anyhow::Result<Key> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let path = state_dir.join(KEY_FILE);
    let meta = std::fs::symlink_metadata(&path)
        .with_context(|| format!("the manifest key {} is missing", path.display()))?;
    let euid = nix::unistd::geteuid().as_raw();
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 || meta.uid() != euid {
        bail!(
            "the manifest key {} is not a regular file owned by uid {euid} and readable by it alone (mode {:04o}, uid {})",
            path.display(),
            meta.permissions().mode() & 0o7777,
            meta.uid()
        );
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        anyhow::anyhow!(
            "the manifest key {} holds {} bytes, not {KEY_LEN}",
            path.display(),
            b.len()
        )
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_cases_2_and_6() {
        assert_eq!(
            hex(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn same_compares_whole_slices() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
