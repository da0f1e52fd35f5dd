//! The JSON `firewall` object a parsed file corresponds to.

use super::{action_text, comment, Kind};
use phx_common::config::{Firewall, FwRule};
use serde_json::{json, Map, Value};

/// The JSON `firewall` object for a firewall: what an operator pastes into
/// the configuration to adopt an existing file. Keys are the ones Phoenix reads.
pub fn to_json(fw: &Firewall, kind: Kind) -> Value {
    let mut o = Map::new();
    o.insert("enabled".into(), json!(fw.enabled));
    // host.fw has no policies: the host's are cluster.fw's.
    if kind != Kind::Host {
        o.insert("default_input_policy".into(), json!(fw.policy_in));
        o.insert("default_output_policy".into(), json!(fw.policy_out));
    }
    if !fw.options.is_empty() {
        o.insert("options".into(), json!(fw.options));
    }
    if !fw.aliases.is_empty() {
        let mut a = Map::new();
        for (k, v) in &fw.aliases {
            let val = match comment(&v.comment) {
                Some(c) => json!({"cidr": v.cidr, "comment": c}),
                None => json!(v.cidr),
            };
            a.insert(k.clone(), val);
        }
        o.insert("aliases".into(), Value::Object(a));
    }
    if !fw.ipsets.is_empty() {
        let sets: Map<String, Value> = fw
            .ipsets
            .iter()
            .map(|(name, entries)| (name.clone(), ipset_json(fw, name, entries)))
            .collect();
        o.insert("ipsets".into(), Value::Object(sets));
    }
    o.insert(
        kind.rules_key().into(),
        Value::Array(fw.rules.iter().map(rule_json).collect()),
    );
    if !fw.groups.is_empty() {
        let groups: Map<String, Value> = fw
            .groups
            .iter()
            .map(|(name, rules)| {
                let list: Value = rules.iter().map(rule_json).collect();
                let v = match fw.group_comments.get(name) {
                    Some(c) => json!({"comment": c, "rules": list}),
                    None => list,
                };
                (name.clone(), v)
            })
            .collect();
        o.insert("groups".into(), Value::Object(groups));
    }
    if let Some(h) = &fw.host {
        o.insert("host".into(), to_json(h, Kind::Host));
    }
    if !fw.hosts.is_empty() {
        let hosts: Map<String, Value> = fw
            .hosts
            .iter()
            .map(|(n, h)| (n.clone(), to_json(h, Kind::Host)))
            .collect();
        o.insert("hosts".into(), Value::Object(hosts));
    }
    Value::Object(o)
}

/// A set's entries; with comments, entries as {"cidr", "comment"} and the
/// set as {"comment", "entries"} where it has one.
fn ipset_json(fw: &Firewall, name: &str, entries: &[String]) -> Value {
    let Some(notes) = fw.ipset_comments.get(name) else {
        return json!(entries);
    };
    let list: Value = entries
        .iter()
        .enumerate()
        .map(
            |(i, e)| match notes.entries.get(i).and_then(Option::as_deref) {
                Some(c) => json!({"cidr": e, "comment": c}),
                None => json!(e),
            },
        )
        .collect();
    match &notes.set {
        Some(c) => json!({"comment": c, "entries": list}),
        None => list,
    }
}

pub fn rule_json(r: &FwRule) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(r.direction));
    o.insert("action".into(), json!(action_text(r)));
    let fields: [(&str, &Option<Box<str>>); 8] = [
        ("iface", &r.iface),
        ("source", &r.source),
        ("dest", &r.dest),
        ("proto", &r.proto),
        ("port", &r.dport),
        ("sport", &r.sport),
        ("log", &r.log),
        ("icmp_type", &r.icmp_type),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    }
    if !r.enabled {
        o.insert("enable".into(), json!(false));
    }
    if let Some(c) = comment(&r.comment) {
        o.insert("comment".into(), json!(c));
    }
    Value::Object(o)
}
