//! Every field checked against what pve-firewall accepts (pve-firewall's Firewall.pm, parse_*fw_option and verify_rule),
//! with the JSON path in the message; injection attempts are errors.

use crate::common;
use common::*;
use predicates::prelude::*;
use serde_json::{json, Value};

/// Problems for the example with one extra cluster rule appended (it becomes
/// global_firewall_rules[8]).
fn with_rule(rule: Value) -> Vec<String> {
    problems_of(example_with(|h| {
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .push(rule)
    }))
}

fn problems_of(dir: tempfile::TempDir) -> Vec<String> {
    let inv =
        match phx_common::config::load(&phx_common::config::Input::Dir(dir.path().to_path_buf())) {
            Ok(inv) => inv,
            Err(p) => {
                return p
                    .list
                    .iter()
                    .map(|x| format!("{}: {}: {}", x.path, x.value, x.expected))
                    .collect()
            }
        };
    match phx_fw::planner::validate(&inv) {
        Ok(_) => Vec::new(),
        Err(p) => p
            .list
            .iter()
            .map(|x| format!("{}: {}: {}", x.path, x.value, x.expected))
            .collect(),
    }
}

#[test]
fn bad_rule_fields_are_named_by_json_path() {
    let r = "firewall.global_firewall_rules[8]";
    let cases: Vec<(Value, String, &str)> = vec![
        (
            json!({"type": "in", "action": "accept"}),
            format!("{r}.action"),
            "in uppercase",
        ),
        (
            json!({"type": "in", "action": "FOO(ACCEPT)"}),
            format!("{r}.action"),
            "macro",
        ),
        (
            json!({"type": "in", "action": "SSH(ACCEPT)", "port": "2222"}),
            format!("{r}.port"),
            "fixes protocol and ports",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "port": "22"}),
            format!("{r}.port"),
            "require proto",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcpx"}),
            format!("{r}.proto"),
            "/etc/protocols",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "70000"}),
            format!("{r}.port"),
            "0-65535",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"}),
            format!("{r}.port"),
            "at most 15",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "1:2,3:4,5:6,7:8,9:10,11:12,13:14,15:16"}),
            format!("{r}.port"),
            "at most 15",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "9:1"}),
            format!("{r}.port"),
            "above its end",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "sshx"}),
            format!("{r}.port"),
            "/etc/services",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "icmp", "port": "80,81"}),
            format!("{r}.port"),
            "has no ports",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "10.1.1.5/24"}),
            format!("{r}.source"),
            "host bits",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "+nosuch"}),
            format!("{r}.source"),
            "IP set defined in cluster.fw",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "+Management"}),
            format!("{r}.source"),
            "lowercase",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "nosuchalias"}),
            format!("{r}.source"),
            "alias defined",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "guest/admin_lan"}),
            format!("{r}.source"),
            "alias defined",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.0/24", "dest": "fe80::/64"}),
            format!("{r}.dest"),
            "address family",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.1-10.0.0.9,10.0.1.1"}),
            format!("{r}.source"),
            "only element",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "iface": "eth-0"}),
            format!("{r}.iface"),
            "no '-'",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "log": "warn"}),
            format!("{r}.log"),
            "not warn",
        ),
        (
            json!({"type": "forward", "action": "REJECT"}),
            format!("{r}.action"),
            "not allowed on FORWARD",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "icmp_type": "echo-request"}),
            format!("{r}.icmp_type"),
            "only with proto icmp",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "icmp", "icmp_type": "echo-requets"}),
            format!("{r}.icmp_type"),
            "ICMP type name",
        ),
        (
            json!({"type": "group", "action": "webservers"}),
            format!("{r}.action"),
            "security group defined",
        ),
        // Injection: a value that would add rule options is not an address, port or protocol.
        (
            json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.0/24 -j ACCEPT"}),
            format!("{r}.source"),
            "no spaces",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp -dport 22"}),
            format!("{r}.proto"),
            "/etc/protocols",
        ),
        (
            json!({"type": "in", "action": "ACCEPT -p tcp"}),
            format!("{r}.action"),
            "ACCEPT, DROP, REJECT",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "22 -source 0.0.0.0/0"}),
            format!("{r}.port"),
            "port",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "iface": "vmbr0 -source 1.2.3.4"}),
            format!("{r}.iface"),
            "interface",
        ),
        (
            json!({"type": "in", "action": "ACCEPT", "comment": "ok\n[RULES]\nIN ACCEPT"}),
            format!("{r}.comment"),
            "single-line",
        ),
    ];
    let mut failures = Vec::new();
    for (rule, path, expect) in cases {
        let got = with_rule(rule.clone());
        if !got
            .iter()
            .any(|g| g.starts_with(&format!("{path}: ")) && g.contains(expect))
        {
            failures.push(format!(
                "{rule}: expected a problem at {path} containing {expect:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn good_rules_pass() {
    let ok = [
        json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "1:2,3:4,5:6,7:8,9:10,11:12,13:14,15"}),
        json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "ssh,https,8000:8010"}),
        json!({"type": "in", "action": "ACCEPT", "proto": "6", "port": "22"}),
        json!({"type": "in", "action": "ACCEPT", "source": "+management", "dest": "traefik"}),
        json!({"type": "in", "action": "ACCEPT", "source": "+dc/management", "dest": "dc/admin_lan"}),
        json!({"type": "in", "action": "ACCEPT", "source": "local_network"}),
        json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.1-10.0.0.9", "dest": "10.0.0.13,10.0.1.0/24"}),
        json!({"type": "in", "action": "ssh(ACCEPT)", "source": "admin_lan", "iface": "vmbr0", "log": "nolog"}),
        json!({"type": "in", "action": "ACCEPT", "proto": "icmp", "icmp_type": "echo-request"}),
        json!({"type": "in", "action": "ACCEPT", "proto": "icmp", "port": "8"}),
        json!({"type": "in", "action": "ACCEPT", "proto": "ipv6-icmp", "source": "fe80::/64"}),
        json!({"type": "forward", "action": "DROP", "iface": "vmbr0.10"}),
        json!({"type": "out", "action": "REJECT", "proto": "udp", "sport": "53"}),
    ];
    for rule in ok {
        assert_eq!(with_rule(rule.clone()), Vec::<String>::new(), "{rule}");
    }
}

