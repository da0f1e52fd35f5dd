//! Guests for the executor's tests: containers of the pct TEST DOUBLE
//! (phx-testkit/doubles/pct-double), whose `exec` really runs in a chroot
//! of the container's own root, so in-guest scripts run as they would.

#![allow(dead_code)] // each test binary uses its own part

use phx_plan::{Action, Plan, Step};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub fn pct_double() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../phx-testkit/doubles/pct-double")
}

/// PATH with `bin` first, then the process's own.
pub fn path_with(bin: &Path) -> OsString {
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// A directory holding `pct` (the double), kept for the test's life.
pub fn pct_path() -> OsString {
    let dir = tempfile::Builder::new()
        .prefix("phx-guest-bin")
        .tempdir()
        .unwrap()
        .keep();
    std::os::unix::fs::symlink(pct_double(), dir.join("pct")).unwrap();
    path_with(&dir)
}

pub fn pct(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(pct_double())
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap()
}

/// A created and running container `ctid`.
pub fn running_ct(root: &Path, ctid: u32) {
    let id = ctid.to_string();
    for args in [vec!["create", &id, TEMPLATE], vec!["start", &id]] {
        let out = pct(root, &args);
        assert!(out.status.success(), "{out:?}");
    }
}

/// Where guest path `p` of CT `ctid` is on the host.
pub fn in_ct(root: &Path, ctid: u32, p: &str) -> PathBuf {
    root.join(format!("var/lib/pct-double/ct/{ctid}/rootfs"))
        .join(p.trim_start_matches('/'))
}

/// Puts a file into the guest with this mode and numeric owner.
pub fn put(root: &Path, ctid: u32, p: &str, content: &[u8], mode: u32, uid: u32, gid: u32) {
    use std::os::unix::fs::PermissionsExt;
    let host = in_ct(root, ctid, p);
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(&host, content).unwrap();
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(&host, Some(uid), Some(gid)).unwrap();
}

/// Content, mode and numeric owner of a guest file.
pub fn stat(root: &Path, ctid: u32, p: &str) -> (Vec<u8>, u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let host = in_ct(root, ctid, p);
    let m = std::fs::metadata(&host).unwrap();
    (
        std::fs::read(&host).unwrap(),
        m.mode() & 0o7777,
        m.uid(),
        m.gid(),
    )
}

pub fn plan(actions: Vec<Action>) -> Vec<Step> {
    let mut p = Plan::new("test");
    for (i, a) in actions.into_iter().enumerate() {
        p.push(format!("s{i}"), a);
    }
    p.steps
}

pub fn jsonl(steps: &[Step]) -> Vec<u8> {
    let mut p = Plan::new("test");
    p.steps = steps.to_vec();
    let mut buf = Vec::new();
    p.write_jsonl(&mut buf).unwrap();
    buf
}

/// Names of files beside guest path `p` that are temp files of a write.
pub fn temps_beside(root: &Path, ctid: u32, p: &str) -> Vec<String> {
    let host = in_ct(root, ctid, p);
    let name = host.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(host.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{name}.phx-")))
        .collect()
}

/// The qm TEST DOUBLE (phx-testkit/doubles/qm-double): `guest exec` runs in
/// the VM's own root as pct-double's `exec` does in a container's.
pub fn qm_double() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../phx-testkit/doubles/qm-double")
}

/// A directory holding `qm` and `pct` (the doubles), kept for the test's life.
pub fn qm_path() -> OsString {
    let dir = tempfile::Builder::new()
        .prefix("phx-guest-bin")
        .tempdir()
        .unwrap()
        .keep();
    std::os::unix::fs::symlink(qm_double(), dir.join("qm")).unwrap();
    std::os::unix::fs::symlink(pct_double(), dir.join("pct")).unwrap();
    path_with(&dir)
}

pub fn qm(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(qm_double())
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap()
}

/// A created and running VM `vmid` whose image has the guest agent
/// installed, with `agent` as its config's agent option (`None`: unset).
pub fn running_vm(root: &Path, vmid: u32, agent: Option<&str>) {
    let id = vmid.to_string();
    let mut create = vec!["create", &id, "--name", "vm"];
    if let Some(a) = agent {
        create.extend(["--agent", a]);
    }
    for args in [create, vec!["start", &id]] {
        let out = qm(root, &args);
        assert!(out.status.success(), "{out:?}");
    }
    let status = in_vm(root, vmid, "/var/lib/dpkg/status");
    let mut text = std::fs::read_to_string(&status).unwrap();
    text.push_str("Package: qemu-guest-agent\nStatus: install ok installed\n\n");
    std::fs::write(status, text).unwrap();
}

/// Where guest path `p` of VM `vmid` is on the host.
pub fn in_vm(root: &Path, vmid: u32, p: &str) -> PathBuf {
    root.join(format!("var/lib/qm-double/vm/{vmid}/rootfs"))
        .join(p.trim_start_matches('/'))
}

/// The qm double's log, a line per call.
pub fn qm_log(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("qm.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}
