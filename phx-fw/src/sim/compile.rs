//! Compiling firewall documents into chains: aliases and IP sets resolved to
//! address sets, each rule parsed once (`phx_common::firewall::rule::Rule`)
//! and indexed by destination port.

use super::scope::Scope;
use super::values::Packet;
use crate::fwfile::FwDoc;
use crate::ipv4set::Ipv4Set;
use ipnet::IpNet;
use phx_common::config::{Firewall, FwRule};
use phx_common::firewall::addr::{self, Addr, RefScope};
use phx_common::firewall::lookup::{find_alias_in, find_ipset, is_local_network, AliasIndex, Kind};
use phx_common::firewall::rule::{Match, Rule, Target, Verdict};
use phx_common::firewall::tables;
use std::collections::HashMap;
use std::sync::Arc;

pub(super) fn in_ranges(r: &[(u16, u16)], p: u16) -> bool {
    r.iter().any(|(a, b)| *a <= p && p <= *b)
}

/// Whether a packet meets one of a rule's protocol conditions.
pub(super) fn match_packet(m: &Match, p: &Packet) -> bool {
    if m.proto.is_some_and(|pr| pr != p.proto) {
        return false;
    }
    let port_ok = |ranges: &Option<Vec<(u16, u16)>>, port: Option<u16>| match ranges {
        Some(r) => port.is_some_and(|x| in_ranges(r, x)),
        None => true,
    };
    if !port_ok(&m.dport, p.dport) || !port_ok(&m.sport, p.sport) {
        return false;
    }
    match m.icmp {
        Some(want) => p.icmp().is_some_and(|(t, c)| want.matches(t, c)),
        None => true,
    }
}

/// Whether a condition matches tcp to `port` whatever the source port:
/// Some(true) surely, Some(false) only for some source ports, None not at all.
pub(super) fn tcp_port(m: &Match, port: u16) -> Option<bool> {
    if m.proto.is_some_and(|p| p != tables::TCP) || m.icmp.is_some() {
        return None;
    }
    if m.dport.as_ref().is_some_and(|d| !in_ranges(d, port)) {
        return None;
    }
    Some(m.sport.is_none())
}

#[derive(Debug, Clone)]
pub(super) struct CRule {
    pub(super) doc: usize,
    /// Group name when the rule sits in a `[group]` section.
    pub(super) group: Option<String>,
    pub(super) idx: usize,
    pub(super) line: usize,
    pub(super) iface: Option<String>,
    pub(super) src: Option<Arc<Ipv4Set>>,
    pub(super) dst: Option<Arc<Ipv4Set>>,
    /// Any of these (a macro has several lines; a plain rule one).
    pub(super) matches: Vec<Match>,
    pub(super) target: Target,
}

/// The rules of one direction, indexed by destination port so that tens of
/// thousands of port rules do not have to be scanned for every packet.
#[derive(Debug, Default, Clone)]
pub(super) struct Chain {
    pub(super) rules: Vec<CRule>,
    pub(super) by_port: HashMap<u16, Vec<u32>>,
    /// Rules that may match whatever the port (no port, wide ranges, groups).
    pub(super) generic: Vec<u32>,
}

const MAX_BUCKETED_SPAN: u32 = 64;

impl Chain {
    pub(super) fn push(&mut self, r: CRule) {
        let i = self.rules.len() as u32;
        // Every match names its ports (a group jump or a match without
        // -dport may match any port), and they are few: bucket by port.
        let bucketed = matches!(r.target, Target::Verdict(_))
            && r.matches.iter().all(|m| m.dport.is_some())
            && r.matches
                .iter()
                .flat_map(|m| m.dport.iter().flatten())
                .map(|(a, b)| (*b as u32) - (*a as u32) + 1)
                .sum::<u32>()
                <= MAX_BUCKETED_SPAN;
        if bucketed {
            for p in r
                .matches
                .iter()
                .flat_map(|m| m.dport.iter().flatten())
                .flat_map(|(a, b)| *a..=*b)
            {
                let bucket = self.by_port.entry(p).or_default();
                // Overlapping ranges name a port twice: one entry per rule.
                if bucket.last() != Some(&i) {
                    bucket.push(i);
                }
            }
        } else {
            self.generic.push(i);
        }
        self.rules.push(r);
    }

