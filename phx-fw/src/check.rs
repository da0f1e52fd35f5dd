//! Validation of a firewall object against what pve-firewall accepts
//! (reference §1.2–§1.4). The same checks run on the JSON (paths like
//! `firewall.global_firewall_rules[3].source`) and on parsed `.fw` files
//! (`line 12`), so `phx-fw parse` is as strict as planning.

use crate::addr::{self, Addr, RefScope};
use crate::fwfile::{FwDoc, Kind};
use crate::tables;
use phx_common::config::reader::join_key;
use phx_common::config::{Firewall, FwRule, Problems};
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

const BOOL_OPTS_CLUSTER: &[&str] = &["ebtables"];
const BOOL_OPTS_GUEST: &[&str] = &["dhcp", "ndp", "radv", "macfilter", "ipfilter"];

fn check_options(fw: &Firewall, ctx: &Ctx, file: &str, loc: &dyn Locate, p: &mut Problems) {
    for (k, v) in &fw.options {
        let path = loc.option(k);
        let guest = matches!(ctx.kind, Kind::Guest(_));
        match k.as_str() {
            "enable" | "enabled" => p.push(
                file,
                &path,
                q(v),
                "no \"enable\" option here: use the firewall object's \"enabled\": true/false",
            ),
            "policy_in" | "policy_out" => p.push(
                file,
                &path,
                q(v),
                "no policy option here: use \"default_input_policy\" / \"default_output_policy\"",
            ),
            k if (guest && BOOL_OPTS_GUEST.contains(&k))
                || (!guest && BOOL_OPTS_CLUSTER.contains(&k)) =>
            {
                if v != "0" && v != "1" {
                    p.push(
                        file,
                        &path,
                        q(v),
                        "0 or 1 (pve-firewall reads booleans only as 0/1)",
                    );
                }
            }
            "log_level_in" | "log_level_out" if guest => {
                if !tables::LOG_LEVELS.contains(&v.as_str()) {
                    p.push(
                        file,
                        &path,
                        q(v),
                        format!("a log level: {}", tables::LOG_LEVELS.join(", ")),
                    );
                }
            }
            "policy_forward" if !guest => {
                if v != "ACCEPT" && v != "DROP" {
                    p.push(file, &path, q(v), "ACCEPT or DROP");
                }
            }
            "log_ratelimit" if !guest => {
                if let Err(e) = log_ratelimit(v) {
                    p.push(file, &path, q(v), format!("[enable=]1|0[,burst=N][,rate=N/second|minute|hour|day] without spaces ({e})"));
                }
            }
            _ => {
                let known = if guest {
                    "dhcp, ndp, radv, macfilter, ipfilter, log_level_in, log_level_out"
                } else {
                    "ebtables, log_ratelimit, policy_forward"
                };
                p.push(
                    file,
                    &path,
                    q(v),
                    format!(
                        "a known {} option: {known}",
                        if guest { "guest" } else { "cluster" }
                    ),
                );
            }
        }
    }
}

fn log_ratelimit(v: &str) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (i, part) in v.split(',').enumerate() {
        let (k, val) = match part.split_once('=') {
            Some((k, val)) => (k, val),
            None if i == 0 => ("enable", part),
            None => return Err(format!("{part:?} has no key")),
        };
        if !seen.insert(k) {
            return Err(format!("{k} given twice"));
        }
        let ok = match k {
            "enable" => val == "0" || val == "1",
            "burst" => val.parse::<u32>().is_ok(),
            "rate" => val.split_once('/').is_some_and(|(n, u)| {
                n.parse::<u32>().is_ok() && ["second", "minute", "hour", "day"].contains(&u)
            }),
            _ => false,
        };
        if !ok {
            return Err(format!("bad {part:?}"));
        }
    }
    Ok(())
}