#[test]
fn aliases_ipsets_and_options_are_checked() {
    let got = problems_of(example_with(|h| {
        let fw = &mut h["firewall"];
        fw["aliases"]["range"] = json!("10.0.0.1-10.0.0.5");
        fw["aliases"]["hostbits"] = json!("10.0.0.1/24");
        // (A line break in a key is refused by the loader: phx-common's input_trust tests.)
        fw["aliases"]["evil IN ACCEPT"] = json!("10.0.0.1");
        fw["aliases"]["TRAEFIK"] = json!("10.0.0.13");
        fw["ipsets"]["Mgmt"] = json!(["10.0.0.0/24"]);
        fw["ipsets"]["bad"] = json!([
            "0.0.0.0/0",
            "10.0.0.1-10.0.0.3",
            "10.9.0.0/16",
            "!10.9.0.0/16",
            "nosuch",
            "!traefik"
        ]);
        fw["options"]["bogus"] = json!("1");
        fw["options"]["ebtables"] = json!("yes");
        fw["options"]["log_ratelimit"] = json!("enable=1, burst=5");
    }));
    let expect = [
        ("firewall.aliases.range", "no ranges or lists"),
        ("firewall.aliases.hostbits", "host bits"),
        ("firewall.aliases.\"evil IN ACCEPT\"", "alias name"),
        ("firewall.aliases.traefik", "case-insensitive"),
        ("firewall.ipsets.Mgmt", "lowercase"),
        ("firewall.ipsets.bad[0]", "/0"),
        ("firewall.ipsets.bad[1]", "no ranges"),
        ("firewall.ipsets.bad[3]", "duplicates"),
        ("firewall.ipsets.bad[4]", "no alias \"nosuch\""),
        ("firewall.options.bogus", "known cluster option"),
        ("firewall.options.ebtables", "0 or 1"),
        ("firewall.options.log_ratelimit", "without spaces"),
    ];
    for (path, text) in expect {
        assert!(
            got.iter()
                .any(|g| g.starts_with(&format!("{path}: ")) && g.contains(text)),
            "{path} / {text}: {got:#?}"
        );
    }
    assert_eq!(got.len(), expect.len(), "{got:#?}");
}

