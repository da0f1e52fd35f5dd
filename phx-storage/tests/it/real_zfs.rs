//! Opt-in (`cargo test -p phx-storage -- --ignored real_zfs`): the plan
//! against the real ZFS tools and kernel module, on two loop devices. Run
//! as root on a disposable host; selected and without ZFS it fails (through
//! phx_testkit::real_component), it never passes quietly.

use phx_testkit::real_component;
use std::process::Command;

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[ignore = "needs root, the zfs kernel module and zfsutils; selected with --ignored"]
fn real_zfs_pool_dataset_and_second_run() {
    let missing = if !std::path::Path::new("/sys/module/zfs").exists() {
        Some("the zfs kernel module (/sys/module/zfs)".to_string())
    } else if Command::new("zpool").arg("version").output().is_err() {
        Some("zpool (zfsutils-linux)".to_string())
    } else {
        None
    };
    if !real_component("real_zfs_pool_dataset_and_second_run", "zfs", missing) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk.img");
    sh(&format!("truncate -s 256M {}", img.display()));
    let dev = sh(&format!("losetup --find --show {}", img.display()));
    let cfg = crate::common::edited_fixture(|v| {
        v["zfs"]["pools"] =
            serde_json::json!([{ "name": "phxtest", "raid_level": "single", "disks": [dev] }]);
        v["zfs"]["datasets"] = serde_json::json!([{ "name": "data", "pool": "phxtest", "properties": "recordsize=16K,quota=64M" }]);
        v["zfs"].as_object_mut().unwrap().remove("arc_max_gb");
    });
    let run = || {
        let out = assert_cmd::Command::cargo_bin("phx-storage")
            .unwrap()
            .arg("--config-dir")
            .arg(cfg.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        phx_plan::read_jsonl(&out.stdout[..]).unwrap()
    };
    let opts = phx_apply::Options {
        run_commands: true,
        ..Default::default()
    };
    let first = run();
    let result = phx_apply::apply(&first, &opts);
    let second = run();
    let props = sh("zfs get -H -p -o value recordsize,quota phxtest/data");
    let _ = sh("zpool destroy phxtest");
    let _ = sh(&format!("losetup -d {dev}"));
    assert!(result.unwrap().failed().is_none());
    assert_eq!(props, "16384\n67108864");
    assert!(second.is_empty(), "second plan: {second:?}");
}
