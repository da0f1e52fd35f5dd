//! Atomic replacement: a temp file beside the target, fsync, rename, fsync of
//! the directory. A kill at any point leaves the old file or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A temp file beside `dest`, so the final rename stays on one file system.
pub fn temp_beside(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.phx-tmp-{}", std::process::id()))
}

/// Writes `content` to a temp file beside `dest` and fsyncs it; the caller
/// validates and renames (`commit`), or removes it.
pub fn write_temp(dest: &Path, content: &[u8], mode: Option<u32>) -> std::io::Result<PathBuf> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_beside(dest);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Secrets must never exist with looser permissions, even briefly.
        opts.mode(mode.unwrap_or(0o644));
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(content)?;
    f.sync_all()?;
    Ok(tmp)
}

/// Renames the temp file over `dest` and fsyncs the directory so the rename is durable.
pub fn commit(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, dest)?;
    if let Some(parent) = dest.parent() {
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
