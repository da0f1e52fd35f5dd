//! A `firewall` object: the cluster's (`global_firewall_rules`) or a
//! guest's (`rules`). Values are kept as written; `phx-fw` checks them
//! against what pve-firewall accepts.

use super::super::model::*;
use super::super::options::Rules;
use super::super::problems::Problems;
use super::super::raw::{show_str, Entries, LeafOr, List, ListOrObj, Obj, Scalar};
use super::super::reader::{At, Reader};
use crate::section;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::sync::Arc;

section! {
    pub struct RawFirewall {
        "enabled" => enabled: Scalar,
        "enable" => enable: Scalar,
        "default_input_policy" => default_input_policy: Scalar,
        "policy_in" => policy_in: Scalar,
        "default_output_policy" => default_output_policy: Scalar,
        "policy_out" => policy_out: Scalar,
        "options" => options: Entries<Scalar>,
        "aliases" => aliases: Entries<LeafOr<RawAlias>>,
        "ipsets" => ipsets: Entries<ListOrObj<LeafOr<RawSetEntry>, RawIpset>>,
        "global_firewall_rules" => global_firewall_rules: RuleList,
        "rules" => rules: RuleList,
        "groups" => groups: Entries<ListOrObj<Obj<RawRule>, RawGroup>>,
        "host" => host: Obj<RawFirewall>,
        "hosts" => hosts: Entries<Obj<RawFirewall>>,
    }
}

/// A firewall's rule list: as serde read it, or already checked while it
/// was read, with the problems found (the cluster's list, which
/// `stream::DocSeed` checks rule by rule: 50,000 raw rules alive at once
/// were 30 MB at 10,000 guests).
#[derive(Debug)]
pub enum RuleList {
    Raw(List<Obj<RawRule>>),
    /// The rules, their problems, and the list's path as they were checked.
    Checked(Vec<FwRule>, Problems, String),
}

impl<'de> Deserialize<'de> for RuleList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        List::deserialize(d).map(RuleList::Raw)
    }
}

section! {
    /// An IP set with a comment: `{"comment": …, "entries": [...]}`.
    pub struct RawIpset {
        "comment" => comment: Scalar,
        "entries" => entries: List<LeafOr<RawSetEntry>>,
    }
}

section! {
    /// An IP set entry with a comment: `{"cidr": …, "comment": …}`.
    pub struct RawSetEntry {
        "cidr" => cidr: Scalar,
        "comment" => comment: Scalar,
    }
}

section! {
    /// A security group with a comment: `{"comment": …, "rules": [...]}`.
    pub struct RawGroup {
        "comment" => comment: Scalar,
        "rules" => rules: List<Obj<RawRule>>,
    }
}

section! {
    pub struct RawAlias {
        "cidr" => cidr: Scalar,
        "comment" => comment: Scalar,
    }
}

section! {
    pub struct RawRule {
        "type" => kind: Scalar,
        "action" => action: Scalar,
        "macro" => macro_name: Scalar,
        "proto" => proto: Scalar,
        "port" => port: Scalar,
        "dport" => dport: Scalar,
        "sport" => sport: Scalar,
        "source" => source: Scalar,
        "dest" => dest: Scalar,
        "iface" => iface: Scalar,
        "log" => log: Scalar,
        "icmp_type" => icmp_type: Scalar,
        "enable" => enable: Scalar,
        "enabled" => enabled: Scalar,
        "comment" => comment: Scalar,
    }
}

