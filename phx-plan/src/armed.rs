//! Where phx-apply records armed automatic rollbacks, and how they are
//! read back. phoenix-cli reads them too (it stops `all` before LetsGo while
//! one is armed), so both must agree on what counts as an armed run.

use std::io;
use std::path::Path;

/// The directory of armed runs, one file per run, in the state directory.
pub const ARMED_DIR: &str = "armed";
/// Where versions before 0.3 kept the one armed run; still honoured.
pub const LEGACY_ARMED: &str = "armed-rollback";

/// `<seconds>-<nanoseconds>-<pid>`, every part digits: the name of a run's
/// backup directory and of its armed file. Anything else in those
/// directories is not a run (an editor's swap file, a stray copy).
pub fn is_run_id(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The run the pre-0.3 file names, if it exists.
pub fn legacy_armed(state_dir: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(state_dir.join(LEGACY_ARMED)) {
        Ok(t) => Ok(Some(t.trim().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every armed run under `state_dir` (e.g. /var/lib/phoenix), oldest first.
pub fn armed_runs(state_dir: &Path) -> io::Result<Vec<String>> {
    let mut runs: Vec<String> = match std::fs::read_dir(state_dir.join(ARMED_DIR)) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_run_id(n))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    runs.extend(legacy_armed(state_dir)?);
    runs.sort();
    runs.dedup();
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_ids_count_as_armed_runs() {
        let d = tempfile::tempdir().unwrap();
        assert!(armed_runs(d.path()).unwrap().is_empty());
        std::fs::create_dir(d.path().join(ARMED_DIR)).unwrap();
        std::fs::write(d.path().join(ARMED_DIR).join(".swp"), "").unwrap();
        std::fs::write(d.path().join(ARMED_DIR).join("notes"), "").unwrap();
        assert!(armed_runs(d.path()).unwrap().is_empty());
        std::fs::write(d.path().join(ARMED_DIR).join("2-1-3"), "").unwrap();
        std::fs::write(d.path().join(LEGACY_ARMED), "1-1-1\n").unwrap();
        assert_eq!(armed_runs(d.path()).unwrap(), ["1-1-1", "2-1-3"]);
    }
}
