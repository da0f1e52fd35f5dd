//! One rule, field by field (pve-firewall's Firewall.pm, verify_rule): each check a function, run in
//! the order the fields are written, with the parsers the simulator uses.

use super::{q, Ctx, Locate};
use phx_common::config::{Firewall, FwRule, Problems};
use phx_common::firewall::addr::{self, AddrRef, RefScope};
use phx_common::firewall::lookup::{find_ipset, is_local_network, AliasIndex, Kind};
use phx_common::firewall::rule::{
    each_port_range, is_guest_iface, is_host_iface, split_action, IcmpMatch,
};
use phx_common::firewall::tables;

const VERDICTS: &[&str] = &["ACCEPT", "DROP", "REJECT"];

/// A rule being checked: the rule, where its fields are, and where problems go.
struct At<'a> {
    r: &'a FwRule,
    fw: &'a Firewall,
    /// `fw`'s aliases, indexed.
    own: &'a AliasIndex<'a>,
    ctx: &'a Ctx<'a>,
    loc: &'a dyn Locate,
}

impl At<'_> {
    fn path(&self, field: &str) -> String {
        self.loc.rule(self.r, field)
    }
    fn push(&self, p: &mut Problems, field: &str, value: &str, expected: impl Into<String>) {
        p.push(&self.r.file, &self.path(field), q(value), expected.into());
    }
    fn guest(&self) -> bool {
        matches!(self.ctx.kind, Kind::Guest(_))
    }
}

pub(super) fn check_rule(
    r: &FwRule,
    fw: &Firewall,
    own: &AliasIndex,
    ctx: &Ctx,
    loc: &dyn Locate,
    p: &mut Problems,
) {
    let at = At {
        r,
        fw,
        own,
        ctx,
        loc,
    };
    if at.guest() && &*r.direction == "forward" {
        at.push(
            p,
            "type",
            &r.direction,
            "in, out or group (guest files have no FORWARD rules)",
        );
        return;
    }
    if &*r.direction == "group" {
        check_group_rule(&at, p);
    } else {
        check_action(&at, p);
        let pnum = check_proto(&at, p);
        check_ports(&at, pnum, p);
        check_icmp_type(&at, pnum, p);
        check_addresses(&at, p);
        check_log(&at, p);
    }
    check_iface(&at, p);
}

/// `GROUP name [-i iface]`: a defined group, nothing else.
fn check_group_rule(at: &At, p: &mut Problems) {
    let r = at.r;
    if r.macro_name.is_some() || !addr::is_set_name(&r.action) || r.action.len() > 18 {
        at.push(
            p,
            "action",
            &r.action,
            "a security group name ([A-Za-z][A-Za-z0-9_-]+, at most 18 characters)",
        );
    } else if !at.ctx.groups.contains(&*r.action) {
        at.push(p, "action", &r.action, "a security group defined in the cluster firewall's groups (an unknown group is an empty chain to pve-firewall)");
    }
    for (f, v) in [
        ("proto", &r.proto),
        ("port", &r.dport),
        ("sport", &r.sport),
        ("source", &r.source),
        ("dest", &r.dest),
        ("log", &r.log),
        ("icmp_type", &r.icmp_type),
    ] {
        if let Some(v) = v {
            at.push(p, f, v, "nothing: GROUP rules take only iface");
        }
    }
}