/// The firewall at `at`; `rules_key` names its rule list (`rules` is read when it is absent).
pub fn firewall(r: &mut Reader, at: &At, f: Obj<RawFirewall>, rules_key: &str) -> Option<Firewall> {
    let f = match f {
        Obj::Ok(mut f) => {
            r.unknown_keys(at, &mut *f);
            *f
        }
        Obj::Bad(shown) => {
            r.push(at, shown, "an object");
            return None;
        }
    };
    let policy_in = policy(
        r,
        at,
        [
            ("default_input_policy", f.default_input_policy),
            ("policy_in", f.policy_in),
        ],
        defaults::POLICY_IN,
    );
    let policy_out = policy(
        r,
        at,
        [
            ("default_output_policy", f.default_output_policy),
            ("policy_out", f.policy_out),
        ],
        defaults::POLICY_OUT,
    );
    let enabled = r
        .opt(at, "enabled", f.enabled, Reader::bool)
        .or_else(|| r.opt(at, "enable", f.enable, Reader::bool))
        .unwrap_or(true);
    let mut options = BTreeMap::new();
    if let Some(o) = f.options {
        r.entries(&at.key("options"), o, |r, at, k, v| {
            let val = match v {
                Scalar::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
                Scalar::Num(ref x) => Some(x.to_string()),
                ref other => r.str(at, other.clone()),
            };
            if k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                r.bad(
                    at,
                    &v,
                    "an option name of lowercase letters, digits and '_'",
                );
            } else if let Some(val) = val {
                options.insert(k, val);
            }
        });
    }
    let mut aliases = BTreeMap::new();
    if let Some(a) = f.aliases {
        r.entries(&at.key("aliases"), a, |r, at, k, v| {
            let alias = match v {
                LeafOr::Leaf(s @ Scalar::Str(_)) => r.str(at, s).map(|cidr| Alias {
                    cidr,
                    comment: None,
                }),
                LeafOr::Obj(mut o) => {
                    r.unknown_keys(at, &mut o);
                    r.req(at, "cidr", o.cidr, "a string (required)", Reader::str)
                        .map(|cidr| Alias {
                            cidr,
                            comment: r.opt(at, "comment", o.comment, Reader::str),
                        })
                }
                LeafOr::Leaf(other) => {
                    r.bad(
                        at,
                        &other,
                        "an address/CIDR, or {\"cidr\": …, \"comment\": …}",
                    );
                    None
                }
            };
            if let Some(al) = alias {
                aliases.insert(k, al);
            }
        });
    }
    let mut ipsets = BTreeMap::new();
    let mut ipset_comments = BTreeMap::new();
    if let Some(s) = f.ipsets {
        r.entries(&at.key("ipsets"), s, |r, at, k, v| {
            // phx-fw keeps the comments of .fw files through parse and render.
            let (list, set_comment) = match v {
                ListOrObj::Items(items) => (items, None),
                ListOrObj::Obj(mut o) => {
                    r.unknown_keys(at, &mut *o);
                    let comment = r.opt(at, "comment", o.comment, Reader::str);
                    let items = wrapped_items(r, at, "entries", o.entries);
                    (items, comment)
                }
                ListOrObj::Bad(shown) => {
                    r.push(
                        at,
                        shown,
                        "an array, or {\"comment\": …, \"entries\": [...]}",
                    );
                    return;
                }
            };
            let mut entries = Vec::new();
            let mut comments = Vec::new();
            for (i, item) in list.into_iter().enumerate() {
                let at = at.index(i);
                let (entry, comment) = match item {
                    LeafOr::Leaf(v) => (r.str(&at, v), None),
                    LeafOr::Obj(mut o) => {
                        r.unknown_keys(&at, &mut o);
                        (
                            r.req(&at, "cidr", o.cidr, "a string (required)", Reader::str),
                            r.opt(&at, "comment", o.comment, Reader::str),
                        )
                    }
                };
                if let Some(e) = entry {
                    entries.push(e);
                    comments.push(comment);
                }
            }
            if set_comment.is_some() || comments.iter().any(Option::is_some) {
                let c = SetComments {
                    set: set_comment,
                    entries: comments,
                };
                ipset_comments.insert(k.clone(), c);
            }
            ipsets.insert(k, entries);
        });
    }
    let (rules_list, found_key) = match (rules_key, f.global_firewall_rules, f.rules) {
        ("global_firewall_rules", Some(g), _) => (Some(g), "global_firewall_rules"),
        (_, _, Some(l)) => (Some(l), "rules"),
        _ => (None, rules_key),
    };
    let rules_at = at.key(found_key);
    let rules = match rules_list {
        Some(list) => checked_rules(r, &rules_at, list),
        None => Vec::new(),
    };
    // phx-fw checks both (issue 13): groups are `[group]` sections of
    // cluster.fw, host the node's host.fw.
    let mut groups = BTreeMap::new();
    let mut group_comments = BTreeMap::new();
    if let Some(g) = f.groups {
        r.entries(&at.key("groups"), g, |r, at, k, v| {
            let (list, wrapped) = match v {
                ListOrObj::Items(items) => (items, false),
                ListOrObj::Obj(mut o) => {
                    r.unknown_keys(at, &mut *o);
                    if let Some(c) = r.opt(at, "comment", o.comment, Reader::str) {
                        group_comments.insert(k.clone(), c);
                    }
                    let items = wrapped_items(r, at, "rules", o.rules);
                    (items, true)
                }
                ListOrObj::Bad(shown) => {
                    r.push(
                        at,
                        shown,
                        "an array of rules, or {\"comment\": …, \"rules\": [...]}",
                    );
                    (Vec::new(), false)
                }
            };
            let rules_at = at.key("rules");
            let rules = r.each(
                if wrapped { &rules_at } else { at },
                List::Items(list),
                rule,
            );
            groups.insert(k, rules);
        });
    }
    let host = f
        .host
        .and_then(|h| firewall(r, &at.key("host"), h, "rules"))
        .map(Box::new);
    let mut hosts = BTreeMap::new();
    if let Some(h) = f.hosts {
        r.entries(&at.key("hosts"), h, |r, at, node, v| {
            // The node's name is a directory under /etc/pve/nodes.
            if !is_node_name(&node) {
                r.push(
                    at,
                    show_str(&node),
                    "a node name (letters, digits and '-', not starting or ending with '-')",
                );
            } else if let Some(fw) = firewall(r, at, v, "rules") {
                hosts.insert(node, fw);
            }
        });
    }
    Some(Firewall {
        enabled,
        policy_in,
        policy_out,
        options,
        aliases,
        ipsets,
        rules,
        rules_path: rules_at.render(),
        groups,
        host,
        hosts,
        ipset_comments,
        group_comments,
    })
}