#[test]
fn guest_rules_are_checked_in_the_guest_scope() {
    let (h, mut l, v) = example_docs();
    let fw = &mut l["lxc_configs"]["103"]["firewall"];
    fw["aliases"] = json!({"clients": "10.0.0.0/24"});
    fw["rules"] = json!([
        {"type": "in", "action": "ACCEPT", "source": "clients", "dest": "dc/traefik"},
        {"type": "in", "action": "ACCEPT", "source": "admin_lan", "iface": "net0"},
        {"type": "in", "action": "ACCEPT", "source": "+guest/management"},
        {"type": "in", "action": "ACCEPT", "iface": "eth0"},
        {"type": "forward", "action": "ACCEPT"},
        {"type": "in", "action": "ACCEPT", "source": "dc/clients"}
    ]);
    fw["options"] = json!({"dhcp": "0", "macfilter": "2", "ebtables": "1"});
    let got = problems_of(write_docs(&h, &l, &v));
    let p = "lxc_configs.\"103\".firewall";
    let expect = [
        (format!("{p}.rules[2].source"), "IP set defined"),
        (format!("{p}.rules[3].iface"), "netN"),
        (format!("{p}.rules[4].type"), "no FORWARD"),
        (format!("{p}.rules[5].source"), "alias defined"),
        (format!("{p}.options.macfilter"), "0 or 1"),
        (format!("{p}.options.ebtables"), "known guest option"),
    ];
    for (path, text) in &expect {
        assert!(
            got.iter()
                .any(|g| g.starts_with(&format!("{path}: ")) && g.contains(text)),
            "{path} / {text}: {got:#?}"
        );
    }
    assert_eq!(got.len(), expect.len(), "{got:#?}");
}

#[test]
fn cli_reports_every_problem_at_once_with_exit_2_and_nothing_on_stdout() {
    let dir = example_with(|h| {
        let rules = h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap();
        rules.push(json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.0/24 -j ACCEPT"}));
        rules.push(json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "99999"}));
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("phoenix_hypervisor_config.json: firewall.global_firewall_rules[8].source: \"10.0.0.0/24 -j ACCEPT\": "))
        .stderr(predicate::str::contains("phoenix_hypervisor_config.json: firewall.global_firewall_rules[9].port: \"99999\": "))
        .stderr(predicate::str::contains("2 problem(s)"));
}

#[test]
fn cli_rejects_a_comment_with_a_newline() {
    let dir = example_with(|h| {
        h["firewall"]["global_firewall_rules"][0]["comment"] = json!("x\nIN ACCEPT")
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "firewall.global_firewall_rules[0].comment",
        ));
}

#[test]
fn upstream_fixture_and_example_are_valid() {
    for dir in [upstream_dir(), example_dir()] {
        let inv = load_dir(&dir);
        phx_fw::planner::validate(&inv).unwrap_or_else(|p| panic!("{}: {p}", dir.display()));
        phx_fw::plan(&inv, &Default::default())
            .unwrap_or_else(|p| panic!("{}: {p}", dir.display()));
    }
}

/// `-p 0`, `-p ip` and `-p hopopt` are protocol number 0 in /etc/protocols,
/// which iptables reads as "every protocol" (and Perl as false): refused, so
/// that the rule written means what the simulator and the lockout guard
/// evaluate.
#[test]
fn protocol_zero_and_its_names_are_refused() {
    for proto in ["0", "ip", "hopopt", "000"] {
        let got = with_rule(json!({"type": "in", "action": "DROP", "proto": proto}));
        let want = format!(
            "firewall.global_firewall_rules[8].proto: \"{proto}\": matches every protocol; leave proto out instead"
        );
        assert!(got.iter().any(|g| g.starts_with(&want)), "{proto}: {got:?}");
    }
    // Only the proto is named, not also the port that comes with it.
    let got = with_rule(json!({"type": "in", "action": "DROP", "proto": "ip", "port": "22"}));
    assert_eq!(got.len(), 1, "{got:?}");
}

#[test]
fn cli_refuses_protocol_zero_with_the_json_path() {
    let dir = example_with(|h| {
        h["firewall"]["global_firewall_rules"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "in", "action": "DROP", "proto": "0"}))
    });
    phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "phoenix_hypervisor_config.json: firewall.global_firewall_rules[8].proto: \"0\": matches every protocol; leave proto out instead",
        ));
}
