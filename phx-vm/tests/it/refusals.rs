//! Bad input: LetsGo exits 2 naming the JSON path, and runs nothing (no
//! mutating qm or pct call, no file written).

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;

/// LetsGo on the example with `edit(lxc, vm)` applied, from an empty root
/// with the host prepared; the stderr, after checking exit 2 and that
/// nothing ran.
fn refused(edit: impl FnOnce(&mut Value, &mut Value)) -> String {
    let cfg = copy_config(&example_dir());
    let (mut lxc, mut vm) = (
        read_json(&cfg.path().join(LXC)),
        read_json(&cfg.path().join(VM)),
    );
    edit(&mut lxc, &mut vm);
    for (name, doc) in [(LXC, &lxc), (VM, &vm)] {
        std::fs::write(
            cfg.path().join(name),
            serde_json::to_string_pretty(doc).unwrap(),
        )
        .unwrap();
    }
    let root = tempfile::tempdir().unwrap();
    prepare_host(&example_dir(), root.path());
    let out = phoenix_cli(&[
        "LetsGo",
        "--config-dir",
        cfg.path().to_str().unwrap(),
        "--root",
        root.path().to_str().unwrap(),
        "--run-commands",
    ]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    for prog in ["qm", "pct"] {
        assert!(
            mutating(&log(root.path(), prog)).is_empty(),
            "{prog} ran: {err}"
        );
    }
    assert!(
        !root.path().join("etc/pve/qemu-server").exists()
            || dir_empty(&root.path().join("etc/pve/qemu-server"))
    );
    err
}

fn dir_empty(p: &Path) -> bool {
    std::fs::read_dir(p).unwrap().next().is_none()
}

#[test]
fn a_clone_of_a_missing_vmid() {
    let err = refused(|_, vm| vm["vms"][1]["clone_from_vmid"] = 4242.into());
    assert!(err.contains("vms[1].clone_from_vmid: 4242"), "{err}");
}

#[test]
fn a_template_without_an_image() {
    let err = refused(|_, vm| {
        vm["vms"][0]
            .as_object_mut()
            .unwrap()
            .remove("template_image");
    });
    assert!(err.contains("vms[0].template_image: (missing)"), "{err}");
}

#[test]
fn a_template_whose_image_is_not_on_the_host_names_the_paths_looked_at() {
    let err = refused(|_, vm| vm["vms"][0]["template_image"] = "nope.img".into());
    assert!(err.contains("vms[0].template_image: \"nope.img\""), "{err}");
    assert!(
        err.contains("/var/lib/vz/template/iso/nope.img")
            && err.contains("/var/lib/vz/import/nope.img"),
        "{err}"
    );
}

#[test]
fn a_vmid_colliding_with_a_ctid() {
    let err = refused(|_, vm| vm["vms"][2]["vmid"] = 110.into());
    assert!(
        err.contains("vms[2].vmid: \"110\"") && err.contains("share one namespace"),
        "{err}"
    );
}

#[test]
fn a_static_ip_without_a_gateway() {
    let err = refused(|_, vm| {
        vm["vms"][2]["network_config"]
            .as_object_mut()
            .unwrap()
            .remove("gw");
    });
    assert!(err.contains("vms[2].network_config.gw: (missing)"), "{err}");
}

#[test]
fn a_bad_mac() {
    let err = refused(|_, vm| vm["vms"][1]["mac_address"] = "52:54:00:zz:00:01".into());
    assert!(
        err.contains("vms[1].mac_address: \"52:54:00:zz:00:01\""),
        "{err}"
    );
}

#[test]
fn a_cloud_init_password_with_a_line_break_is_refused_and_never_shown() {
    let err = refused(|_, vm| {
        vm["vms"][1]["user_config"] =
            json!({"username": "ops", "password": "hunter2-secret\nroot::0:0"})
    });
    assert!(
        err.contains("vms[1].user_config.password: <secret>"),
        "{err}"
    );
    assert!(!err.contains("hunter2-secret"), "{err}");
}

#[test]
fn a_cycle_across_containers_and_vms() {
    let err = refused(|lxc, vm| {
        vm["vms"][1]["dependencies"] = json!([110]);
        lxc["lxc_configs"]["110"]["dependencies"] = json!(["1001"]);
    });
    assert!(
        err.contains("cycle") && err.contains("1001") && err.contains("110"),
        "{err}"
    );
}