/// A Proxmox node name: one DNS label.
fn is_node_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The list under `key` of a wrapping object (an IP set's `entries`, a
/// group's `rules`); absent is empty, anything but an array a problem.
fn wrapped_items<T>(r: &mut Reader, at: &At, key: &str, v: Option<List<T>>) -> Vec<T> {
    match v {
        Some(List::Items(items)) => items,
        Some(List::One(other)) => {
            r.bad(&at.key(key), &other, "an array");
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// The first of `keys` present: ACCEPT, DROP or REJECT in any case; `default` when none is.
fn policy(r: &mut Reader, at: &At, keys: [(&str, Option<Scalar>); 2], default: &str) -> String {
    let [(k1, v1), (k2, v2)] = keys;
    let (key, v) = match (v1, v2) {
        (Some(v), _) => (k1, v),
        (None, Some(v)) => (k2, v),
        (None, None) => return default.to_string(),
    };
    let at = at.key(key);
    r.str(&at, v)
        .and_then(|s| {
            let up = s.to_ascii_uppercase();
            if ["ACCEPT", "DROP", "REJECT"].contains(&up.as_str()) {
                Some(up)
            } else {
                r.push(&at, show_str(&s), "ACCEPT, DROP or REJECT");
                None
            }
        })
        .unwrap_or_else(|| default.to_string())
}

/// The rules of the list at `at`, each checked (empty when the reader does
/// not keep rules: `rule` then builds none). A list checked as it was read
/// brings its problems, which go in here, where its raw rules' would.
fn checked_rules(r: &mut Reader, at: &At, list: RuleList) -> Vec<FwRule> {
    match list {
        RuleList::Raw(list) => r.each(at, list, rule),
        RuleList::Checked(rules, problems, checked_at) => {
            debug_assert_eq!(checked_at, at.render(), "rules checked under another path");
            r.problems.extend(problems);
            rules
        }
    }
}

/// A checked value as the model keeps it: rules are many, and a boxed
/// `str` is a third smaller than a `String`.
fn boxed(v: Option<String>) -> Option<Box<str>> {
    v.map(String::into_boxed_str)
}

/// One rule checked; the model's rule when the reader keeps rules.
pub(in super::super) fn rule(r: &mut Reader, at: &At, n: Obj<RawRule>) -> Option<FwRule> {
    let n = match n {
        Obj::Ok(mut n) => {
            r.unknown_keys(at, &mut *n);
            *n
        }
        Obj::Bad(shown) => {
            r.push(at, shown, "an object");
            return None;
        }
    };
    let direction = r.req(at, "type", n.kind, "a string (required)", |r, at, v| {
        let mut s = r.str(at, v)?;
        if !["in", "out", "forward", "group"]
            .iter()
            .any(|d| s.eq_ignore_ascii_case(d))
        {
            r.push(at, show_str(&s), "in, out, forward or group");
        }
        s.make_ascii_lowercase();
        Some(s)
    });
    let action = r.req(at, "action", n.action, "a string (required)", Reader::str);
    let enabled = r
        .opt(at, "enable", n.enable, Reader::bool)
        .or_else(|| r.opt(at, "enabled", n.enabled, Reader::bool))
        .unwrap_or(true);
    let dport = match n.port {
        Some(p) => r.opt(at, "port", Some(p), Reader::text),
        None => r.opt(at, "dport", n.dport, Reader::text),
    };
    let rule = FwRule {
        direction: direction?.into(),
        action: action?.into(),
        macro_name: boxed(r.opt(at, "macro", n.macro_name, Reader::text)),
        proto: boxed(r.opt(at, "proto", n.proto, Reader::text)),
        dport: boxed(dport),
        sport: boxed(r.opt(at, "sport", n.sport, Reader::text)),
        source: boxed(r.opt(at, "source", n.source, Reader::text)),
        dest: boxed(r.opt(at, "dest", n.dest, Reader::text)),
        iface: boxed(r.opt(at, "iface", n.iface, Reader::text)),
        log: boxed(r.opt(at, "log", n.log, Reader::text)),
        icmp_type: boxed(r.opt(at, "icmp_type", n.icmp_type, Reader::text)),
        enabled,
        comment: boxed(r.opt(at, "comment", n.comment, Reader::text)),
        file: Arc::from(""),
        path: "".into(),
    };
    // Checked either way; its file and path are made only for a rule kept.
    (r.rules == Rules::Keep).then(|| FwRule {
        file: r.file_name(),
        path: at.render().into(),
        ..rule
    })
}
