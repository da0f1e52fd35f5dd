//! host.fw and security groups from the JSON firewall object (issue 13):
//! written where pve-firewall reads them, checked, simulated in its order,
//! and read back into the same JSON.

use crate::common;
use common::*;
use phx_fw::planner::propose;
use phx_fw::sim::{Decider, Packet, Verdict, Zone};
use serde_json::json;

fn with_host_and_groups(h: &mut serde_json::Value) {
    let fw = &mut h["firewall"];
    fw["host"] = json!({
        "options": {"tcpflags": "1", "log_level_in": "info", "nf_conntrack_max": "262144"},
        "rules": [
            {"type": "in", "action": "ACCEPT", "source": "192.168.1.0/24", "proto": "tcp", "port": "9100", "comment": "node exporter"},
            {"type": "group", "action": "webserver", "iface": "vmbr0"}
        ]
    });
    fw["groups"] = json!({
        "webserver": [
            {"type": "in", "action": "HTTPS(ACCEPT)"},
            {"type": "in", "action": "ACCEPT", "source": "admin_lan", "proto": "tcp", "port": "9443"}
        ]
    });
}

#[test]
fn host_fw_and_groups_are_written_where_pve_firewall_reads_them() {
    let dir = example_with(with_host_and_groups);
    let inv = load_dir(dir.path());
    phx_fw::planner::validate(&inv).unwrap_or_else(|p| panic!("{p}"));
    let files = propose(&inv).files();
    let host = files
        .iter()
        .find(|(p, _)| p == "/etc/pve/nodes/phoenix/host.fw")
        .expect("host.fw in the node's directory");
    assert_eq!(
        host.1,
        "[OPTIONS]\n\nenable: 1\nlog_level_in: info\nnf_conntrack_max: 262144\ntcpflags: 1\n\n[RULES]\n\nIN ACCEPT -source 192.168.1.0/24 -p tcp -dport 9100 # node exporter\nGROUP webserver -i vmbr0\n\n"
    );
    let cluster = &files[0].1;
    assert!(
        cluster.ends_with("[group webserver]\n\nIN HTTPS(ACCEPT)\nIN ACCEPT -source admin_lan -p tcp -dport 9443\n\n"),
        "{cluster}"
    );
}

/// enable_host_firewall: host rules, then cluster rules; a GROUP rule in
/// host.fw jumps into the cluster's group (ruleset_add_group_rule).
#[test]
fn host_rules_and_group_jumps_decide_in_proxmox_order() {
    let dir = example_with(with_host_and_groups);
    let inv = load_dir(dir.path());
    let rs = propose(&inv).ruleset(&inv);
    let to_host = |src: &str, dport: u16| {
        rs.simulate(
            Zone::Outside,
            Zone::Host,
            &Packet {
                src: src.parse().unwrap(),
                dst: "10.0.0.13".parse().unwrap(),
                proto: 6,
                dport: Some(dport),
                sport: Some(40000),
                icmp_type: None,
                ..Default::default()
            },
        )
    };
    let a = to_host("192.168.1.5", 9100);
    assert_eq!(a.verdict, Verdict::Accept);
    assert!(
        matches!(&a.decider, Decider::Rule { file, line: 10, .. } if file == "/etc/pve/nodes/phoenix/host.fw"),
        "{}",
        a.decider
    );
    let a = to_host("172.16.0.9", 443);
    assert_eq!(a.verdict, Verdict::Accept, "{}", a.decider);
    assert!(
        a.decider.to_string().contains("IN HTTPS(ACCEPT)"),
        "{}",
        a.decider
    );
    let a = to_host("172.16.0.9", 9100);
    assert_eq!(a.verdict, Verdict::Drop, "{}", a.decider);
}

#[test]
fn a_group_rule_naming_no_group_and_host_aliases_are_refused() {
    let dir = example_with(|h| {
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "group", "action": "nosuch"}));
        h["firewall"]["host"] = json!({"aliases": {"x": "10.1.1.1"}, "options": {"bogus": "1"}, "default_input_policy": "ACCEPT"});
    });
    let out = phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("\"nosuch\": a security group defined"),
        "{err}"
    );
    assert!(err.contains("firewall.host.aliases.x"), "{err}");
    assert!(err.contains("firewall.host.options.bogus"), "{err}");
    assert!(
        err.contains("firewall.host.default_input_policy: \"ACCEPT\": no policy in host.fw"),
        "{err}"
    );
}

/// JSON → files → parse → the same JSON, host and groups included.
#[test]
fn host_and_groups_round_trip_through_files() {
    let dir = example_with(with_host_and_groups);
    let out = tempfile::tempdir().unwrap();
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .arg("--state-root")
        .arg(phoenix_node().path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let parsed = phx_fw()
        .args(["parse", "--state-root"])
        .arg(out.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let parsed: serde_json::Value = serde_json::from_slice(&parsed).unwrap();
    let (mut h, _, _) = example_docs();
    with_host_and_groups(&mut h);
    let mut want = h["firewall"]["host"].clone();
    want["enabled"] = json!(true);
    // parse puts every host.fw under `hosts`, by the node it belongs to.
    assert_eq!(parsed["firewall"]["hosts"]["phoenix"], want);
    assert_eq!(parsed["firewall"]["groups"], h["firewall"]["groups"]);
}
