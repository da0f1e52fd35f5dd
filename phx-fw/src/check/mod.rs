//! Validation of a firewall object against what pve-firewall accepts
//! (reference §1.2–§1.4). The same checks run on the JSON (paths like
//! `firewall.global_firewall_rules[3].source`) and on parsed `.fw` files
//! (`line 12`), so `phx-fw parse` is as strict as planning.
//!
//! `options`: `[OPTIONS]`; `sets`: aliases and IP sets; `rule`: one rule,
//! field by field, with the parsers of `phx_common::firewall`.

mod options;
mod rule;
mod sets;

use crate::fwfile::FwDoc;
use phx_common::config::reader::join_key;
use phx_common::config::{Firewall, FwRule, Problems};
use phx_common::firewall::lookup::Kind;
use std::collections::BTreeSet;

/// Where an item of a firewall object is, for messages.
pub trait Locate {
    fn option(&self, key: &str) -> String;
    fn alias(&self, name: &str) -> String;
    fn ipset(&self, name: &str, entry: Option<usize>) -> String;
    /// `field` is the JSON key (`source`, `port`…).
    fn rule(&self, rule: &FwRule, field: &str) -> String;
}

/// A firewall object in the JSON, found at `base` (`firewall`, `lxc_configs."103".firewall`).
pub struct JsonLoc<'a> {
    pub base: &'a str,
}

impl Locate for JsonLoc<'_> {
    fn option(&self, key: &str) -> String {
        join_key(&join_key(self.base, "options"), key)
    }
    fn alias(&self, name: &str) -> String {
        join_key(&join_key(self.base, "aliases"), name)
    }
    fn ipset(&self, name: &str, entry: Option<usize>) -> String {
        let p = join_key(&join_key(self.base, "ipsets"), name);
        match entry {
            Some(i) => format!("{p}[{i}]"),
            None => p,
        }
    }
    fn rule(&self, rule: &FwRule, field: &str) -> String {
        if field.is_empty() {
            rule.path.clone()
        } else {
            format!("{}.{field}", rule.path)
        }
    }
}

/// A parsed `.fw` file: everything is `line N`.
pub struct FileLoc<'a> {
    pub doc: &'a FwDoc,
}

impl Locate for FileLoc<'_> {
    fn option(&self, key: &str) -> String {
        self.doc
            .option_lines
            .get(key)
            .map_or("[OPTIONS]".into(), |n| format!("line {n}"))
    }
    fn alias(&self, name: &str) -> String {
        self.doc
            .alias_lines
            .get(name)
            .map_or("[ALIASES]".into(), |n| format!("line {n}"))
    }
    fn ipset(&self, name: &str, entry: Option<usize>) -> String {
        match self.doc.ipset_lines.get(name) {
            Some((h, lines)) => format!(
                "line {}",
                entry.and_then(|i| lines.get(i).copied()).unwrap_or(*h)
            ),
            None => format!("[IPSET {name}]"),
        }
    }
    fn rule(&self, rule: &FwRule, _field: &str) -> String {
        rule.path.clone()
    }
}

/// What a reference can see: the object itself, and for a guest the cluster's.
pub struct Ctx<'a> {
    pub kind: Kind,
    pub cluster: Option<&'a Firewall>,
    /// Security groups defined in cluster.fw.
    pub groups: &'a BTreeSet<String>,
}

fn q(s: &str) -> String {
    format!("{s:?}")
}

/// Every problem in one firewall object, pushed into `p`. Warnings (legal
/// but probably not meant) go to `p.warnings`.
pub fn check(fw: &Firewall, ctx: &Ctx, file: &str, loc: &dyn Locate, p: &mut Problems) {
    options::check_options(fw, ctx, file, loc, p);
    sets::check_aliases(fw, file, loc, p);
    sets::check_ipsets(fw, ctx, file, loc, p);
    let mut forward_warned = false;
    for r in &fw.rules {
        rule::check_rule(r, fw, ctx, loc, p);
        if r.direction == "forward" && !forward_warned {
            forward_warned = true;
            p.warn(format!("{}: {}: FORWARD rules are ignored by the iptables pve-firewall (only proxmox-firewall with nftables: 1 uses them)", r.file, loc.rule(r, "type")));
        }
    }
}
