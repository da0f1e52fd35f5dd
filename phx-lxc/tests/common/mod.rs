//! Shared test plumbing: the pct test double on PATH, plan + apply into a temp root.
#![allow(dead_code)]

use phx_common::apply::{apply, Options as ApplyOptions, Report, Status};
use phx_common::config::{load, Input, Inventory};
use phx_common::plan::{Action, Step};
use phx_lxc::{observe, Options, Planned};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn upstream() -> PathBuf {
    manifest().join("../tests/fixtures/phoenix-upstream")
}

pub fn example() -> PathBuf {
    manifest().join("../examples/etc")
}

/// Puts `pct` (a symlink to tests/doubles/pct-double) first on PATH, once per
/// test process, before any test runs a command.
pub fn double_on_path() {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("pct-double-bin")
            .tempdir()
            .unwrap()
            .keep();
        std::os::unix::fs::symlink(manifest().join("tests/doubles/pct-double"), dir.join("pct"))
            .unwrap();
        let path = std::env::var("PATH").unwrap_or_default();
        std::env::set_var("PATH", format!("{}:{path}", dir.display()));
        dir
    });
}

pub fn inventory(dir: &Path) -> Inventory {
    load(&Input::Dir(dir.to_path_buf())).unwrap_or_else(|p| panic!("{p}"))
}

/// Creates the host directories the inventory bind-mounts, as the host has them.
pub fn make_bind_sources(inv: &Inventory, root: &Path) {
    for c in inv.lxcs.values() {
        for m in &c.mount_points {
            std::fs::create_dir_all(root.join(m.host_path.trim_start_matches('/'))).unwrap();
        }
    }
}

pub fn plan(inv: &Inventory, root: &Path, opts: Options) -> Planned {
    double_on_path();
    let seen = observe::observe(inv, root).unwrap();
    phx_lxc::plan(inv, &seen, opts).unwrap_or_else(|p| panic!("{p}"))
}

pub fn run(steps: &[Step], root: &Path) -> Report {
    double_on_path();
    let opts = ApplyOptions {
        root: root.to_path_buf(),
        run_commands: true,
        check: false,
        diff: false,
    };
    let report = apply(steps, &opts).unwrap();
    if let Some(f) = report.failed() {
        panic!("step {} failed: {}", f.id, f.detail);
    }
    report
}

pub fn changed(report: &Report) -> Vec<&str> {
    report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| o.id.as_str())
        .collect()
}

pub fn log(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("pct.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn clear_log(root: &Path) {
    let _ = std::fs::remove_file(root.join("pct.log"));
}

/// pct calls that change something (everything but list/status/config/listsnapshot).
pub fn mutating(log: &[String]) -> Vec<String> {
    log.iter()
        .filter(|l| {
            let verb = l.split_whitespace().nth(1).unwrap_or("");
            !["list", "status", "config", "listsnapshot"].contains(&verb)
        })
        .cloned()
        .collect()
}

pub fn argvs(planned: &Planned) -> Vec<Vec<String>> {
    planned
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Command(c) => Some(c.argv.clone()),
            _ => None,
        })
        .collect()
}

/// Plans and applies the inventory in `dir` into `root` (empty or not).
pub fn converge(dir: &Path, root: &Path) -> Inventory {
    let inv = inventory(dir);
    make_bind_sources(&inv, root);
    let p = plan(&inv, root, Options::default());
    run(&p.plan.steps, root);
    inv
}

pub fn conf_text(root: &Path, ctid: u32) -> String {
    std::fs::read_to_string(root.join(format!("etc/pve/lxc/{ctid}.conf"))).unwrap()
}

/// `key: value` of the main section (up to the first `[` line).
pub fn main_key(root: &Path, ctid: u32, key: &str) -> Option<String> {
    let text = conf_text(root, ctid);
    text.lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| *k == key)
        .last()
        .map(|(_, v)| v.to_string())
}

pub fn running(root: &Path) -> Vec<u32> {
    std::fs::read_to_string(root.join("var/lib/pct-double/running"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect()
}

/// Copies a config dir so a test can edit it.
pub fn copy_config(from: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), d.path().join(e.file_name())).unwrap();
    }
    d
}

/// Edits `phoenix_lxc_configs.json` in a copied config dir.
pub fn edit_lxc(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("phoenix_lxc_configs.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}
