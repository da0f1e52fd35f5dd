//! Firewall rule fields: the schema says what phx-fw says. Values are put
//! into rules of several shapes appended to the cluster firewall; phx-fw's
//! verdict on the rule (after the loader's) must be the schema's, per
//! python3-jsonschema.

use crate::common;

use common::*;
use phx_schema::File;
use serde_json::{json, Value};

/// phx-fw refusals that join the value to something else, or do
/// arithmetic inside it: the schema leaves them to phx-fw (bad_inputs.json
/// lists them), so a trial they decide says nothing about the schema.
const BEYOND_THE_SCHEMA: &[&str] = &[
    "alias defined",
    "IP set defined",
    "security group defined",
    "host bits",
    "above its end",
    "above its last",
    "at most 15",
    "address family",
];

/// Rule fields, each in a rule appended to the cluster firewall with the
/// other fields it needs: what phx-fw accepts is the verdict.
const RULE_FIELDS: &[(&str, &str)] = &[
    (
        "port",
        r#"{"type": "in", "action": "ACCEPT", "proto": "tcp"}"#,
    ),
    (
        "sport",
        r#"{"type": "in", "action": "ACCEPT", "proto": "udp"}"#,
    ),
    (
        "port",
        r#"{"type": "in", "action": "ACCEPT", "proto": "icmp"}"#,
    ),
    ("port", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("proto", r#"{"type": "in", "action": "ACCEPT"}"#),
    (
        "proto",
        r#"{"type": "in", "action": "ACCEPT", "port": "22"}"#,
    ),
    ("source", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("dest", r#"{"type": "out", "action": "DROP"}"#),
    ("iface", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("log", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("action", r#"{"type": "in"}"#),
    ("action", r#"{"type": "forward"}"#),
    ("action", r#"{"type": "group"}"#),
    ("macro", r#"{"type": "in", "action": "ACCEPT"}"#),
    (
        "icmp_type",
        r#"{"type": "in", "action": "ACCEPT", "proto": "icmp"}"#,
    ),
    (
        "icmp_type",
        r#"{"type": "in", "action": "ACCEPT", "proto": "tcp"}"#,
    ),
    ("type", r#"{"action": "ACCEPT"}"#),
];

fn rule_candidates() -> Vec<Value> {
    let firewall = [
        "tcp",
        "udp",
        "TCP",
        "6",
        "006",
        "0006",
        "0",
        "ip",
        "hopopt",
        "icmp",
        "icmpv6",
        "ipv6-icmp",
        "58",
        "255",
        "256",
        "22",
        "ssh",
        "ssh,https",
        "8000:8010",
        "9:1",
        "1:2,3:4",
        "00022",
        "000022",
        "65535",
        "65536",
        "22,",
        ",22",
        "echo-request",
        "any",
        "8",
        "3/1",
        "3/256",
        "echo-requets",
        "+management",
        "+Management",
        "+dc/management",
        "+sdn/x",
        "+guest/x",
        "+m",
        "admin_lan",
        "dc/admin_lan",
        "guest/admin_lan",
        "sdn/x",
        "10.0.0.0/24",
        "10.0.0.0/024",
        "10.0.0.1-10.0.0.9",
        "10.0.0.1,10.0.0.2",
        "10.0.0.1,fe80::1",
        "fe80::/64",
        "fe80::/129",
        "10.0.0.0/33",
        "vmbr0",
        "vmbr0.10",
        "bond0:1",
        "net0",
        "eth-0",
        "e",
        "nolog",
        "info",
        "warn",
        "warning",
        "ACCEPT",
        "accept",
        "DROP",
        "REJECT",
        "SSH(ACCEPT)",
        "ssh(DROP)",
        "FOO(ACCEPT)",
        "SSH(accept)",
        "SSH(REJECT)",
        "Web_1",
        "in",
        "out",
        "forward",
        "group",
        "GROUP",
        "Forward",
    ];
    let mut out: Vec<Value> = firewall.iter().map(|s| json!(s)).collect();
    out.extend(candidates());
    out
}

#[test]
fn rule_fields_agree_with_phx_fw() {
    let rules = "/firewall/global_firewall_rules";
    let mut trials = Vec::new();
    let mut beyond = 0;
    for (field, base) in RULE_FIELDS {
        for value in rule_candidates() {
            let mut docs = example();
            let hyp = &mut docs[index(File::Hypervisor)];
            let at = hyp.pointer(rules).unwrap().as_array().unwrap().len();
            let mut rule: Value = serde_json::from_str(base).unwrap();
            rule[*field] = value.clone();
            set(hyp, &format!("{rules}/{at}"), rule);
            // The verdict is the rule's: the schema, like phx-fw, relates
            // a rule's fields (a port to its protocol…).
            let path = pointer_path(hyp, &format!("{rules}/{at}"));
            let problems = refusals(&docs, true);
            if problems
                .iter()
                .any(|p| BEYOND_THE_SCHEMA.iter().any(|m| p.expected.contains(m)))
            {
                beyond += 1;
                continue;
            }
            let here = problems.iter().any(|p| related(&p.path, &path));
            if let Some(other) = problems.iter().find(|p| !here && !related(&p.path, &path)) {
                panic!("{base} with {field} = {value}: refused elsewhere: {other}");
            }
            let doc = docs[index(File::Hypervisor)].clone();
            trials.push((*base, *field, value, path, here, doc));
        }
    }
    let docs: Vec<(File, Value)> = trials
        .iter()
        .map(|t| (File::Hypervisor, t.5.clone()))
        .collect();
    let Some(result) = validate(&docs) else {
        return;
    };
    let mut disagree = Vec::new();
    for ((base, field, value, path, refused, _), errors) in trials.iter().zip(&result) {
        let schema = errors.iter().any(|e| related(&e.path, path));
        let elsewhere: Vec<_> = errors.iter().filter(|e| !related(&e.path, path)).collect();
        if schema != *refused || !elsewhere.is_empty() {
            disagree.push(format!(
                "{base} with {field} = {value}: phx-fw {}, schema {} {elsewhere:?}",
                if *refused { "refuses" } else { "accepts" },
                if schema { "refuses" } else { "accepts" },
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} disagree ({beyond} left to phx-fw):\n{}",
        disagree.len(),
        trials.len(),
        disagree.join("\n")
    );
}
