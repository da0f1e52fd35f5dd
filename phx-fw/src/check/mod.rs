//! Validation of a firewall object against what pve-firewall accepts
//! (pve-firewall's Firewall.pm, parse_*fw_option and verify_rule). The same checks run on the JSON (paths like
//! `firewall.global_firewall_rules[3].source`) and on parsed `.fw` files
//! (`line 12`), so `phx-fw parse` is as strict as planning.
//!
//! `options`: `[OPTIONS]`; `sets`: aliases and IP sets; `rule`: one rule,
//! field by field, with the parsers of `phx_common::firewall`; `nics`:
//! a guest's `-i netN` and `ipfilter-netN` against its declared NICs.

mod groups;
pub mod nics;
mod options;
mod rule;
mod sets;

use crate::fwfile::FwDoc;
use phx_common::config::reader::join_key;
use phx_common::config::{Alias, Firewall, FwRule, Problems};
use phx_common::firewall::addr::RefScope;
use phx_common::firewall::lookup::{find_alias_in, AliasIndex, Kind};
use std::collections::BTreeSet;

/// Where an item of a firewall object is, for messages.
pub trait Locate {
    fn option(&self, key: &str) -> String;
    /// A key of the object itself (`default_input_policy`).
    fn field(&self, key: &str) -> String;
    fn alias(&self, name: &str) -> String;
    fn ipset(&self, name: &str, entry: Option<usize>) -> String;
    fn group(&self, name: &str) -> String;
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
    fn field(&self, key: &str) -> String {
        join_key(self.base, key)
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
    fn group(&self, name: &str) -> String {
        join_key(&join_key(self.base, "groups"), name)
    }
    fn rule(&self, rule: &FwRule, field: &str) -> String {
        if field.is_empty() {
            rule.path.to_string()
        } else {
            format!("{}.{field}", rule.path)
        }
    }
}

/// A parsed `.fw` file: everything is `line N`.
pub struct FileLoc<'a> {
    pub doc: &'a FwDoc<'a>,
}

impl Locate for FileLoc<'_> {
    fn option(&self, key: &str) -> String {
        self.doc
            .option_lines
            .get(key)
            .map_or("[OPTIONS]".into(), |n| format!("line {n}"))
    }
    fn field(&self, key: &str) -> String {
        let option = match key {
            "default_input_policy" => "policy_in",
            "default_output_policy" => "policy_out",
            other => other,
        };
        self.option(option)
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
    fn group(&self, name: &str) -> String {
        self.doc
            .group_headers
            .get(name)
            .map_or(format!("[group {name}]"), |h| format!("line {h}"))
    }
    fn rule(&self, rule: &FwRule, _field: &str) -> String {
        rule.path.to_string()
    }
}

/// What a reference can see: the object itself, and for a guest the cluster's.
pub struct Ctx<'a> {
    pub kind: Kind,
    pub cluster: Option<&'a Firewall>,
    /// `cluster`'s aliases, indexed once for every object checked (empty
    /// without a cluster firewall).
    pub cluster_aliases: &'a AliasIndex<'a>,
    /// Security groups defined in cluster.fw.
    pub groups: &'a BTreeSet<String>,
}

/// Sections a file of this kind cannot have: host.fw has only options and
/// rules; groups and the host object belong to the cluster firewall.
fn check_placement(fw: &Firewall, ctx: &Ctx, file: &str, loc: &dyn Locate, p: &mut Problems) {
    let host = ctx.kind == Kind::Host;
    let cluster = ctx.kind == Kind::Cluster;
    if host {
        // The JSON reader fills in the defaults; another value was given.
        for (key, value, default) in [
            ("default_input_policy", &fw.policy_in, "DROP"),
            ("default_output_policy", &fw.policy_out, "ACCEPT"),
        ] {
            if value != default {
                p.push(file, &loc.field(key), q(value), "no policy in host.fw: the host's policies are the cluster firewall's default_input_policy / default_output_policy");
            }
        }
        for name in fw.aliases.keys() {
            p.push(file, &loc.alias(name), q(name), "no aliases in host.fw (pve-firewall reads only [OPTIONS] and [RULES] there): define it in the cluster firewall");
        }
        for name in fw.ipsets.keys() {
            p.push(file, &loc.ipset(name, None), q(name), "no IP sets in host.fw (pve-firewall reads only [OPTIONS] and [RULES] there): define it in the cluster firewall");
        }
    }
    if !cluster {
        for name in fw.groups.keys() {
            p.push(
                file,
                &loc.group(name),
                q(name),
                "security groups only in the cluster firewall ([group] sections of cluster.fw)",
            );
        }
        if fw.host.is_some() {
            p.push(
                file,
                &loc.field("host"),
                "host",
                "a host object only in the cluster firewall",
            );
        }
        if !fw.hosts.is_empty() {
            p.push(
                file,
                &loc.field("hosts"),
                "hosts",
                "a hosts object only in the cluster firewall",
            );
        }
    }
}

fn q(s: &str) -> String {
    format!("{s:?}")
}

/// Every problem in one firewall object, pushed into `p`. Warnings (legal
/// but probably not meant) go to `p.warnings`.
pub fn check(fw: &Firewall, ctx: &Ctx, file: &str, loc: &dyn Locate, p: &mut Problems) {
    let own = AliasIndex::new(fw);
    check_placement(fw, ctx, file, loc, p);
    options::check_options(fw, ctx, file, loc, p);
    sets::check_aliases(fw, file, loc, p);
    sets::check_ipsets(fw, &own, ctx, file, loc, p);
    groups::check_groups(fw, &own, ctx, file, loc, p);
    let mut forward_warned = false;
    for r in fw.rules.iter().chain(fw.groups.values().flatten()) {
        if &*r.direction == "forward" && !forward_warned {
            forward_warned = true;
            p.warn(format!("{}: {}: FORWARD rules are ignored by the iptables pve-firewall (only proxmox-firewall with nftables: 1 uses them)", r.file, loc.rule(r, "type")));
        }
    }
    for r in &fw.rules {
        rule::check_rule(r, fw, &own, ctx, loc, p);
    }
}

/// An alias as a reference in the object checked resolves it; `own` indexes
/// that object's aliases.
fn alias<'a>(
    name: &str,
    scope: RefScope,
    own: &AliasIndex<'a>,
    ctx: &Ctx<'a>,
) -> Option<&'a Alias> {
    find_alias_in(name, scope, own, ctx.kind, Some(ctx.cluster_aliases))
}
