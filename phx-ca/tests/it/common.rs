//! Shared test plumbing: the pct double (which really runs in-guest commands
//! in a chrooted root per container) and the host's update-ca-certificates
//! double on the PATH handed to the executor and to spawned processes, containers with the guest-program doubles installed, and
//! plan + apply into a temp root.
#![allow(dead_code)]

use phx_apply::{apply, Options, Report};
use phx_plan::Step;
pub use phx_testkit::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with `pct`, `qm` and the host's `update-ca-certificates` doubles in front,
/// for the executor's commands and for processes the tests start.
pub fn ca_path() -> &'static OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("phx-ca-doubles")
            .tempdir()
            .unwrap()
            .keep();
        direct_pct(&dir);
        std::os::unix::fs::symlink(double("qm"), dir.join("qm")).unwrap();
        // phx-vm lets `local` hold its snippets (LetsGo's pvesm set).
        std::os::unix::fs::symlink(double("pvesm"), dir.join("pvesm")).unwrap();
        std::os::unix::fs::symlink(
            guest_double("update-ca-certificates"),
            dir.join("update-ca-certificates"),
        )
        .unwrap();
        prepend(&dir)
    })
}

pub fn plan(dir: &Path) -> Vec<Step> {
    let out = phx_ca::build(&load_dir(dir)).unwrap_or_else(|p| panic!("{p}"));
    out.plan.steps
}

fn pct(root: &Path, args: &[&str]) {
    let st = Command::new("pct")
        .args(args)
        .env("PATH", ca_path())
        .env("PHX_ROOT", root)
        .status()
        .unwrap();
    assert!(st.success(), "pct {args:?}");
}

pub fn rootfs(root: &Path, ct: u32) -> PathBuf {
    root.join(format!("var/lib/pct-double/ct/{ct}/rootfs"))
}

/// Running containers for every LXC in the configuration, made by the pct
/// double, and running VMs for every VM that starts at boot, made by the qm
/// double as phx-vm makes them (its vendor snippet, whose first boot
/// installs the guest agent: the image has none); the guest-program doubles
/// inside each.
pub fn estate(config: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    install_guest_doubles(root.path());
    let template = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    let inv = load_dir(config);
    for ct in inv.lxcs.keys() {
        let id = ct.to_string();
        pct(root.path(), &["create", &id, template]);
        pct(root.path(), &["start", &id]);
    }
    // After the containers: pct create reads storage.cfg, which this writes.
    vm_agent_snippet(root.path());
    for vm in inv
        .vms
        .iter()
        .filter(|v| v.guest.start_at_boot && !v.is_template)
    {
        let id = vm.guest.id.to_string();
        let mut create = vec!["create", &id, "--name", "vm"];
        create.extend(VM_AGENT_ARGS);
        qm(root.path(), &create);
        qm(root.path(), &["start", &id]);
    }
    root
}

pub fn qm(root: &Path, args: &[&str]) {
    let st = Command::new("qm")
        .args(args)
        .env("PATH", ca_path())
        .env("PHX_ROOT", root)
        .status()
        .unwrap();
    assert!(st.success(), "qm {args:?}");
}

/// Where VM `vm`'s root is (the qm double's).
pub fn vm_rootfs(root: &Path, vm: u32) -> PathBuf {
    root.join(format!("var/lib/qm-double/vm/{vm}/rootfs"))
}

pub fn qm_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("qm.log")).unwrap_or_default()
}

pub fn run_with(steps: &[Step], root: &Path, check: bool, diff: bool) -> Report {
    let opts = Options {
        root: root.to_path_buf(),
        run_commands: true,
        check,
        diff,
        path: Some(ca_path().clone()),
        ..Default::default()
    };
    apply(steps, &opts).unwrap()
}

pub fn run(steps: &[Step], root: &Path) -> Report {
    let report = run_with(steps, root, false, false);
    if let Some(f) = report.failed() {
        panic!("step {} failed: {}", f.id, f.detail);
    }
    report
}

pub fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the doubles logged: the host's and every container's.
pub fn double_logs(root: &Path) -> String {
    let mut out = std::fs::read_to_string(root.join("var/log/phx-doubles.log")).unwrap_or_default();
    let cts = root.join("var/lib/pct-double/ct");
    let mut ids: Vec<_> = std::fs::read_dir(cts)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    ids.sort();
    for id in ids {
        let log = cts_log(root, &id.to_string_lossy());
        out.push_str(&format!("== {}\n{log}", id.to_string_lossy()));
    }
    out
}

fn cts_log(root: &Path, id: &str) -> String {
    std::fs::read_to_string(root.join(format!(
        "var/lib/pct-double/ct/{id}/rootfs/var/log/phx-doubles.log"
    )))
    .unwrap_or_default()
}

pub fn pct_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("pct.log")).unwrap_or_default()
}