    /// Indices of rules that may match a packet with this destination port, in order.
    pub(super) fn candidates<'a>(&'a self, dport: Option<u16>) -> impl Iterator<Item = u32> + 'a {
        let bucket: &[u32] = dport
            .and_then(|d| self.by_port.get(&d))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let generic: &[u32] = &self.generic;
        let (mut i, mut j) = (0, 0);
        std::iter::from_fn(move || {
            let next = match (bucket.get(i), generic.get(j)) {
                (Some(a), Some(b)) if a < b => {
                    i += 1;
                    *a
                }
                (_, Some(b)) => {
                    j += 1;
                    *b
                }
                (Some(a), None) => {
                    i += 1;
                    *a
                }
                (None, None) => return None,
            };
            Some(next)
        })
    }
}

#[derive(Debug, Default, Clone)]
pub(super) struct Chains {
    pub(super) inbound: Chain,
    pub(super) outbound: Chain,
}

#[derive(Debug, Clone)]
pub(super) struct FileRules {
    pub(super) doc: usize,
    pub(super) enabled: bool,
    pub(super) policy_in: Verdict,
    pub(super) policy_out: Verdict,
    pub(super) chains: Chains,
    pub(super) dhcp: bool,
    /// `macfilter` (on unless 0): a NIC's OUT chain drops frames from
    /// another MAC than its own (ruleset_create_vm_chain).
    pub(super) macfilter: bool,
    /// `ipfilter: 1`: every NIC is filtered, as if by an empty set.
    pub(super) ipfilter_all: bool,
    /// NIC → allowed sources (`[IPSET ipfilter-netN]`).
    pub(super) ipfilter: HashMap<u8, Ipv4Set>,
}

pub(super) struct Compiler<'a> {
    pub(super) docs: &'a [FwDoc<'a>],
    pub(super) cluster_doc: Option<usize>,
    pub(super) host_doc: Option<usize>,
    /// The local network (`local_network` alias or the detected one).
    pub(super) local_net: IpNet,
    pub(super) cache: HashMap<(usize, String), Arc<Ipv4Set>>,
    /// Each document's aliases, indexed once (`docs[i]`'s at `i`).
    pub(super) aliases: Vec<AliasIndex<'a>>,
    /// Which rules to compile.
    pub(super) scope: &'a Scope,
}

