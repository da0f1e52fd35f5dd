//! phx-storage in `phoenix-cli setup` on every node: a configuration that
//! declares no ZFS asks no program anything, and a preview root on a machine
//! without the ZFS tools is planned offline instead of refused.

use crate::common::path;
use phx_testkit::{copy_config, edit_json, workspace};
use std::path::Path;

fn run(cfg: &Path, root: &Path, path: &std::ffi::OsStr) -> std::process::Output {
    assert_cmd::Command::cargo_bin("phx-storage")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg)
        .arg("--state-root")
        .arg(root)
        .env("PATH", path)
        .output()
        .unwrap()
}

#[test]
fn no_zfs_declared_calls_no_program() {
    let cfg = copy_config(&workspace().join("examples/etc"));
    edit_json(&cfg.path().join("phoenix_hypervisor_config.json"), |v| {
        v.as_object_mut().unwrap().remove("zfs");
    });
    let root = tempfile::tempdir().unwrap();
    // The doubles on PATH log every call they get under the root.
    let out = run(cfg.path(), root.path(), &path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("zpool"), "{err}");
    assert!(!root.path().join("zpool.log").exists(), "{err}");
}

#[test]
fn a_preview_without_zpool_plans_the_examples_datasets_offline() {
    let root = tempfile::tempdir().unwrap();
    // No program at all on PATH: no zpool, whatever the machine has.
    let empty = tempfile::tempdir().unwrap();
    let out = run(
        &workspace().join("examples/etc"),
        root.path(),
        empty.path().as_os_str(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("zpool is not on PATH: planning offline against")
            && err.contains("pools datasets name (tank) as present"),
        "{err}"
    );
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("tank/persistent"), "{plan}");
}
