//! OUT: the migrated files are written only when every one of them is new
//! or already identical, and only after Phoenix's loader accepts them.

use phx_common::config::{self, load::Input};
use std::io::Write;
use std::path::Path;

/// What happened to one file of OUT.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Identical,
}

/// Files in OUT that exist with other content: each is a refusal.
pub fn conflicts(out: &Path, files: &[(&str, String)]) -> Vec<String> {
    let mut refused = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        match phx_plan::fsutil::read_regular(&path, 64 << 20) {
            Ok(None) => {}
            Ok(Some(had)) if had == text.as_bytes() => {}
            Ok(Some(_)) => refused.push(format!(
                "{}: exists with other content; refusing to overwrite it (move it away, or migrate into an empty directory)",
                path.display()
            )),
            Err(e) => refused.push(format!("{}: cannot be read: {e}", path.display())),
        }
    }
    refused
}

/// Loads the files with Phoenix's own loader from a scratch directory: a
/// migration Phoenix would refuse is refused here, before OUT is touched.
/// Returns the loader's warnings, or its problems; both name the files as
/// they will be in `out`.
pub fn check_loads(out: &Path, files: &[(&str, String)]) -> Result<Vec<String>, Vec<String>> {
    let scratch =
        scratch_dir().map_err(|e| vec![format!("cannot make a scratch directory: {e}")])?;
    let result = load_in(&scratch, files);
    let _ = std::fs::remove_dir_all(&scratch);
    let (from, to) = (scratch.display().to_string(), out.display().to_string());
    let named =
        |v: Vec<String>| -> Vec<String> { v.into_iter().map(|m| m.replace(&from, &to)).collect() };
    result.map(named).map_err(named)
}

fn load_in(scratch: &Path, files: &[(&str, String)]) -> Result<Vec<String>, Vec<String>> {
    for (name, text) in files {
        let path = scratch.join(name);
        std::fs::write(&path, text).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    }
    match config::load::load_with(&Input::Dir(scratch.to_path_buf()), Default::default()) {
        Ok(inv) => Ok(inv.warnings.clone()),
        Err(mut problems) => {
            let mut all: Vec<String> = problems
                .take_warnings()
                .into_iter()
                .map(|w| format!("warning: {w}"))
                .collect();
            all.extend(problems.list.iter().map(|p| p.to_string()));
            all.extend(problems.more());
            Err(all)
        }
    }
}

fn scratch_dir() -> std::io::Result<std::path::PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..100u32 {
        let dir = base.join(format!("phx-migrate.{}.{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free scratch directory name"))
}

/// Writes each file that is not already there as is: a temporary file
/// beside it, synced, then renamed over, so a reader never sees half a file.
/// `mode`: a new file's (scripts are executable), else the umask's.
pub fn write_all(
    out: &Path,
    files: &[(&str, String)],
    mode: Option<u32>,
) -> std::io::Result<Vec<Outcome>> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(out)?;
    let mut outcomes = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        if std::fs::read(&path).is_ok_and(|had| had == text.as_bytes()) {
            outcomes.push(Outcome::Identical);
            continue;
        }
        let dir = path.parent().unwrap_or(out);
        std::fs::create_dir_all(dir)?;
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{file_name}.phx-migrate.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode.unwrap_or(0o666))
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        outcomes.push(Outcome::Written);
    }
    Ok(outcomes)
}
