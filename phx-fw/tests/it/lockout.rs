//! The lockout guard, through the binary: exit 2 naming the rule or policy,
//! nothing on stdout; --allow-lockout lets it through. As pve-firewall does
//! (pve-firewall's enable_host_firewall) the implicit +management accept (IP set `management` +
//! local_network) comes after the user rules, so it only saves addresses
//! in the local network, and a user DROP on 22 beats it.

use crate::common;
use common::*;
use predicates::prelude::*;
use serde_json::json;

/// The example with an admin network wider than the host's local network
/// (10.0.0.13/24 → local_network 10.0.0.0/24) and no rule for 22/8006.
fn no_management_rule() -> tempfile::TempDir {
    example_with(|h| {
        h["network"]["default_subnet"] = json!("10.0.0.0/16");
        let rules = h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap();
        rules.retain(|r| r["port"] != json!("22") && r["port"] != json!("8006"));
    })
}

#[test]
fn drop_policy_without_management_rule_is_refused() {
    let dir = no_management_rule();
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "phoenix_hypervisor_config.json: firewall.default_input_policy: \"DROP\"",
        ))
        .stderr(predicate::str::contains("tcp/22"))
        .stderr(predicate::str::contains("tcp/8006"))
        .stderr(predicate::str::contains("10.0.0.0/16"))
        .stderr(predicate::str::contains("--allow-lockout"));
}

#[test]
fn allow_lockout_lets_it_through_with_a_warning() {
    let dir = no_management_rule();
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .arg("--allow-lockout")
        .env_remove("SSH_CLIENT")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"id\":\"fw:cluster\""))
        .stderr(predicate::str::contains("--allow-lockout"));
}

#[test]
fn ssh_client_outside_the_allowed_sources_is_caught() {
    // The example accepts 22/8006 from admin_lan 10.0.0.0/24 and +management is 10.0.0.0/24.
    phx_fw()
        .arg("--config-dir")
        .arg(example_dir())
        .env("SSH_CLIENT", "192.168.7.7 50022 22")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("192.168.7.7 (SSH_CLIENT)"))
        .stderr(predicate::str::contains("firewall.default_input_policy"));
    phx_fw()
        .arg("--config-dir")
        .arg(example_dir())
        .env("SSH_CLIENT", "10.0.0.50 50022 22")
        .assert()
        .success();
}

