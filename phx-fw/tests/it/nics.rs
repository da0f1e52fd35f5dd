//! Guests with several NICs and their MACs from the JSON alone (no state
//! root): `network_config` as an array (net0, net1, …, each on its own
//! bridge, a further NIC with its own `mac_address`), per-NIC rules and
//! `ipfilter-netN` in the generated file, and the simulator's answers.
//! Each case cites the Perl (src/PVE/Firewall.pm) it follows.

use crate::common;
use common::*;
use serde_json::{json, Value};

/// The example with CT 102 given a second NIC on vmbr1, a rule and an
/// ipfilter set for it, and a host rule on vmbr1.
fn two_nics(edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let (mut h, mut l, v) = example_docs();
    let ct = &mut l["lxc_configs"]["102"];
    let net0 = ct["network_config"].clone();
    ct["network_config"] = json!([net0, {
        "name": "eth1",
        "bridge": "vmbr1",
        "ip": "192.168.50.12/24",
        "mac_address": "BC:24:11:00:02:12"
    }]);
    let fw = &mut ct["firewall"];
    fw["default_output_policy"] = json!("DROP");
    fw["ipsets"] = json!({"ipfilter-net1": ["192.168.50.13"]});
    let rules = fw["rules"].as_array_mut().unwrap();
    rules.push(
        json!({"type": "in", "action": "ACCEPT", "iface": "net1", "proto": "tcp", "port": "5432"}),
    );
    rules.push(json!({"type": "out", "action": "ACCEPT", "proto": "tcp", "port": "9090"}));
    h["firewall"]["host"] = json!({"rules": [
        {"type": "in", "action": "ACCEPT", "iface": "vmbr1", "proto": "tcp", "port": "9090"}
    ]});
    edit(&mut l);
    write_docs(&h, &l, &v)
}

fn batch(dir: &std::path::Path, lines: &str) -> (Vec<String>, String) {
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(dir)
        .args(["--batch", "-"])
        .write_stdin(lines.to_string())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let answers = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (answers, stderr)
}

#[test]
fn the_json_alone_models_every_nic_and_mac() {
    let dir = two_nics(|_| {});
    const CT: &str = "/etc/pve/firewall/102.fw";
    // (query, verdict, start of "decided by", what it follows)
    let cases = [
        (
            "192.168.50.5 ct102i1 tcp 5432",
            "ACCEPT",
            CT,
            "ruleset_generate_vm_rules: -i net1 on net1's chain",
        ),
        (
            "192.168.50.5 ct102 tcp 5432",
            "DROP",
            "/etc/pve/firewall/102.fw: policy_in",
            "ruleset_generate_vm_rules: not on net0's",
        ),
        (
            "192.168.50.5 192.168.50.12 tcp 5432",
            "ACCEPT",
            CT,
            "an address of net1 is the guest's, on net1",
        ),
        (
            "ct102i1 host tcp 9090",
            "ACCEPT",
            "/etc/pve/nodes/phoenix/host.fw",
            "enable_host_firewall: -i vmbr1, the bridge of net1 in the JSON",
        ),
        (
            "ct102 host tcp 9090",
            "DROP",
            "/etc/pve/firewall/cluster.fw: policy_in",
            "enable_host_firewall: net0 is on vmbr0",
        ),
        (
            "ct102i1 outside tcp 9090 source=192.168.50.13",
            "ACCEPT",
            CT,
            "ruleset_create_vm_chain: in ipfilter-net1",
        ),
        (
            "ct102i1 outside tcp 9090 source=192.168.50.99",
            "DROP",
            "implicit: guest 102 ipfilter",
            "ruleset_create_vm_chain: ! --match-set ipfilter-net1",
        ),
        (
            "ct102 outside tcp 9090 source=10.0.0.99",
            "ACCEPT",
            CT,
            "generate_tap_rules_direction: net0 has no ipfilter set",
        ),
        (
            "ct102 outside tcp 9090 source-mac=BC:24:11:00:01:99",
            "DROP",
            "implicit: guest 102 macfilter",
            "ruleset_create_vm_chain: net0's MAC is mac_address",
        ),
        (
            "ct102 outside tcp 9090 source-mac=BC:24:11:00:01:02",
            "ACCEPT",
            CT,
            "ruleset_create_vm_chain: the NIC's own MAC",
        ),
        (
            "ct102i1 outside tcp 9090 source-mac=BC:24:11:00:01:02",
            "DROP",
            "implicit: guest 102 macfilter",
            "ruleset_create_vm_chain: net1's MAC is its own mac_address",
        ),
        (
            "ct102i1 outside tcp 9090 source-mac=BC:24:11:00:02:12 source=192.168.50.13",
            "ACCEPT",
            CT,
            "ruleset_create_vm_chain: MAC and address both net1's",
        ),
    ];
    let lines: String = cases.iter().map(|c| format!("{}\n", c.0)).collect();
    let (answers, _) = batch(dir.path(), &lines);
    assert_eq!(answers.len(), cases.len());
    for ((q, verdict, by, follows), a) in cases.iter().zip(&answers) {
        let (v, d) = a.split_once('\t').unwrap();
        assert!(
            v == *verdict && d.starts_with(by),
            "{q}: expected {verdict} by {by}… ({follows}), got {a}"
        );
    }
}

