//! nvidia-gpu-init.service through the REAL systemd-analyze verify, in a
//! root holding the host's systemd units and the two programs the runfile
//! installs (verify checks that each ExecStart is executable). verify exits
//! 0 on an unknown key or a bad value (it only warns), so anything it says
//! fails the test too.

use crate::common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn the_unit_is_accepted_by_systemd_analyze_verify() {
    let units = std::path::Path::new("/usr/lib/systemd/system");
    let missing = match Command::new("systemd-analyze").arg("--version").output() {
        Ok(o) if o.status.success() && units.is_dir() => None,
        _ => Some("systemd-analyze (package systemd)".to_string()),
    };
    if !real_component(
        "the_unit_is_accepted_by_systemd_analyze_verify",
        "systemd",
        missing,
    ) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let lib = root.path().join("usr/lib/systemd");
    std::fs::create_dir_all(&lib).unwrap();
    let cp = Command::new("cp")
        .arg("-a")
        .arg(units)
        .arg(&lib)
        .status()
        .unwrap();
    assert!(cp.success());
    let bin = root.path().join("usr/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for prog in ["nvidia-smi", "nvidia-modprobe"] {
        std::fs::write(bin.join(prog), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(bin.join(prog), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let unit = root.path().join(phx_gpu::UNIT_PATH.trim_start_matches('/'));
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    std::fs::write(&unit, phx_gpu::render::unit()).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.path().display()))
        .arg(phx_gpu::UNIT_PATH)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    // What it orders against and installs into, as the brief asks.
    let text = phx_gpu::render::unit();
    for line in [
        "Before=pve-guests.service",
        "WantedBy=multi-user.target",
        "ExecStart=/usr/bin/nvidia-smi -pm 1",
        "ExecStart=/usr/bin/nvidia-modprobe -u -c=0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}
