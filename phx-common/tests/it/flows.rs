//! What `phx_common::flows::derive` finds in an inventory: which flows each
//! rule of derivation gives, their names, ports and reasons.

use phx_common::config::{load, FlowProto, Input, Problems};
use phx_common::flows::{derive, Flow, FlowKind};
use serde_json::{json, Value};
use std::path::PathBuf;

const FILES: [&str; 3] = [
    "phoenix_hypervisor_config.json",
    "phoenix_lxc_configs.json",
    "phoenix_vm_configs.json",
];

/// The example's flows after `edit`.
fn flows_of(edit: impl FnOnce(&mut [Value; 3])) -> Vec<Flow> {
    derived(edit).unwrap_or_else(|p| panic!("{p}"))
}

/// `derive` on the example after `edit`.
fn derived(edit: impl FnOnce(&mut [Value; 3])) -> Result<Vec<Flow>, Problems> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
    let mut docs = FILES
        .map(|f| serde_json::from_str(&std::fs::read_to_string(src.join(f)).unwrap()).unwrap());
    edit(&mut docs);
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
    derive(&inv)
}

fn named<'a>(flows: &'a [Flow], name: &str) -> &'a Flow {
    flows
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} among {:?}", names(flows)))
}

fn names(flows: &[Flow]) -> Vec<&str> {
    flows.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn the_acme_and_trust_flows_follow_step_ca_port() {
    let flows = flows_of(|d| d[0]["step_ca"]["port"] = json!(8443));
    let acme = named(&flows, "traefik->ca:acme");
    assert_eq!(
        (acme.kind, acme.proto, acme.port),
        (FlowKind::Acme, FlowProto::Tcp, 8443)
    );
    assert!(acme
        .why
        .contains("https://ca.internal.thinkheads.ai:8443/acme/acme/directory"));
    assert_eq!(named(&flows, "gitea->ca:trust").port, 8443);
    // Traefik's trust is its ACME flow, and the CA does not trust itself.
    assert!(!names(&flows).contains(&"traefik->ca:trust"));
    assert!(!names(&flows).contains(&"ca->ca:trust"));
}

#[test]
fn no_dns_server_no_dns_flows() {
    let flows = flows_of(|d| d[0]["dns_server"]["enabled"] = json!(false));
    assert!(
        flows.iter().all(|f| f.kind != FlowKind::Dns),
        "{:?}",
        names(&flows)
    );
    // The rest stays.
    named(&flows, "ca->traefik:http-01");
}

#[test]
fn a_guest_whose_nameserver_is_elsewhere_needs_no_dns_to_the_host() {
    let flows = flows_of(|d| {
        d[1]["lxc_configs"]["110"]["network_config"]["nameservers"] = json!("9.9.9.9");
    });
    assert!(!names(&flows).contains(&"gitea->host:dns/udp"));
    named(&flows, "monitoring->host:dns/udp");
}

#[test]
fn a_guest_named_like_a_role_is_told_apart_by_its_id() {
    let flows = flows_of(|d| d[1]["lxc_configs"]["111"]["name"] = json!("CA"));
    for name in [
        "traefik->ca:acme",
        "ca111->host:dns/udp",
        "traefik->ca111:grafana",
    ] {
        named(&flows, name);
    }
}

#[test]
fn a_declared_flow_is_named_from_its_ends() {
    let flows = flows_of(|d| {
        d[0]["flows"] =
            json!([{"from": "103", "to": "host", "proto": "udp", "port": 123, "why": "time"}]);
    });
    let f = named(&flows, "ca->host:udp/123");
    assert_eq!(f.kind, FlowKind::Declared);
    assert_eq!(f.why, "time");
    assert!(
        f.origin
            .ends_with("phoenix_hypervisor_config.json: flows[0]"),
        "{}",
        f.origin
    );
}

#[test]
fn a_flow_declared_twice_is_refused() {
    let flows = json!([
        {"from": "host", "to": 1001, "proto": "tcp", "port": 9443, "why": "a"},
        {"from": "host", "to": "Portainer", "proto": "tcp", "port": 9443, "why": "b"}
    ]);
    let p = derived(|d| d[0]["flows"] = flows).unwrap_err();
    let hit = p.list.iter().any(|x| {
        x.path == "flows[1]"
            && x.value == "host->portainer:tcp/9443"
            && x.expected.contains("a flow not already listed")
    });
    assert!(hit, "{p}");
}

#[test]
fn a_vm_template_never_runs_and_needs_no_flow() {
    let net = json!({"ip": "10.0.0.90/24", "gw": "10.0.0.1", "nameserver": "10.0.0.13"});
    let flows = flows_of(|d| {
        d[2]["vms"][0]["network_config"] = net.clone();
        d[2]["vms"][0]["features"] = json!(["trusted_ca"]);
    });
    let names = names(&flows);
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("debian-cloud-template->")),
        "{names:?}"
    );
    // The same guest as a clone would need them.
    let flows = flows_of(|d| {
        d[2]["vms"][0]["network_config"] = net.clone();
        d[2]["vms"][0]["features"] = json!(["trusted_ca"]);
        d[2]["vms"][0]["is_template"] = json!(false);
    });
    named(&flows, "debian-cloud-template->host:dns/udp");
    named(&flows, "debian-cloud-template->ca:trust");
}
