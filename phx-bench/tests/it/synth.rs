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

/// `phx-synth --layout original` writes the firewall where the original's
/// files keep it, and the inventory loads as Phoenix's layout does but for
/// the paths that say where the firewall was: the benchmarks time the same
/// work on both layouts, and a planner plans alike (phx-vm here).
#[test]
fn both_layouts_load_one_inventory_and_plan_alike() {
    let root = bench_state_root();
    let no_qm = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();
    for layout in ["phoenix", "original"] {
        let out = tempfile::tempdir().unwrap();
        Command::cargo_bin("phx-synth")
            .unwrap()
            .args(["--guests", "40", "--layout", layout, "--out"])
            .arg(out.path())
            .assert()
            .success();
        let hyp: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join("phoenix_hypervisor_config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            hyp.get("firewall").is_some(),
            layout == "phoenix",
            "{layout}: the top-level firewall"
        );
        assert_eq!(
            hyp.pointer("/shared_volumes/firewall").is_some(),
            layout == "original",
            "{layout}: shared_volumes.firewall"
        );
        let inv = load(&Input::Dir(out.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
        let seen = phx_vm::observe::observe(&inv, &root, Some(no_qm.path().as_os_str())).unwrap();
        let planned = phx_vm::plan(&inv, &seen, &root, phx_vm::Options::default())
            .unwrap_or_else(|p| panic!("{p}"));
        let dir = out.path().display().to_string();
        shown.push(
            format!(
                "{:?} {:?} {:?} {:?}",
                inv.host, inv.lxcs, inv.vms, planned.plan.steps
            )
            .replace(&dir, "DIR"),
        );
    }
    assert!(shown[1].contains("shared_volumes.firewall.global_firewall_rules[0]"));
    assert!(
        shown[1].replace("shared_volumes.firewall", "firewall") == shown[0],
        "the two layouts load or plan differently"
    );
}
