//! A `firewall` object (`parse/firewall.rs`): the cluster's, a guest's, or
//! the node's `host`. Rule fields are what phx-fw accepts (`fwrule.rs`);
//! aliases, IP sets and options are what the loader accepts (phx-fw checks
//! them further).

use crate::builder::{opt, req, Builder};
use crate::fwrule;
use crate::leaf::*;
use phx_common::config::parse::firewall::{
    RawAlias, RawFirewall, RawGroup, RawIpset, RawRule, RawSetEntry,
};
use serde_json::{json, Value};

pub fn firewall(b: &mut Builder) -> Value {
    b.def("firewall", |b| {
        let rules = array(rule(b), "firewall rules");
        let alias = alias(b);
        let set_entry = set_entry(b);
        let set_entries = array(set_entry.clone(), "IP set entries");
        let ipset = b.object::<RawIpset>(
            "an IP set with a comment",
            vec![opt("comment", string("the set's comment")), opt("entries", set_entries.clone())],
        );
        let group = b.object::<RawGroup>(
            "a security group with a comment",
            vec![opt("comment", string("the group's comment")), opt("rules", rules.clone())],
        );
        let host = firewall(b);
        b.object::<RawFirewall>(
            "a Proxmox firewall: cluster.fw (the hypervisor file's), <vmid>.fw (a guest's) or host.fw (`host`)",
            vec![
                opt("enabled", boolean("whether the firewall is on (default true)")),
                opt("enable", boolean("the same as enabled (read when enabled is absent)")),
                opt("default_input_policy", policy("the input policy (default DROP)")),
                opt("policy_in", policy("the same as default_input_policy")),
                opt("default_output_policy", policy("the output policy (default ACCEPT)")),
                opt("policy_out", policy("the same as default_output_policy")),
                opt("options", options()),
                opt("aliases", entries(alias, "named addresses: alias name → CIDR or {cidr, comment}")),
                opt(
                    "ipsets",
                    entries(
                        json!({"anyOf": [set_entries, ipset]}),
                        "IP sets: name → entries, or {comment, entries}",
                    ),
                ),
                opt("global_firewall_rules", with_description(rules.clone(), "the cluster's rules (the hypervisor file)")),
                opt("rules", with_description(rules.clone(), "the rules (a guest's; the cluster's when global_firewall_rules is absent)")),
                opt(
                    "groups",
                    entries(
                        json!({"anyOf": [rules, group]}),
                        "security groups: name → rules, or {comment, rules}",
                    ),
                ),
                opt("host", with_description(host.clone(), "the node's host.fw")),
                opt("hosts", {
                    let mut h = entries(host, "host.fw of each node: node name → firewall (/etc/pve/nodes/<node>/host.fw)");
                    h["propertyNames"] = json!({"pattern": "^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$"});
                    h
                }),
            ],
        )
    })
}

fn with_description(mut v: Value, description: &str) -> Value {
    if v.get("$ref").is_some() {
        // Draft 7 ignores a $ref's siblings: wrap it.
        v = json!({"allOf": [v]});
    }
    v["description"] = json!(description);
    v
}

fn options() -> Value {
    json!({
        "type": "object",
        "description": "[OPTIONS] lines: name → value",
        "propertyNames": {"pattern": "^[a-z0-9_]+$"},
        "additionalProperties": {"anyOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string", "pattern": LINE_SAFE}]},
    })
}

fn alias(b: &mut Builder) -> Value {
    let obj = b.object::<RawAlias>(
        "an alias with a comment",
        vec![
            req("cidr", string("the address or CIDR")),
            opt("comment", string("the alias's comment")),
        ],
    );
    json!({"anyOf": [string("an address or CIDR"), obj]})
}

fn set_entry(b: &mut Builder) -> Value {
    let obj = b.object::<RawSetEntry>(
        "an IP set entry with a comment",
        vec![
            req("cidr", string("the address or CIDR")),
            opt("comment", string("the entry's comment")),
        ],
    );
    json!({"anyOf": [string("an address or CIDR"), obj]})
}

fn rule(b: &mut Builder) -> Value {
    b.def("firewall_rule", |b| {
        let mut rule = b.object::<RawRule>(
            "a firewall rule",
            vec![
                req("type", rule_type()),
                req(
                    "action",
                    string("ACCEPT, DROP, REJECT, Macro(ACCEPT|DROP|REJECT), or a group's name"),
                ),
                opt(
                    "macro",
                    text("a pve-firewall macro (SSH, HTTP, …); action is then the verdict"),
                ),
                opt("proto", fwrule::proto()),
                opt(
                    "port",
                    fwrule::ports("destination ports (the same as dport)"),
                ),
                opt("dport", fwrule::ports("destination ports")),
                opt("sport", fwrule::ports("source ports")),
                opt(
                    "source",
                    fwrule::address("source: address, CIDR, range, list, +ipset or alias"),
                ),
                opt(
                    "dest",
                    fwrule::address("destination: address, CIDR, range, list, +ipset or alias"),
                ),
                opt("iface", fwrule::iface()),
                opt("log", fwrule::log()),
                opt("icmp_type", fwrule::icmp_type()),
                opt("enable", boolean("whether the rule is on (default true)")),
                opt("enabled", boolean("the same as enable")),
                opt("comment", text("the rule's comment")),
            ],
        );
        fwrule::between_fields(&mut rule);
        rule
    })
}
