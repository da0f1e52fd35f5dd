//! A fresh node under a temp root (examples/state, the upstream fixture's
//! disks blank), phx-storage run as a program with the doubles on PATH, its
//! plan applied with commands run, and the doubles' logs and state read back.

use phx_apply::Report;
pub use phx_testkit::fresh_node as bare_node;
use phx_testkit::{apply_opts, doubles_path, upstream_dir};
pub use phx_testkit::{fixture_disks, write_disks};
use serde_json::Value;
use std::ffi::OsString;
use std::path::Path;
use std::process::Output;

pub const DOUBLES: [&str; 9] = [
    "zpool",
    "zfs",
    "wipefs",
    "lsblk",
    "pvesm",
    "exportfs",
    "apt-get",
    "systemctl",
    "pveam",
];
/// The programs whose calls change something, per double log.
pub const MUTATING: [(&str, &[&str]); 6] = [
    ("zpool", &["create"]),
    ("zfs", &["create", "set"]),
    ("wipefs", &["-a"]),
    ("pvesm", &["add", "set"]),
    ("exportfs", &["-ra"]),
    ("pveam", &["update", "download"]),
];

pub fn path() -> OsString {
    doubles_path(&DOUBLES)
}

/// examples/state with every fixture disk present and blank, and the
/// fixture's cloud image in place (its default source is on the internet,
/// which tests never reach; fetch.rs downloads images from a local server).
pub fn fresh_node() -> tempfile::TempDir {
    let root = bare_node();
    phx_testkit::put_images(&upstream_dir(), root.path());
    root
}

pub fn read_json(root: &Path, rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join(rel)).unwrap()).unwrap()
}

/// `phx-storage --config-dir CFG --state-root ROOT ARGS…` with the doubles on PATH.
pub fn phx_storage(cfg: &Path, root: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("phx-storage")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg)
        .arg("--state-root")
        .arg(root)
        .args(args)
        .env("PATH", path())
        .output()
        .unwrap()
}

/// Plans and applies (phx-apply --root ROOT --run-commands, as a library);
/// every step must succeed. The report and phx-storage's stderr.
pub fn converge(cfg: &Path, root: &Path, args: &[&str]) -> (Report, String) {
    let out = phx_storage(cfg, root, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    let report = phx_apply::apply(&steps, &apply_opts(root, path())).unwrap();
    assert!(report.failed().is_none(), "{:?}", report.failed());
    (report, stderr)
}

/// The calls in a double's log that change something.
pub fn mutating_calls(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (prog, subs) in MUTATING {
        let log = std::fs::read_to_string(root.join(format!("{prog}.log"))).unwrap_or_default();
        out.extend(
            log.lines()
                .filter(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .is_some_and(|s| subs.contains(&s))
                })
                .map(String::from),
        );
    }
    // The apt-get and systemctl doubles log only what changes something.
    let shared = std::fs::read_to_string(root.join("doubles/calls.log")).unwrap_or_default();
    out.extend(shared.lines().map(String::from));
    out
}

pub fn clear_logs(root: &Path) {
    for prog in DOUBLES {
        let _ = std::fs::remove_file(root.join(format!("{prog}.log")));
    }
    let _ = std::fs::remove_file(root.join("doubles/calls.log"));
}

/// The fixture in a temp dir, its hypervisor JSON passed through `edit`.
pub fn edited_fixture(edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = phx_testkit::copy_config(&upstream_dir());
    let p = dir.path().join("phoenix_hypervisor_config.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    dir
}