#[test]
fn a_user_drop_on_ssh_beats_the_management_set() {
    // Even from the local network: user rules come before the implicit accept.
    let dir = example_with(|h| {
        let rules = h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap();
        rules.insert(0, json!({"type": "in", "action": "DROP", "proto": "tcp", "port": "22", "comment": "no ssh"}));
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("firewall.global_firewall_rules[0]: \"IN DROP -p tcp -dport 22 # no ssh\" (/etc/pve/firewall/cluster.fw:19)"))
        .stderr(predicate::str::contains("tcp/22"))
        .stderr(predicate::str::contains("tcp/8006").not());
}

#[test]
fn macro_rules_from_the_admin_network_count_as_management_access() {
    let dir = example_with(|h| {
        h["network"]["default_subnet"] = json!("10.0.0.0/16");
        // Only management rules: no DNS server, so no DNS flow to refuse.
        h["dns_server"]["enabled"] = json!(false);
        h["firewall"]["global_firewall_rules"] = json!([
            {"type": "in", "action": "SSH(ACCEPT)", "source": "10.0.0.0/16"},
            {"type": "in", "action": "ACCEPT", "source": "10.0.0.0/16", "proto": "tcp", "port": "8000:8010"}
        ]);
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .success();
}

#[test]
fn an_accept_limited_to_some_source_ports_is_not_relied_on() {
    let dir = example_with(|h| {
        h["network"]["default_subnet"] = json!("10.0.0.0/16");
        h["firewall"]["global_firewall_rules"] = json!([
            {"type": "in", "action": "ACCEPT", "source": "10.0.0.0/16", "proto": "tcp", "port": "22,8006", "sport": "1024:2048"}
        ]);
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("10.0.1.0"));
}

#[test]
fn a_disabled_firewall_cannot_lock_anyone_out() {
    let dir = example_with(|h| {
        h["network"]["default_subnet"] = json!("10.0.0.0/16");
        h["firewall"]["enabled"] = json!(false);
        h["firewall"]["global_firewall_rules"] = json!([]);
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env("SSH_CLIENT", "192.168.7.7 1 22")
        .assert()
        .success();
}

/// H1: without network.default_subnet (and without SSH_CLIENT, e.g. on the
/// console or under sudo) the guard falls back to the host's own network
/// (network address 10.0.0.13/24 → 10.0.0.0/24) and says so.
#[test]
fn without_default_subnet_the_host_network_is_guarded() {
    let dir = example_with(|h| {
        h["network"]
            .as_object_mut()
            .unwrap()
            .remove("default_subnet");
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .insert(
                0,
                json!({"type": "in", "action": "DROP", "proto": "tcp", "port": "22"}),
            );
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("firewall.global_firewall_rules[0]"))
        .stderr(predicate::str::contains("tcp/22"))
        .stderr(predicate::str::contains(
            "warning: no network.default_subnet: the lockout guard checks the host's own network 10.0.0.0/24",
        ));
    // With a ruleset that keeps access the warning still names the fallback.
    let ok = example_with(|h| {
        h["network"]
            .as_object_mut()
            .unwrap()
            .remove("default_subnet");
    });
    phx_fw()
        .arg("--config-dir")
        .arg(ok.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no network.default_subnet: the lockout guard checks the host's own network 10.0.0.0/24",
        ));
}

/// M1: ipset hash:net matches the most specific entry, so in
/// [10.0.0.0/24, !10.0.0.0/16] the /24 wins for 10.0.0.x: the DROP on 22
/// applies to the admin network and must be refused.
#[test]
fn a_nomatch_entry_wider_than_a_match_entry_does_not_hide_it() {
    let dir = example_with(|h| {
        h["firewall"]["ipsets"]["blk"] = json!(["10.0.0.0/24", "!10.0.0.0/16"]);
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"type": "in", "action": "DROP", "source": "+blk", "proto": "tcp", "port": "22"}));
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "firewall.global_firewall_rules[0]: \"IN DROP -source +blk -p tcp -dport 22\"",
        ))
        .stderr(predicate::str::contains("tcp/22"));
}

/// The guard (`host_in_partition`, whole source sets) and `simulate` (one
/// packet) walk the same host IN order: blacklist, rules, +management,
/// policy. Expected verdicts by hand from pve-firewall's Firewall.pm (ipset sections, enable_host_firewall):
/// blacklist 10.0.0.66; REJECT 8006 from +blk = [10.0.0.0/24,
/// !10.0.0.0/16, !10.0.0.128/25, 192.168.0.0/16] (the most specific entry
/// decides); then the example's admin_lan (10.0.0.0/24) ACCEPTs on 22/8006.
#[test]
fn the_guard_and_the_simulator_agree_on_host_in() {
    use phx_fw::ipv4set::Ipv4Set;
    use phx_fw::sim::{Packet, Verdict::*, Zone};
    let dir = example_with(|h| {
        h["firewall"]["ipsets"]["blacklist"] = json!(["10.0.0.66"]);
        h["firewall"]["ipsets"]["blk"] = json!([
            "10.0.0.0/24",
            "!10.0.0.0/16",
            "!10.0.0.128/25",
            "192.168.0.0/16"
        ]);
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"type": "in", "action": "REJECT", "source": "+blk", "proto": "tcp", "port": "8006"}));
    });
    let inv = load_dir(dir.path());
    let rs = phx_fw::planner::propose(&inv).ruleset(&inv);
    let table = [
        ("10.0.0.66", 22, Drop),
        ("10.0.0.66", 8006, Drop),
        ("10.0.0.5", 22, Accept),
        ("10.0.0.5", 8006, Reject),
        ("10.0.0.200", 8006, Accept),
        ("10.0.1.1", 8006, Drop),
        ("192.168.3.3", 22, Drop),
        ("192.168.3.3", 8006, Reject),
        ("8.8.8.8", 8006, Drop),
    ];
    let mut failures = Vec::new();
    for (src, port, want) in table {
        let ip: std::net::Ipv4Addr = src.parse().unwrap();
        let parts = rs.host_in_partition(port, &Ipv4Set::full());
        let guard = parts
            .iter()
            .find(|(s, ..)| s.contains(u32::from(ip)))
            .map(|(_, v, _)| *v);
        let sim = rs
            .simulate(
                Zone::Outside,
                Zone::Host,
                &Packet {
                    src: ip,
                    dst: inv.host.network.address.addr(),
                    proto: 6,
                    dport: Some(port),
                    sport: Some(40000),
                    icmp_type: None,
                    ..Default::default()
                },
            )
            .verdict;
        if guard != Some(want) || sim != want {
            failures.push(format!(
                "{src} tcp/{port}: guard {guard:?}, simulate {sim}, expected {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