/// Looks up an alias the way pve-firewall does (guest first for unscoped names).
pub fn find_alias<'a>(
    name: &str,
    scope: RefScope,
    own: &'a Firewall,
    kind: Kind,
    cluster: Option<&'a Firewall>,
) -> Option<&'a phx_common::config::Alias> {
    let get = |fw: &'a Firewall| {
        fw.aliases
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    match (kind, scope) {
        (Kind::Cluster, RefScope::Any | RefScope::Dc) => get(own),
        (Kind::Guest(_), RefScope::Any) => get(own).or_else(|| cluster.and_then(get)),
        (Kind::Guest(_), RefScope::Dc) => cluster.and_then(get),
        (Kind::Guest(_), RefScope::Guest) => get(own),
        _ => None,
    }
}

pub fn find_ipset<'a>(
    name: &str,
    scope: RefScope,
    own: &'a Firewall,
    kind: Kind,
    cluster: Option<&'a Firewall>,
) -> Option<&'a Vec<String>> {
    match (kind, scope) {
        (Kind::Cluster, RefScope::Any | RefScope::Dc) => own.ipsets.get(name),
        (Kind::Guest(_), RefScope::Any) => own
            .ipsets
            .get(name)
            .or_else(|| cluster.and_then(|c| c.ipsets.get(name))),
        (Kind::Guest(_), RefScope::Dc) => cluster.and_then(|c| c.ipsets.get(name)),
        (Kind::Guest(_), RefScope::Guest) => own.ipsets.get(name),
        _ => None,
    }
}

pub(crate) fn is_local_network(name: &str, scope: RefScope) -> bool {
    name.eq_ignore_ascii_case("local_network") && matches!(scope, RefScope::Any | RefScope::Dc)
}

/// Address family of a reference when it is known: Some(true) for IPv4.
fn family(a: &Addr, fw: &Firewall, ctx: &Ctx) -> Option<bool> {
    match a {
        Addr::List(l) => l.first().map(|n| matches!(n, ipnet::IpNet::V4(_))),
        Addr::Range(x, _) => Some(x.is_ipv4()),
        Addr::Alias(scope, name) => find_alias(name, *scope, fw, ctx.kind, ctx.cluster)
            .and_then(|al| addr::parse_net(&al.cidr).ok())
            .map(|n| matches!(n, ipnet::IpNet::V4(_))),
        Addr::Set(..) => None,
    }
}

/// Checks an address field; returns it parsed when valid.
fn check_addr(
    v: &str,
    fw: &Firewall,
    ctx: &Ctx,
    file: &str,
    path: &str,
    p: &mut Problems,
) -> Option<Addr> {
    let a = match addr::parse_addr(v) {
        Ok(a) => a,
        Err(e) => {
            p.push(file, path, q(v), format!("{} ({e})", addr::ADDR_EXPECTED));
            return None;
        }
    };
    let where_ = match ctx.kind {
        Kind::Cluster => "in cluster.fw",
        Kind::Guest(_) => "in this guest's firewall or the cluster's",
    };
    match &a {
        Addr::Set(RefScope::Sdn, _) => {
            p.push(file, path, q(v), "an IP set Phoenix manages (+sdn/ sets come from Proxmox SDN, which Phoenix does not configure)");
            return None;
        }
        Addr::Set(scope, name) => {
            if name.chars().any(|c| c.is_ascii_uppercase()) {
                p.push(file, path, q(v), "an IP set name in lowercase (pve-firewall lowercases set names, so +Name never matches)");
                return None;
            }
            if find_ipset(name, *scope, fw, ctx.kind, ctx.cluster).is_none() {
                p.push(
                    file,
                    path,
                    q(v),
                    format!("an IP set defined {where_} (no set {name:?})"),
                );
                return None;
            }
        }
        Addr::Alias(scope, name)
            if !is_local_network(name, *scope)
                && find_alias(name, *scope, fw, ctx.kind, ctx.cluster).is_none() =>
        {
            p.push(
                file,
                path,
                q(v),
                format!("an address, or an alias defined {where_} (no alias {name:?})"),
            );
            return None;
        }
        _ => {}
    }
    Some(a)
}