#[test]
fn macfilter_0_in_the_json_turns_the_mac_rule_off() {
    // ruleset_create_vm_chain: no MAC rule when `macfilter` is 0.
    let dir = two_nics(|l| {
        l["lxc_configs"]["102"]["firewall"]["options"] = json!({"macfilter": false});
    });
    let (answers, _) = batch(
        dir.path(),
        "ct102 outside tcp 9090 source-mac=BC:24:11:00:01:99\n",
    );
    assert!(
        answers[0].starts_with("ACCEPT\t/etc/pve/firewall/102.fw"),
        "{answers:?}"
    );
}

#[test]
fn the_generated_file_has_the_per_nic_rule_and_set() {
    let dir = two_nics(|_| {});
    let out = phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("[IPSET ipfilter-net1]\n\n192.168.50.13\n"),
        "{text}"
    );
    assert!(
        text.contains("IN ACCEPT -i net1 -p tcp -dport 5432"),
        "{text}"
    );
    assert!(
        text.contains("IN ACCEPT -i vmbr1 -p tcp -dport 9090"),
        "{text}"
    );
}

#[test]
fn a_rule_or_set_for_an_undeclared_nic_is_warned() {
    let dir = two_nics(|l| {
        let fw = &mut l["lxc_configs"]["102"]["firewall"];
        fw["rules"].as_array_mut().unwrap().push(
            json!({"type": "in", "action": "ACCEPT", "iface": "net3", "proto": "tcp", "port": "1"}),
        );
        fw["ipsets"]["ipfilter-net2"] = json!(["10.0.0.1"]);
    });
    let out = phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "lxc_configs.\"102\".firewall.rules[4].iface: -i net3: guest 102 declares net0…net1"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "ipsets.\"ipfilter-net2\": guest 102 declares net0…net1 in network_config and no net2"
        ),
        "{stderr}"
    );
    // The planners are told they do not create net1.
    assert!(
        stderr.contains("phx-lxc and phx-vm create and converge net0 only"),
        "{stderr}"
    );
}

#[test]
fn source_mac_needs_a_guest_sender_with_a_known_mac() {
    let dir = example_dir();
    let run = |args: &[&str]| {
        phx_fw()
            .args(["simulate", "--config-dir"])
            .arg(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "--from",
        "outside",
        "--to",
        "ct102",
        "--source-mac",
        "BC:24:11:00:01:99",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the sender is not a guest"));
    // VM 1001 has no mac_address: Proxmox makes one up, the simulator cannot know it.
    let out = run(&[
        "--from",
        "vm1001",
        "--to",
        "outside",
        "--source-mac",
        "BC:24:11:00:01:99",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("guest 1001 net0 has no MAC"));
    let out = run(&["--from", "ct102", "--to", "outside", "--source-mac", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn mac_address_belongs_to_the_entry_for_net0() {
    let dir = two_nics(|l| {
        let nets = l["lxc_configs"]["102"]["network_config"]
            .as_array_mut()
            .unwrap();
        nets[0]["mac_address"] = json!("BC:24:11:00:01:02");
    });
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "lxc_configs.\"102\".network_config[0].mac_address",
        ));
}
