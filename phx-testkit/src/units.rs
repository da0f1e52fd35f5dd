//! The REAL `systemd-analyze verify` on a unit a recipe writes, in the root
//! it was written to (`--root`): systemd resolves the unit's ExecStart
//! binary and its dependencies there, so a missing interpreter, bad quoting
//! or an unknown key fails the test. The root is given the host's own
//! /usr/lib/systemd/system (sysinit.target and the rest every service pulls
//! in) where it has none: a container root without systemd (a double's, the
//! Debian minbase root) has no targets of its own.

use std::path::Path;
use std::process::Command;

/// Panics unless `systemd-analyze verify --root=ROOT UNIT` exits 0 and says
/// nothing (it only warns, exit 0, about an unknown key or section).
#[track_caller]
pub fn systemd_verify(root: &Path, unit: &str) {
    let units = root.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    for e in std::fs::read_dir("/usr/lib/systemd/system")
        .expect("the host's /usr/lib/systemd/system (systemd installed)")
        .flatten()
    {
        let to = units.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_file()) && !to.exists() {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .arg(unit)
        .output()
        .expect("systemd-analyze runs (systemd installed)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "systemd-analyze verify refuses {unit} in {}:\n{err}",
        root.display()
    );
}
