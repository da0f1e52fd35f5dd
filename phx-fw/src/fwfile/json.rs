//! The JSON `firewall` object a parsed file corresponds to.

use super::{action_text, comment, Kind};
use phx_common::config::{Firewall, FwRule};
use serde_json::{json, Map, Value};

/// The JSON `firewall` object for a firewall: what an operator pastes into
/// the configuration to adopt an existing file. Keys are the ones Phoenix reads.
pub fn to_json(fw: &Firewall, kind: Kind) -> Value {
    let mut o = Map::new();
    o.insert("enabled".into(), json!(fw.enabled));
    o.insert("default_input_policy".into(), json!(fw.policy_in));
    o.insert("default_output_policy".into(), json!(fw.policy_out));
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
        o.insert("ipsets".into(), json!(fw.ipsets));
    }
    o.insert(
        kind.rules_key().into(),
        Value::Array(fw.rules.iter().map(rule_json).collect()),
    );
    Value::Object(o)
}

pub fn rule_json(r: &FwRule) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(r.direction));
    o.insert("action".into(), json!(action_text(r)));
    let fields: [(&str, &Option<String>); 8] = [
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
