//! Shared plumbing: the pct double on the PATH handed to the executor,
//! running containers made by it with the guest doubles inside, configuration
//! copies to edit, and what the doubles logged.
#![allow(dead_code)]

use phx_apply::{apply, Options, Report};
use phx_plan::Step;
pub use phx_testkit::*;
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

/// PATH with the pct and qm doubles in front.
pub fn pct_path() -> &'static OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("phx-features-doubles")
            .tempdir()
            .unwrap()
            .keep();
        direct_pct(&dir);
        std::os::unix::fs::symlink(double("qm"), dir.join("qm")).unwrap();
        prepend(&dir)
    })
}

pub fn pct(root: &Path, args: &[&str]) {
    let out = Command::new("pct")
        .args(args)
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pct {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn rootfs(root: &Path, ct: u32) -> PathBuf {
    root.join(format!("var/lib/pct-double/ct/{ct}/rootfs"))
}

/// A root with the guest-program doubles in the pct double's template.
pub fn node() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    install_guest_doubles(root.path());
    // The template pct create reads, where storage `local` keeps it.
    let t = root
        .path()
        .join("var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst");
    std::fs::create_dir_all(t.parent().unwrap()).unwrap();
    std::fs::write(t, "template stand-in\n").unwrap();
    root
}

/// Container `ct` created from the Debian template and started.
pub fn running(root: &Path, ct: u32) {
    let id = ct.to_string();
    pct(root, &["create", &id, TEMPLATE]);
    pct(root, &["start", &id]);
}

pub fn run(steps: &[Step], root: &Path) -> Report {
    let opts = Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(pct_path().clone()),
        ..Default::default()
    };
    let report = apply(steps, &opts).unwrap();
    if let Some(f) = report.failed() {
        panic!("step {} failed: {}", f.id, f.detail);
    }
    report
}

pub fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the doubles inside CT `ct` logged (they log only what changes something).
pub fn guest_log(root: &Path, ct: u32) -> String {
    std::fs::read_to_string(rootfs(root, ct).join("var/log/phx-doubles.log")).unwrap_or_default()
}

pub fn clear_guest_log(root: &Path, ct: u32) {
    let _ = std::fs::remove_file(rootfs(root, ct).join("var/log/phx-doubles.log"));
}

/// Packages the container's dpkg status records as installed.
pub fn installed(root: &Path, ct: u32) -> Vec<String> {
    read(rootfs(root, ct).join("var/lib/dpkg/status"))
        .split("\n\n")
        .filter(|p| p.contains("Status: install ok installed"))
        .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("Package: ")))
        .map(str::to_string)
        .collect()
}

/// A copy of `dir`'s three files in a temp directory, the LXC document
/// edited by `edit` first.
pub fn config_with(dir: &Path, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    for f in [HYP, LXC, VM] {
        std::fs::copy(dir.join(f), out.path().join(f)).unwrap();
    }
    let p = out.path().join(LXC);
    let mut doc: Value = serde_json::from_str(&read(p.clone())).unwrap();
    edit(&mut doc);
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    out
}

pub fn plan(dir: &Path) -> Vec<Step> {
    let out = phx_features::build(&load_dir(dir), std::path::Path::new("/nonexistent"))
        .unwrap_or_else(|p| panic!("{p}"));
    out.plan.steps
}

/// The plan with `root` as the state root (where the host keeps the
/// NVIDIA runfile).
pub fn plan_on(dir: &Path, root: &Path) -> Vec<Step> {
    let out = phx_features::build(&load_dir(dir), root).unwrap_or_else(|p| panic!("{p}"));
    out.plan.steps
}

pub fn features_cmd() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("phx-features").unwrap()
}

/// The VM document of a configuration copy emptied (an estate of containers only).
pub fn no_vms(dir: &Path) {
    let p = dir.join(VM);
    let mut doc: Value = serde_json::from_str(&read(p.clone())).unwrap();
    doc["vms"] = serde_json::json!([]);
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// Proxmox's standard templates carry curl and ca-certificates (the key
/// fetch needs them): recorded as installed, as the image has them.
pub fn standard_template_packages(root: &Path, ct: u32) {
    let status = rootfs(root, ct).join("var/lib/dpkg/status");
    let mut text = read(status.clone());
    for p in ["ca-certificates", "curl"] {
        text.push_str(&format!(
            "Package: {p}\nStatus: install ok installed\nVersion: 1\n\n"
        ));
    }
    std::fs::write(status, text).unwrap();
}

pub fn qm(root: &Path, args: &[&str]) {
    let out = Command::new("qm")
        .args(args)
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Where VM `vm`'s root is (the qm double's).
pub fn vm_rootfs(root: &Path, vm: u32) -> PathBuf {
    root.join(format!("var/lib/qm-double/vm/{vm}/rootfs"))
}

pub fn qm_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("qm.log")).unwrap_or_default()
}

/// VM `vm` made and started as phx-vm makes it (`agent: 1`), from an image
/// that has what an Ubuntu cloud image has and the guest agent running
/// (phx-vm's vendor data brings it; here the root is given it directly):
/// qemu-guest-agent, curl and ca-certificates in its dpkg status.
pub fn running_vm(root: &Path, vm: u32) {
    let id = vm.to_string();
    qm(root, &["create", &id, "--name", "vm", "--agent", "1"]);
    qm(root, &["start", &id]);
    let status = vm_rootfs(root, vm).join("var/lib/dpkg/status");
    std::fs::create_dir_all(status.parent().unwrap()).unwrap();
    let mut text = std::fs::read_to_string(&status).unwrap_or_default();
    for p in ["qemu-guest-agent", "ca-certificates", "curl"] {
        if !text.contains(&format!("Package: {p}\n")) {
            text.push_str(&format!(
                "Package: {p}\nStatus: install ok installed\nVersion: 1\n\n"
            ));
        }
    }
    std::fs::write(status, text).unwrap();
    // The user cloud-init made at first boot (user_config.username).
    let etc = vm_rootfs(root, vm).join("etc");
    for (file, line) in [
        (
            "passwd",
            "phoenix_user:x:1000:1000::/home/phoenix_user:/bin/sh\n",
        ),
        ("group", "phoenix_user:x:1000:\n"),
    ] {
        let mut t = std::fs::read_to_string(etc.join(file)).unwrap();
        t.push_str(line);
        std::fs::write(etc.join(file), t).unwrap();
    }
}

/// Packages VM `vm`'s dpkg status records as installed.
pub fn vm_installed(root: &Path, vm: u32) -> Vec<String> {
    read(vm_rootfs(root, vm).join("var/lib/dpkg/status"))
        .split("\n\n")
        .filter(|p| p.contains("Status: install ok installed"))
        .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("Package: ")))
        .map(str::to_string)
        .collect()
}

/// A copy of `dir`'s three files, the VM document edited by `edit`.
pub fn vm_config_with(dir: &Path, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let out = config_with(dir, |_| {});
    // The application scripts the LXC file names, beside it.
    let scripts = dir.join("scripts");
    if scripts.is_dir() {
        let to = out.path().join("scripts");
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(scripts).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    let p = out.path().join(VM);
    let mut doc: Value = serde_json::from_str(&read(p.clone())).unwrap();
    edit(&mut doc);
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    out
}

/// phx-features refusing the configuration in `dir`: exit 2, nothing on
/// stdout; its stderr, which names the problems.
pub fn refused(dir: &Path) -> String {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing planned");
    err
}
