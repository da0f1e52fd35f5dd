//! phx-synth writes inventories the loader accepts as they are (the
//! benchmarks would otherwise time an error path), with what was asked for.
//! Being an integration test, it also has cargo build the `phx-synth`
//! binary that `scripts/bench*` and phx-testkit's interface test run.

use assert_cmd::Command;
use phx_common::config::{load, Input};

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
