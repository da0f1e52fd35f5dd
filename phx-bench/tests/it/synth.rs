//! phx-synth writes inventories the loader accepts as they are (the
//! benchmarks would otherwise time an error path), with what was asked for,
//! and whose VMs phx-vm plans against the benchmarks' state root.
//! Being an integration test, it also has cargo build the `phx-synth`
//! binary that `scripts/bench*` and phx-testkit's interface test run.

use assert_cmd::Command;
use phx_common::config::{load, Input};
use phx_plan::Action;
use std::path::Path;

#[test]
fn a_synthetic_inventory_loads_with_the_guests_and_services_asked_for() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-synth")
        .unwrap()
        .args(["--guests", "25", "--services", "3", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let inv = load(&Input::Dir(out.path().to_path_buf()))
        .unwrap_or_else(|p| panic!("phx-synth wrote an inventory the loader refuses: {p}"));
    assert_eq!(inv.lxcs.len() + inv.vms.len(), 25);
    let services: usize = inv
        .lxcs
        .values()
        .map(|c| c.traefik_services.len())
        .chain(inv.vms.iter().map(|v| v.traefik_services.len()))
        .sum();
    assert_eq!(services, 3);
}

/// A fresh node's files, the state root `scripts/bench` plans against.
fn bench_state_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/state")
}

#[test]
fn phx_vm_plans_the_synthetic_vms_as_one_template_and_its_clones() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-synth")
        .unwrap()
        .args(["--guests", "25", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let inv = load(&Input::Dir(out.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
    let root = bench_state_root();
    // No qm on this PATH: planned offline, every VM taken as stopped.
    let no_qm = tempfile::tempdir().unwrap();
    let seen = phx_vm::observe::observe(&inv, &root, Some(no_qm.path().as_os_str())).unwrap();
    let planned = phx_vm::plan(&inv, &seen, &root, phx_vm::Options::default())
        .unwrap_or_else(|p| panic!("phx-vm refuses phx-synth's VMs: {p}"));
    let argvs: Vec<&[String]> = planned
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Command(c) => Some(c.argv.as_slice()),
            _ => None,
        })
        .collect();
    let made = |verb: &str| argvs.iter().filter(|a| a[1] == verb).count();
    assert_eq!(inv.vms.len(), 5);
    assert_eq!((made("create"), made("template"), made("clone")), (1, 1, 4));
    let template = inv.vms.iter().find(|v| v.is_template).unwrap().id;
    for a in argvs.iter().filter(|a| a[1] == "clone") {
        assert_eq!(a[2], template.to_string(), "{a:?}");
    }
}
