use phx_common::config::{load, Input};
use std::path::PathBuf;

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

#[test]
fn upstream_fixture_loads_unchanged() {
    let inv = load(&Input::Dir(repo("tests/fixtures/phoenix-upstream")))
        .unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(inv.host.domain, "phoenix.thinkheads.ai");
    assert_eq!(inv.lxcs.len(), 12);
    assert_eq!(inv.vms.len(), 3);
    assert_eq!(inv.host.firewall_path, "shared_volumes.firewall");
    assert_eq!(inv.host.firewall.as_ref().unwrap().rules.len(), 16);
    assert_eq!(inv.lxcs[&901].gpus, vec![0, 1]);
    assert_eq!(inv.lxcs[&801].dependencies, vec![101]);
    assert_eq!(inv.host.step_ca.dns_name, "ca.phoenix.thinkheads.ai");
}

#[test]
fn example_loads() {
    let inv = load(&Input::Dir(repo("examples/etc"))).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(inv.host.step_ca.dns_name, "ca.internal.thinkheads.ai");
    assert_eq!(inv.guest_with_feature("step_ca").unwrap().id(), 103);
    assert_eq!(inv.lxcs[&111].traefik_services.len(), 2);
    assert!(inv.vms[2].dns_records[0].wildcard);
}