impl Compiler<'_> {
    fn kind_of(&self, doc: usize) -> Kind {
        if Some(doc) == self.cluster_doc {
            Kind::Cluster
        } else if Some(doc) == self.host_doc {
            Kind::Host
        } else {
            Kind::Guest(0)
        }
    }
    fn cluster_fw(&self) -> Option<&Firewall> {
        self.cluster_doc.map(|c| &*self.docs[c].fw)
    }
    /// The one network an alias names; `local_network` without such an alias
    /// is the local network pve-firewall detects.
    fn alias_net(&self, doc: usize, scope: RefScope, name: &str) -> Option<IpNet> {
        let own = &self.aliases[doc];
        let cluster = self.cluster_doc.map(|c| &self.aliases[c]);
        match find_alias_in(name, scope, own, self.kind_of(doc), cluster) {
            Some(a) => addr::parse_net(&a.cidr).ok(),
            None if is_local_network(name, scope) => Some(self.local_net),
            None => None,
        }
    }
    fn alias_set(&self, doc: usize, scope: RefScope, name: &str) -> Ipv4Set {
        self.alias_net(doc, scope, name)
            .map(|n| Ipv4Set::from_nets([&n]))
            .unwrap_or_default()
    }
    pub(super) fn ipset(&mut self, doc: usize, scope: RefScope, name: &str) -> Arc<Ipv4Set> {
        let key = (doc, format!("{scope:?}/{name}"));
        if let Some(s) = self.cache.get(&key) {
            return s.clone();
        }
        let (own, kind, cluster) = (&self.docs[doc].fw, self.kind_of(doc), self.cluster_fw());
        // Which file the set came from decides how its aliases resolve.
        let home = if own.ipsets.contains_key(name)
            && !(kind == Kind::Cluster && scope == RefScope::Guest)
            && scope != RefScope::Dc
        {
            doc
        } else {
            self.cluster_doc.unwrap_or(doc)
        };
        let entries = find_ipset(name, scope, own, kind, cluster)
            .cloned()
            .unwrap_or_default();
        // ipset hash:net answers with the most specific entry containing the
        // address: walk from the longest prefix to the shortest, each entry
        // deciding only the addresses no longer entry has decided. A `!`
        // (nomatch) entry decides "not in the set".
        let mut nets: Vec<(bool, IpNet)> = entries
            .iter()
            .filter_map(|e| {
                let (neg, body) = match e.strip_prefix('!') {
                    Some(b) => (true, b),
                    None => (false, e.as_str()),
                };
                let net = match addr::parse_addr(body) {
                    Ok(Addr::List(l)) if l.len() == 1 => Some(l[0]),
                    Ok(Addr::Alias(sc, n)) => self.alias_net(home, sc, &n),
                    _ => None,
                }?;
                Some((neg, net))
            })
            .collect();
        nets.sort_by_key(|(_, n)| std::cmp::Reverse(n.prefix_len()));
        let (mut inside, mut decided) = (Ipv4Set::empty(), Ipv4Set::empty());
        for (neg, net) in &nets {
            let s = Ipv4Set::from_nets([net]);
            if !neg {
                inside = inside.union(&s.minus(&decided));
            }
            decided = decided.union(&s);
        }
        let set = Arc::new(inside);
        self.cache.insert(key, set.clone());
        set
    }
    /// The addresses of a `-source`/`-dest` (parsed once, by `Rule::parse`).
    fn addr(&mut self, doc: usize, a: &Addr) -> Arc<Ipv4Set> {
        match a {
            Addr::List(l) => Arc::new(Ipv4Set::from_nets(l)),
            Addr::Range(std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
                Arc::new(Ipv4Set::from_range((*a).into(), (*b).into()))
            }
            Addr::Set(scope, name) => self.ipset(doc, *scope, name),
            Addr::Alias(scope, name) => Arc::new(self.alias_set(doc, *scope, name)),
            Addr::Range(..) => Arc::new(Ipv4Set::empty()),
        }
    }
    fn rule(
        &mut self,
        doc: usize,
        group: Option<&str>,
        idx: usize,
        line: usize,
        r: &FwRule,
    ) -> Option<CRule> {
        if !r.enabled || !self.scope.may_need(r) {
            return None;
        }
        // What pve-firewall would not compile is left out, as it does.
        let rule = Rule::parse(r).ok()?;
        Some(CRule {
            doc,
            group: group.map(str::to_string),
            idx,
            line,
            src: rule.source.as_ref().map(|a| self.addr(doc, a)),
            dst: rule.dest.as_ref().map(|a| self.addr(doc, a)),
            iface: rule.iface,
            matches: rule.matches,
            target: rule.target,
        })
    }
    pub(super) fn chains(
        &mut self,
        doc: usize,
        group: Option<&str>,
        rules: &[FwRule],
        lines: &[usize],
    ) -> Chains {
        let mut c = Chains::default();
        for (i, r) in rules.iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(0);
            let Some(cr) = self.rule(doc, group, i, line, r) else {
                continue;
            };
            match &*r.direction {
                "in" => c.inbound.push(cr),
                "out" => c.outbound.push(cr),
                // GROUP rules jump from whichever chain they sit in.
                "group" => {
                    c.inbound.push(cr.clone());
                    c.outbound.push(cr);
                }
                // FORWARD: ignored by the iptables pve-firewall.
                _ => {}
            }
        }
        c
    }
    pub(super) fn file(&mut self, doc: usize) -> FileRules {
        let d = &self.docs[doc];
        let fw = &d.fw;
        let chains = self.chains(doc, None, &fw.rules, &d.rule_lines);
        let opt = |k: &str| fw.options.get(k).map(String::as_str);
        // generate_tap_rules_direction: a NIC is filtered when `ipfilter`
        // is on or its `ipfilter-netN` set exists.
        let nics: Vec<(u8, String)> = fw
            .ipsets
            .keys()
            .filter_map(|k| Some((k.strip_prefix("ipfilter-net")?.parse().ok()?, k.clone())))
            .collect();
        let ipfilter = nics
            .into_iter()
            .map(|(n, set)| (n, (*self.ipset(doc, RefScope::Guest, &set)).clone()))
            .collect();
        let ipfilter_all = opt("ipfilter") == Some("1");
        FileRules {
            doc,
            enabled: fw.enabled,
            policy_in: Verdict::parse(&fw.policy_in).unwrap_or(Verdict::Drop),
            policy_out: Verdict::parse(&fw.policy_out).unwrap_or(Verdict::Accept),
            chains,
            dhcp: opt("dhcp") != Some("0"),
            macfilter: opt("macfilter") != Some("0"),
            ipfilter_all,
            ipfilter,
        }
    }
}