/// `-dport`/`-sport`: numbers, `/etc/services` names, `a:b` ranges, comma lists, ≤15 "numbers".
pub fn port_spec(s: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    let mut count = 0;
    for item in s.split(',') {
        if let Some((a, b)) = item.split_once(':') {
            let (a, b) = match (num(a), num(b)) {
                (Some(a), Some(b)) => (a, b),
                _ => return Err(format!("{item:?} is not a range of port numbers a:b")),
            };
            if a > b {
                return Err(format!("{item:?}: the range's start is above its end"));
            }
            count += 2;
            out.push((a, b));
        } else if let Some(n) = num(item) {
            count += 1;
            out.push((n, n));
        } else if let Some(n) = tables::service(item) {
            count += 1;
            out.push((n, n));
        } else {
            return Err(format!(
                "{item:?} is not a port number (0-65535) or an /etc/services name"
            ));
        }
    }
    if count > 15 {
        return Err(format!(
            "{count} ports counted; at most 15 (a range counts 2)"
        ));
    }
    Ok(out)
}

fn num(s: &str) -> Option<u16> {
    (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u16>().ok())
        .flatten()
}

/// Host/cluster `-i`: `^[a-z][a-z0-9_]{1,20}([:.]\d+)?$`, case-insensitive.
pub fn is_host_iface(s: &str) -> bool {
    let (base, suffix) = match s.find([':', '.']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let b = base.as_bytes();
    let base_ok = (2..=21).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    base_ok && suffix.is_none_or(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

pub fn is_guest_iface(s: &str) -> bool {
    s.strip_prefix("net")
        .is_some_and(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|c| c.is_ascii_digit()))
}

/// Splits `SSH(ACCEPT)` into macro and verdict.
pub fn split_action(r: &FwRule) -> (Option<&str>, &str) {
    if let Some(m) = &r.macro_name {
        return (Some(m.as_str()), r.action.as_str());
    }
    if let Some(inner) = r.action.strip_suffix(')') {
        if let Some((m, a)) = inner.split_once('(') {
            return (Some(m), a);
        }
    }
    (None, r.action.as_str())
}

const VERDICTS: &[&str] = &["ACCEPT", "DROP", "REJECT"];

fn check_rule(r: &FwRule, fw: &Firewall, ctx: &Ctx, loc: &dyn Locate, p: &mut Problems) {
    let file = r.file.as_str();
    let at = |f: &str| loc.rule(r, f);
    let guest = matches!(ctx.kind, Kind::Guest(_));
    let dir = r.direction.as_str();
    if guest && dir == "forward" {
        p.push(
            file,
            &at("type"),
            q(dir),
            "in, out or group (guest files have no FORWARD rules)",
        );
        return;
    }
    if dir == "group" {
        if r.macro_name.is_some() || !addr::is_set_name(&r.action) || r.action.len() > 18 {
            p.push(
                file,
                &at("action"),
                q(&r.action),
                "a security group name ([A-Za-z][A-Za-z0-9_-]+, at most 18 characters)",
            );
        } else if !ctx.groups.contains(&r.action) {
            p.push(file, &at("action"), q(&r.action), "a security group defined in cluster.fw (Phoenix writes cluster.fw without [group] sections, so this GROUP rule would jump to an empty chain)");
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
                p.push(file, &at(f), q(v), "nothing: GROUP rules take only iface");
            }
        }
    } else {
        let (mac, verdict) = split_action(r);
        if !VERDICTS.contains(&verdict) {
            p.push(
                file,
                &at("action"),
                q(&action_shown(r)),
                "ACCEPT, DROP, REJECT or Macro(ACCEPT|DROP|REJECT), in uppercase",
            );
        } else if let Some(m) = mac {
            if tables::lookup_macro(m).is_none() {
                let names: Vec<&str> = tables::MACROS.iter().take(12).map(|(n, _)| *n).collect();
                p.push(
                    file,
                    &at("action"),
                    q(&action_shown(r)),
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
                    p.push(
                        file,
                        &at(f),
                        q(v),
                        format!("nothing: the macro {m} fixes protocol and ports"),
                    );
                }
            }
        }
        if dir == "forward" && verdict == "REJECT" {
            p.push(
                file,
                &at("action"),
                q(&action_shown(r)),
                "ACCEPT or DROP (REJECT is not allowed on FORWARD)",
            );
        }
        let proto = r.proto.as_deref().map(|s| (s, tables::protocol(s)));
        if let Some((s, None)) = proto {
            p.push(
                file,
                &at("proto"),
                q(s),
                "a protocol name or number from /etc/protocols (tcp, udp, icmp, …) or icmpv6",
            );
        }
        // Protocol 0 (`0`, `ip`, `hopopt`) is "every protocol" to iptables and
        // false to Perl: neither a protocol the rule can be read as matching.
        if let Some((s, Some(0))) = proto {
            p.push(
                file,
                &at("proto"),
                q(s),
                "matches every protocol; leave proto out instead",
            );
        }
        let pnum = proto.and_then(|(_, n)| n).filter(|n| *n != 0);
        for (f, v) in [("port", &r.dport), ("sport", &r.sport)] {
            let Some(v) = v else { continue };
            if r.proto.is_none() {
                if mac.is_none() {
                    p.push(file, &at(f), q(v), "a port together with a protocol (-dport/-sport require proto: tcp, udp, …)");
                }
                continue;
            }
            let Some(n) = pnum else { continue };
            let legacy_icmp = f == "port"
                && (n == tables::ICMP || n == tables::ICMPV6)
                && num(v).is_some_and(|t| t <= 255);
            if !tables::PROTOCOLS_WITH_PORTS.contains(&n) && !legacy_icmp {
                p.push(
                    file,
                    &at(f),
                    q(v),
                    format!(
                        "no port: protocol {:?} has no ports (only tcp, udp, udplite, dccp, sctp)",
                        r.proto.as_deref().unwrap_or("")
                    ),
                );
                continue;
            }
            if let Err(e) = port_spec(v) {
                p.push(
                    file,
                    &at(f),
                    q(v),
                    format!(
                        "a port, service name, range a:b or comma list of them, at most 15 ({e})"
                    ),
                );
            }
        }
        if let Some(t) = &r.icmp_type {
            match pnum {
                Some(tables::ICMP) if tables::ICMP_TYPES.contains(&t.as_str()) => {}
                Some(tables::ICMPV6) if tables::ICMPV6_TYPES.contains(&t.as_str()) => {}
                Some(tables::ICMP) | Some(tables::ICMPV6) => p.push(
                    file,
                    &at("icmp_type"),
                    q(t),
                    "an ICMP type name (echo-request, time-exceeded, any, …)",
                ),
                _ => p.push(
                    file,
                    &at("icmp_type"),
                    q(t),
                    "an icmp_type only with proto icmp, icmpv6 or ipv6-icmp",
                ),
            }
            if r.dport.is_some() {
                p.push(file, &at("icmp_type"), q(t), "icmp_type or port, not both");
            }
        }
        let mut fams = Vec::new();
        for (f, v) in [("source", &r.source), ("dest", &r.dest)] {
            if let Some(v) = v {
                if let Some(a) = check_addr(v, fw, ctx, file, &at(f), p) {
                    if let Some(fam) = family(&a, fw, ctx) {
                        fams.push(fam);
                    }
                }
            }
        }
        if fams.len() == 2 && fams[0] != fams[1] {
            p.push(
                file,
                &at("dest"),
                q(r.dest.as_deref().unwrap_or("")),
                "the source's address family (no IPv4/IPv6 mixing within a rule)",
            );
        }
        if let Some(l) = &r.log {
            if !tables::LOG_LEVELS.contains(&l.as_str()) {
                p.push(
                    file,
                    &at("log"),
                    q(l),
                    format!("a log level: {} (not warn)", tables::LOG_LEVELS.join(", ")),
                );
            }
        }
    }
    if let Some(i) = &r.iface {
        if guest && !is_guest_iface(i) {
            p.push(
                file,
                &at("iface"),
                q(i),
                "a guest NIC name netN (net0, net1, …)",
            );
        } else if !guest && !is_host_iface(i) {
            p.push(file, &at("iface"), q(i), "a host interface name: a letter, then 1-20 letters, digits or '_', optionally :N or .N (no '-')");
        }
    }
}

fn action_shown(r: &FwRule) -> String {
    crate::fwfile::action_text(r)
}

/// Every problem in one firewall object, pushed into `p`. Warnings (legal
/// but probably not meant) go to `p.warnings`.
pub fn check(fw: &Firewall, ctx: &Ctx, file: &str, loc: &dyn Locate, p: &mut Problems) {
    check_options(fw, ctx, file, loc, p);
    let mut lower = BTreeSet::new();
    for (name, a) in &fw.aliases {
        let path = loc.alias(name);
        if !addr::is_set_name(name) {
            p.push(
                file,
                &path,
                q(name),
                "an alias name: [A-Za-z][A-Za-z0-9_-]+, at most 64 characters",
            );
            continue;
        }
        if !lower.insert(name.to_ascii_lowercase()) {
            p.push(
                file,
                &path,
                q(name),
                "a unique alias name (alias names are case-insensitive)",
            );
        }
        if let Err(e) = addr::parse_net(&a.cidr) {
            p.push(
                file,
                &path,
                q(&a.cidr),
                format!(
                    "one IP or CIDR with host bits zero; aliases take no ranges or lists ({e})"
                ),
            );
        }
    }
    for (name, entries) in &fw.ipsets {
        if !addr::is_set_name(name) || name.chars().any(|c| c.is_ascii_uppercase()) {
            p.push(
                file,
                &loc.ipset(name, None),
                q(name),
                "an IP set name in lowercase: [a-z][a-z0-9_-]+, at most 64 characters",
            );
            continue;
        }
        let mut seen = BTreeSet::new();
        for (i, e) in entries.iter().enumerate() {
            let path = loc.ipset(name, Some(i));
            let body = e.strip_prefix('!').unwrap_or(e);
            if !seen.insert(body.to_string()) {
                p.push(
                    file,
                    &path,
                    q(e),
                    "an entry not already in the set (duplicates are errors)",
                );
                continue;
            }
            match addr::parse_addr(body) {
                Ok(Addr::List(l)) if l.len() == 1 => {
                    if l[0].prefix_len() == 0 {
                        p.push(
                            file,
                            &path,
                            q(e),
                            "an IP or CIDR other than /0 (pve-firewall refuses /0 in sets)",
                        );
                    }
                }
                Ok(Addr::Alias(scope, n)) if scope != RefScope::Sdn => {
                    if !is_local_network(&n, scope)
                        && find_alias(&n, scope, fw, ctx.kind, ctx.cluster).is_none()
                    {
                        p.push(
                            file,
                            &path,
                            q(e),
                            format!("an IP, CIDR or a defined alias (no alias {n:?})"),
                        );
                    }
                }
                Ok(Addr::Range(..)) => {
                    p.push(file, &path, q(e), "an IP or CIDR (IP sets take no ranges)")
                }
                Ok(_) => p.push(
                    file,
                    &path,
                    q(e),
                    "one [!]IP, CIDR or [dc/|guest/]alias per entry",
                ),
                Err(err) => p.push(
                    file,
                    &path,
                    q(e),
                    format!("[!]IP, CIDR (host bits zero) or [dc/|guest/]alias ({err})"),
                ),
            }
        }
    }
    let mut forward_warned = false;
    for r in &fw.rules {
        check_rule(r, fw, ctx, loc, p);
        if r.direction == "forward" && !forward_warned {
            forward_warned = true;
            p.warn(format!("{}: {}: FORWARD rules are ignored by the iptables pve-firewall (only proxmox-firewall with nftables: 1 uses them)", r.file, loc.rule(r, "type")));
        }
    }
}