/// The verdict, the macro, and what a macro leaves no room for.
fn check_action(at: &At, p: &mut Problems) {
    let r = at.r;
    // The action as written, for messages only.
    let shown = || crate::fwfile::action_text(r);
    let (mac, verdict) = split_action(r);
    if !VERDICTS.contains(&verdict) {
        at.push(
            p,
            "action",
            &shown(),
            "ACCEPT, DROP, REJECT or Macro(ACCEPT|DROP|REJECT), in uppercase",
        );
    } else if let Some(m) = mac {
        if tables::lookup_macro(m).is_none() {
            let names: Vec<&str> = tables::MACROS.iter().take(12).map(|(n, _)| *n).collect();
            at.push(
                p,
                "action",
                &shown(),
                format!(
                    "a pve-firewall macro ({}, …) followed by (ACCEPT|DROP|REJECT)",
                    names.join(", ")
                ),
            );
        }
        for (f, v) in [
            ("proto", &r.proto),
            ("port", &r.dport),
            ("sport", &r.sport),
            ("icmp_type", &r.icmp_type),
        ] {
            if let Some(v) = v {
                at.push(
                    p,
                    f,
                    v,
                    format!("nothing: the macro {m} fixes protocol and ports"),
                );
            }
        }
    }
    if &*r.direction == "forward" && verdict == "REJECT" {
        at.push(
            p,
            "action",
            &shown(),
            "ACCEPT or DROP (REJECT is not allowed on FORWARD)",
        );
    }
}

/// The protocol number, when the rule names a usable one.
fn check_proto(at: &At, p: &mut Problems) -> Option<u8> {
    let s = at.r.proto.as_deref()?;
    match tables::protocol(s) {
        None => {
            at.push(
                p,
                "proto",
                s,
                "a protocol name or number from /etc/protocols (tcp, udp, icmp, …) or icmpv6",
            );
            None
        }
        // Protocol 0 (`0`, `ip`, `hopopt`) is "every protocol" to iptables
        // and false to Perl: neither a protocol the rule can be read as matching.
        Some(0) => {
            at.push(
                p,
                "proto",
                s,
                "matches every protocol; leave proto out instead",
            );
            None
        }
        n => n,
    }
}

/// `-dport`/`-sport`: only with a protocol that has ports (or the legacy
/// numeric ICMP type in `-dport`).
fn check_ports(at: &At, pnum: Option<u8>, p: &mut Problems) {
    let r = at.r;
    let (mac, _) = split_action(r);
    for (f, v) in [("port", &r.dport), ("sport", &r.sport)] {
        let Some(v) = v else { continue };
        if r.proto.is_none() {
            if mac.is_none() {
                at.push(
                    p,
                    f,
                    v,
                    "a port together with a protocol (-dport/-sport require proto: tcp, udp, …)",
                );
            }
            continue;
        }
        let Some(n) = pnum else { continue };
        // `-p icmp -dport T` is `--icmp-type T` (ipt_rule_to_cmds): a type
        // name or number of that family, one per rule.
        let icmp_family = match r.proto.as_deref() {
            Some("icmp") if f == "port" => Some(false),
            Some("icmpv6") if f == "port" => Some(true),
            _ => None,
        };
        if let Some(v6) = icmp_family {
            if let Err(e) = IcmpMatch::parse(v6, v) {
                at.push(p, f, v, format!("no port: protocol {:?} has no ports; its port field takes one ICMP type name or number ({e})", r.proto.as_deref().unwrap_or("")));
            }
            continue;
        }
        if !tables::PROTOCOLS_WITH_PORTS.contains(&n) {
            at.push(
                p,
                f,
                v,
                format!(
                    "no port: protocol {:?} has no ports (only tcp, udp, udplite, dccp, sctp; icmp and icmpv6 take an ICMP type in port)",
                    r.proto.as_deref().unwrap_or("")
                ),
            );
            continue;
        }
        if let Err(e) = each_port_range(v, |_, _| {}) {
            at.push(
                p,
                f,
                v,
                format!("a port, service name, range a:b or comma list of them, at most 15 ({e})"),
            );
        }
    }
}

fn check_icmp_type(at: &At, pnum: Option<u8>, p: &mut Problems) {
    let Some(t) = &at.r.icmp_type else { return };
    match pnum {
        Some(n @ (tables::ICMP | tables::ICMPV6)) => {
            // Names only here; numbers go in port (`-p icmp -dport 8`).
            if &**t != "any" && tables::icmp_type(n == tables::ICMPV6, t).is_none() {
                at.push(
                    p,
                    "icmp_type",
                    t,
                    "an ICMP type name (echo-request, time-exceeded, any, …)",
                );
            }
        }
        _ => at.push(
            p,
            "icmp_type",
            t,
            "an icmp_type only with proto icmp, icmpv6 or ipv6-icmp",
        ),
    }
    if at.r.dport.is_some() {
        at.push(p, "icmp_type", t, "icmp_type or port, not both");
    }
}

