//! Where phx-apply records armed automatic rollbacks, and how they are
//! read back. phoenix-cli reads them too (it stops `all` before LetsGo while
//! one is armed), so both must agree on what counts as an armed run.

use std::io;
use std::path::Path;

/// The directory of armed runs, one file per run, in the state directory.
pub const ARMED_DIR: &str = "armed";
/// Where versions before 0.3 kept the one armed run; still honoured.
pub const LEGACY_ARMED: &str = "armed-rollback";

/// The name of a run's backup directory and of its armed file:
/// `2026-12-06T23-24-05Z-<nanoseconds>-<pid>` (the UTC time, then what
/// orders and tells apart runs of one second), or the form of earlier
/// versions, `<seconds>-<nanoseconds>-<pid>`, whose runs must still roll
/// back. Both sort by time, and every old one before every new one ('1…'
/// before '2…'). Anything else in those directories is not a run (an
/// editor's swap file, a stray copy).
pub fn is_run_id(name: &str) -> bool {
    let digits = |p: &str, len: Option<usize>| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && len.is_none_or(|n| p.len() == n)
    };
    let parts: Vec<&str> = name.split('-').collect();
    match parts.as_slice() {
        [secs, nanos, pid] => digits(secs, None) && digits(nanos, None) && digits(pid, None),
        [y, mo, rest, mi, sz, nanos, pid] => {
            let Some((d, h)) = rest.split_once('T') else {
                return false;
            };
            let Some(s) = sz.strip_suffix('Z') else {
                return false;
            };
            digits(y, Some(4))
                && [mo, &d, &h, mi, &s].iter().all(|p| digits(p, Some(2)))
                && digits(nanos, Some(9))
                && digits(pid, None)
        }
        _ => false,
    }
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
        // A run of this version, after the older ones.
        let new = "2026-12-06T23-24-05Z-000001234-42";
        std::fs::write(d.path().join(ARMED_DIR).join(new), "").unwrap();
        assert_eq!(armed_runs(d.path()).unwrap(), ["1-1-1", "2-1-3", new]);
    }

    #[test]
    fn run_ids_of_both_forms_and_nothing_else() {
        for id in [
            "1796599445-123456789-4242",
            "2026-12-06T23-24-05Z-123456789-4242",
        ] {
            assert!(is_run_id(id), "{id}");
        }
        for not in [
            "2026-12-06T23-24-05Z",
            "2026-12-06T23-24-05-123456789-4242",
            "2026-12-06 23-24-05Z-123456789-4242",
            "2026-12-6T23-24-05Z-123456789-4242",
            "2026-12-06T23-24-05Z-1234-4242",
            "2026-12-06T23-24-05Z-123456789-",
            "../2026-12-06T23-24-05Z-123456789-1",
            "1-2",
        ] {
            assert!(!is_run_id(not), "{not}");
        }
        // Old runs sort before new ones, and new ones by time.
        let mut ids = [
            "2026-12-06T23-24-05Z-000000002-1",
            "1796599445-123456789-4242",
            "2026-12-06T23-24-04Z-999999999-9",
            "2026-12-06T23-24-05Z-000000001-77",
        ];
        ids.sort();
        assert_eq!(
            ids,
            [
                "1796599445-123456789-4242",
                "2026-12-06T23-24-04Z-999999999-9",
                "2026-12-06T23-24-05Z-000000001-77",
                "2026-12-06T23-24-05Z-000000002-1",
            ]
        );
    }
}