/// `-source` and `-dest`: valid, defined where referenced, one family.
fn check_addresses(at: &At, p: &mut Problems) {
    let r = at.r;
    // Checked (and reported) in this order; the family when it is known.
    let family_of = |f: &str, v: &Option<Box<str>>, p: &mut Problems| {
        let a = check_addr(at, f, v.as_deref()?, p)?;
        family(&a, at)
    };
    let source = family_of("source", &r.source, p);
    let dest = family_of("dest", &r.dest, p);
    if matches!((source, dest), (Some(s), Some(d)) if s != d) {
        at.push(
            p,
            "dest",
            r.dest.as_deref().unwrap_or(""),
            "the source's address family (no IPv4/IPv6 mixing within a rule)",
        );
    }
}

/// Address family of a reference when it is known: Some(true) for IPv4.
fn family(a: &AddrRef, at: &At) -> Option<bool> {
    match a {
        AddrRef::List { v4 } => Some(*v4),
        AddrRef::Range(x, _) => Some(x.is_ipv4()),
        AddrRef::Alias(scope, name) => super::alias(name, *scope, at.own, at.ctx)
            .and_then(|al| addr::parse_net(&al.cidr).ok())
            .map(|n| matches!(n, ipnet::IpNet::V4(_))),
        AddrRef::Set(..) => None,
    }
}

/// Checks an address field; returns what it is when valid.
fn check_addr<'v>(at: &At, field: &str, v: &'v str, p: &mut Problems) -> Option<AddrRef<'v>> {
    let (fw, ctx) = (at.fw, at.ctx);
    let a = match addr::each_addr_net(v, |_| {}) {
        Ok(a) => a,
        Err(e) => {
            at.push(p, field, v, format!("{} ({e})", addr::ADDR_EXPECTED));
            return None;
        }
    };
    let where_ = match ctx.kind {
        Kind::Cluster | Kind::Host => "in cluster.fw",
        Kind::Guest(_) => "in this guest's firewall or the cluster's",
    };
    match &a {
        AddrRef::Set(RefScope::Sdn, _) => {
            at.push(p, field, v, "an IP set Phoenix manages (+sdn/ sets come from Proxmox SDN, which Phoenix does not configure)");
            return None;
        }
        AddrRef::Set(scope, name) => {
            if name.chars().any(|c| c.is_ascii_uppercase()) {
                at.push(p, field, v, "an IP set name in lowercase (pve-firewall lowercases set names, so +Name never matches)");
                return None;
            }
            if find_ipset(name, *scope, fw, ctx.kind, ctx.cluster).is_none() {
                at.push(
                    p,
                    field,
                    v,
                    format!("an IP set defined {where_} (no set {name:?})"),
                );
                return None;
            }
        }
        AddrRef::Alias(scope, name)
            if !is_local_network(name, *scope)
                && super::alias(name, *scope, at.own, ctx).is_none() =>
        {
            at.push(
                p,
                field,
                v,
                format!("an address, or an alias defined {where_} (no alias {name:?})"),
            );
            return None;
        }
        _ => {}
    }
    Some(a)
}

fn check_log(at: &At, p: &mut Problems) {
    if let Some(l) = &at.r.log {
        if !tables::LOG_LEVELS.contains(&&**l) {
            at.push(
                p,
                "log",
                l,
                format!("a log level: {} (not warn)", tables::LOG_LEVELS.join(", ")),
            );
        }
    }
}

fn check_iface(at: &At, p: &mut Problems) {
    let Some(i) = &at.r.iface else { return };
    if at.guest() && !is_guest_iface(i) {
        at.push(p, "iface", i, "a guest NIC name netN (net0, net1, …)");
    } else if !at.guest() && !is_host_iface(i) {
        at.push(p, "iface", i, "a host interface name: a letter, then 1-20 letters, digits or '_', optionally :N or .N (no '-')");
    }
}
