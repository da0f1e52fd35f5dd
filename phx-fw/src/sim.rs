//! Packet simulation with Proxmox's semantics (reference §1.5): which chains
//! a packet crosses between zones, the implicit rules around the user's
//! rules, security groups, IP sets, aliases and the DROP/REJECT policies.
//! Works on `FwDoc`s, so it evaluates proposed files and existing ones alike.

use crate::addr::{self, Addr, Ipv4Set, RefScope};
use crate::check::{find_alias, find_ipset, is_local_network, port_spec, split_action};
use crate::fwfile::{rule_line, FwDoc, Kind};
use crate::tables;
use ipnet::{IpNet, Ipv4Net};
use phx_common::config::{Firewall, FwRule, Inventory};
use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
}

impl Verdict {
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "ACCEPT" => Some(Verdict::Accept),
            "DROP" => Some(Verdict::Drop),
            "REJECT" => Some(Verdict::Reject),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Accept => "ACCEPT",
            Verdict::Drop => "DROP",
            Verdict::Reject => "REJECT",
        })
    }
}

/// What decided a packet's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// A user rule: its file and line, the rule as written, and its JSON path
    /// (or `line N` for files read from disk).
    Rule {
        file: String,
        line: usize,
        text: String,
        path: String,
    },
    /// A chain's policy option.
    Policy {
        file: String,
        option: &'static str,
        value: Verdict,
    },
    /// A rule pve-firewall adds by itself.
    Implicit(String),
    /// The firewall is off (cluster.fw `enable: 0` or missing).
    Disabled(String),
    /// The packet stays on one machine.
    Local,
}

impl fmt::Display for Decider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decider::Rule {
                file, line, text, ..
            } => write!(f, "{file}:{line}: {text}"),
            Decider::Policy {
                file,
                option,
                value,
            } => write!(f, "{file}: {option}: {value} (policy)"),
            Decider::Implicit(s) => write!(f, "implicit: {s}"),
            Decider::Disabled(s) => write!(f, "firewall disabled: {s}"),
            Decider::Local => write!(f, "local: source and destination are the same machine"),
        }
    }
}

/// A packet: IPv4 only, like `pve-firewall simulate`.
#[derive(Debug, Clone)]
pub struct Packet {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub dport: Option<u16>,
    pub sport: Option<u16>,
    /// For ICMP: the type name (`echo-request` when not given).
    pub icmp_type: Option<String>,
}

#[derive(Debug, Clone)]
struct Match {
    proto: Option<u8>,
    dport: Option<Vec<(u16, u16)>>,
    sport: Option<Vec<(u16, u16)>>,
    icmp_type: Option<String>,
}

fn in_ranges(r: &[(u16, u16)], p: u16) -> bool {
    r.iter().any(|(a, b)| *a <= p && p <= *b)
}

impl Match {
    fn matches(&self, p: &Packet) -> bool {
        if let Some(pr) = self.proto {
            if pr != p.proto {
                return false;
            }
        }
        if let Some(d) = &self.dport {
            match p.dport {
                Some(x) if in_ranges(d, x) => {}
                _ => return false,
            }
        }
        if let Some(s) = &self.sport {
            match p.sport {
                Some(x) if in_ranges(s, x) => {}
                _ => return false,
            }
        }
        if let Some(t) = &self.icmp_type {
            if t != "any" && p.icmp_type.as_deref() != Some(t.as_str()) {
                return false;
            }
        }
        true
    }
    /// Matches tcp to `port` whatever the source port: Some(true) surely,
    /// Some(false) only for some source ports, None not at all.
    fn tcp_port(&self, port: u16) -> Option<bool> {
        if self.proto.is_some_and(|p| p != tables::TCP) || self.icmp_type.is_some() {
            return None;
        }
        if let Some(d) = &self.dport {
            if !in_ranges(d, port) {
                return None;
            }
        }
        Some(self.sport.is_none())
    }
}

#[derive(Debug, Clone)]
enum Target {
    Verdict(Verdict),
    Group(String),
}

#[derive(Debug, Clone)]
struct CRule {
    doc: usize,
    /// Group name when the rule sits in a `[group]` section.
    group: Option<String>,
    idx: usize,
    line: usize,
    iface: Option<String>,
    src: Option<Arc<Ipv4Set>>,
    dst: Option<Arc<Ipv4Set>>,
    /// Any of these (a macro has several lines; a plain rule one).
    matches: Vec<Match>,
    target: Target,
}

/// The rules of one direction, indexed by destination port so that tens of
/// thousands of port rules do not have to be scanned for every packet.
#[derive(Debug, Default, Clone)]
struct Chain {
    rules: Vec<CRule>,
    by_port: HashMap<u16, Vec<u32>>,
    /// Rules that may match whatever the port (no port, wide ranges, groups).
    generic: Vec<u32>,
}

const MAX_BUCKETED_SPAN: u32 = 64;

impl Chain {
    fn push(&mut self, r: CRule) {
        let i = self.rules.len() as u32;
        let ports: Option<Vec<(u16, u16)>> = match &r.target {
            Target::Group(_) => None,
            Target::Verdict(_) => r.matches.iter().try_fold(Vec::new(), |mut acc, m| {
                let d = m.dport.as_ref()?;
                acc.extend(d.iter().copied());
                Some(acc)
            }),
        };
        match ports {
            Some(ps)
                if ps
                    .iter()
                    .map(|(a, b)| (*b as u32) - (*a as u32) + 1)
                    .sum::<u32>()
                    <= MAX_BUCKETED_SPAN =>
            {
                let mut all: Vec<u16> = ps.iter().flat_map(|(a, b)| *a..=*b).collect();
                all.sort_unstable();
                all.dedup();
                for p in all {
                    self.by_port.entry(p).or_default().push(i);
                }
            }
            _ => self.generic.push(i),
        }
        self.rules.push(r);
    }

    /// Indices of rules that may match a packet with this destination port, in order.
    fn candidates<'a>(&'a self, dport: Option<u16>) -> impl Iterator<Item = u32> + 'a {
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
struct Chains {
    inbound: Chain,
    outbound: Chain,
}

#[derive(Debug, Clone)]
struct FileRules {
    doc: usize,
    enabled: bool,
    policy_in: Verdict,
    policy_out: Verdict,
    chains: Chains,
    dhcp: bool,
    /// Allowed source addresses when `ipfilter` is on.
    ipfilter: Option<Ipv4Set>,
}

/// Where a packet starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Host,
    Outside,
    Guest(u32),
}

#[derive(Debug, Clone)]
pub struct GuestInfo {
    pub id: u32,
    pub ip: Option<Ipv4Addr>,
    pub nic_firewall: bool,
    pub is_ct: bool,
}

/// The host and guests as the configuration describes them.
#[derive(Debug, Clone)]
pub struct Topology {
    pub host_ip: Ipv4Addr,
    pub host_net: Ipv4Net,
    pub bridge: String,
    pub guests: Vec<GuestInfo>,
}

impl Topology {
    pub fn from_inventory(inv: &Inventory) -> Topology {
        let guests = inv
            .guests()
            .map(|g| GuestInfo {
                id: g.id(),
                ip: g.ip(),
                nic_firewall: crate::nic_firewall_enabled(g),
                is_ct: g.kind() == "lxc",
            })
            .collect();
        Topology {
            host_ip: inv.host.network.address.addr(),
            host_net: inv.host.network.address.trunc(),
            bridge: inv.host.network.bridge.clone(),
            guests,
        }
    }
}

/// Compiled firewall files plus topology: answers packet queries.
pub struct Ruleset {
    pub docs: Vec<FwDoc>,
    topo: Topology,
    cluster: Option<FileRules>,
    groups: HashMap<String, Chains>,
    guests: HashMap<u32, FileRules>,
    guest_by_ip: HashMap<Ipv4Addr, u32>,
    local_network: Ipv4Set,
    local_network_desc: String,
    management: Ipv4Set,
    blacklist: Ipv4Set,
}

/// One answer: the verdict, what decided it, and the chains the packet crossed.
#[derive(Debug, Clone)]
pub struct Answer {
    pub verdict: Verdict,
    pub decider: Decider,
    pub chains: Vec<String>,
}

const MGMT_IN: &[(u16, u16)] = &[
    (8006, 8006),
    (5900, 5999),
    (3128, 3128),
    (22, 22),
    (60000, 60050),
];
/// Host IN in pve-firewall's order (reference §1.5), before the policy:
/// `host_in` walks it for one packet, `host_in_partition` (the lockout
/// guard) for a whole set of sources, so the two cannot drift apart.
#[derive(Debug, Clone, Copy)]
enum HostIn {
    /// Sources in the cluster's `blacklist` IP set are dropped.
    Blacklist,
    /// IGMP is accepted.
    Igmp,
    /// cluster.fw's IN rules (and the groups they jump to).
    Rules,
    /// `+management` (IP set `management` + local_network) on MGMT_IN.
    Management,
}

const HOST_IN: [HostIn; 4] = [
    HostIn::Blacklist,
    HostIn::Igmp,
    HostIn::Rules,
    HostIn::Management,
];

const MGMT_OUT: &[(u16, u16)] = &[(8006, 8006), (22, 22), (5900, 5999), (3128, 3128)];

struct Compiler<'a> {
    docs: &'a [FwDoc],
    cluster_doc: Option<usize>,
    /// The local network (`local_network` alias or the detected one).
    local_net: IpNet,
    cache: HashMap<(usize, String), Arc<Ipv4Set>>,
}

impl Compiler<'_> {
    fn kind_of(&self, doc: usize) -> Kind {
        if Some(doc) == self.cluster_doc {
            Kind::Cluster
        } else {
            Kind::Guest(0)
        }
    }
    fn cluster_fw(&self) -> Option<&Firewall> {
        self.cluster_doc.map(|c| &self.docs[c].fw)
    }
    /// The one network an alias names; `local_network` without such an alias
    /// is the local network pve-firewall detects.
    fn alias_net(&self, doc: usize, scope: RefScope, name: &str) -> Option<IpNet> {
        let fw = &self.docs[doc].fw;
        match find_alias(name, scope, fw, self.kind_of(doc), self.cluster_fw()) {
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
    fn ipset(&mut self, doc: usize, scope: RefScope, name: &str) -> Arc<Ipv4Set> {
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
    fn addr(&mut self, doc: usize, s: &str) -> Arc<Ipv4Set> {
        match addr::parse_addr(s) {
            Ok(Addr::List(l)) => Arc::new(Ipv4Set::from_nets(&l)),
            Ok(Addr::Range(std::net::IpAddr::V4(a), std::net::IpAddr::V4(b))) => {
                Arc::new(Ipv4Set::from_range(a.into(), b.into()))
            }
            Ok(Addr::Set(scope, name)) => self.ipset(doc, scope, &name),
            Ok(Addr::Alias(scope, name)) => Arc::new(self.alias_set(doc, scope, &name)),
            _ => Arc::new(Ipv4Set::empty()),
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
        if !r.enabled {
            return None;
        }
        let (mac, verdict) = split_action(r);
        let target = if r.direction == "group" {
            Target::Group(r.action.clone())
        } else {
            Target::Verdict(Verdict::parse(verdict)?)
        };
        let matches = match mac.and_then(tables::lookup_macro) {
            Some((_, lines)) => lines
                .iter()
                .map(|l| {
                    let proto = tables::protocol(l.proto);
                    if proto == Some(tables::ICMP) {
                        Match {
                            proto,
                            dport: None,
                            sport: None,
                            icmp_type: l.dport.map(str::to_string),
                        }
                    } else {
                        Match {
                            proto,
                            dport: l.dport.and_then(|d| port_spec(d).ok()),
                            sport: l.sport.and_then(|s| port_spec(s).ok()),
                            icmp_type: None,
                        }
                    }
                })
                .collect(),
            None if mac.is_some() => return None,
            None => {
                // Protocol 0 (refused in Phoenix's JSON, possible in files read
                // back) is "every protocol" to iptables.
                let proto = match &r.proto {
                    Some(p) => Some(tables::protocol(p)?).filter(|n| *n != 0),
                    None => None,
                };
                let icmp_legacy = matches!(proto, Some(tables::ICMP) | Some(tables::ICMPV6));
                let (dport, icmp_type) = match (&r.dport, icmp_legacy) {
                    // Legacy `-p icmp -dport N` (reference §1.4): ICMP type N,
                    // named so packets can match it; a number without a
                    // type name (and any ICMPv6 number) matches no IPv4 packet.
                    (Some(d), true) => {
                        let name = d
                            .parse::<u8>()
                            .ok()
                            .filter(|_| proto == Some(tables::ICMP))
                            .and_then(tables::icmp_type_name);
                        (None, Some(name.map_or(format!("#{d}"), str::to_string)))
                    }
                    (Some(d), false) => (Some(port_spec(d).ok()?), r.icmp_type.clone()),
                    (None, _) => (None, r.icmp_type.clone()),
                };
                vec![Match {
                    proto,
                    dport,
                    sport: match &r.sport {
                        Some(s) => Some(port_spec(s).ok()?),
                        None => None,
                    },
                    icmp_type,
                }]
            }
        };
        Some(CRule {
            doc,
            group: group.map(str::to_string),
            idx,
            line,
            iface: r.iface.clone(),
            src: r.source.as_deref().map(|s| self.addr(doc, s)),
            dst: r.dest.as_deref().map(|s| self.addr(doc, s)),
            matches,
            target,
        })
    }
    fn chains(
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
            match r.direction.as_str() {
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
    fn file(&mut self, doc: usize) -> FileRules {
        let d = &self.docs[doc];
        let fw = &d.fw;
        let chains = self.chains(doc, None, &fw.rules, &d.rule_lines);
        let opt = |k: &str| fw.options.get(k).map(String::as_str);
        let ipfilter = (opt("ipfilter") == Some("1") || fw.ipsets.contains_key("ipfilter-net0"))
            .then(|| (*self.ipset(doc, RefScope::Guest, "ipfilter-net0")).clone());
        FileRules {
            doc,
            enabled: fw.enabled,
            policy_in: Verdict::parse(&fw.policy_in).unwrap_or(Verdict::Drop),
            policy_out: Verdict::parse(&fw.policy_out).unwrap_or(Verdict::Accept),
            chains,
            dhcp: opt("dhcp") != Some("0"),
            ipfilter,
        }
    }
}

/// SMB, UPnP and DNS-reply noise that the DROP/REJECT policies discard silently.
fn is_noise(p: &Packet) -> bool {
    let d = p.dport.unwrap_or(0);
    let s = p.sport.unwrap_or(0);
    let multicast = p.dst.is_multicast() || p.dst.is_broadcast();
    multicast
        || (p.proto == tables::UDP
            && (d == 135
                || d == 445
                || (137..=139).contains(&d)
                || (s == 137 && d >= 1024)
                || d == 1900
                || s == 53))
        || (p.proto == tables::TCP && (d == 135 || d == 139 || d == 445))
}

enum Step {
    Verdict(Verdict, Decider),
    Continue,
}

impl Ruleset {
    /// `cluster`: cluster.fw (None: no file, firewall off); `guests`: `<vmid>.fw` files.
    pub fn build(topo: Topology, cluster: Option<FwDoc>, guests: Vec<(u32, FwDoc)>) -> Ruleset {
        let mut docs = Vec::new();
        let cluster_doc = cluster.map(|c| {
            docs.push(c);
            0
        });
        let mut guest_ids = Vec::new();
        for (id, d) in guests {
            guest_ids.push((id, docs.len()));
            docs.push(d);
        }
        let auto = if (8..=32).contains(&topo.host_net.prefix_len()) {
            topo.host_net
        } else {
            "127.0.0.0/8".parse().unwrap()
        };
        let alias = cluster_doc.and_then(|c| {
            docs[c]
                .fw
                .aliases
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("local_network"))
                .map(|(_, a)| a.cidr.clone())
        });
        let (local_net, local_network_desc) =
            match alias.as_deref().and_then(|c| addr::parse_net(c).ok()) {
                Some(n) => (n, format!("{n} (local_network alias)")),
                None => (IpNet::V4(auto), format!("{auto} (auto-detected)")),
            };
        let local_network = Ipv4Set::from_nets([&local_net]);
        let mut comp = Compiler {
            docs: &docs,
            cluster_doc,
            local_net,
            cache: HashMap::new(),
        };
        let cluster = cluster_doc.map(|c| comp.file(c));
        let mut groups = HashMap::new();
        if let Some(c) = cluster_doc {
            for (name, rules) in &docs[c].groups {
                let lines = docs[c].group_lines.get(name).cloned().unwrap_or_default();
                groups.insert(name.clone(), comp.chains(c, Some(name), rules, &lines));
            }
        }
        // The cluster's special IP sets (empty when not defined).
        let mut special = |name: &str| match cluster_doc {
            Some(c) if docs[c].fw.ipsets.contains_key(name) => {
                (*comp.ipset(c, RefScope::Dc, name)).clone()
            }
            _ => Ipv4Set::empty(),
        };
        let management = special("management").union(&local_network);
        let blacklist = special("blacklist");
        let guests: HashMap<u32, FileRules> = guest_ids
            .iter()
            .map(|(id, d)| (*id, comp.file(*d)))
            .collect();
        let guest_by_ip = topo
            .guests
            .iter()
            .filter_map(|g| g.ip.map(|ip| (ip, g.id)))
            .collect();
        Ruleset {
            docs,
            topo,
            cluster,
            groups,
            guests,
            guest_by_ip,
            local_network,
            local_network_desc,
            management,
            blacklist,
        }
    }

    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    pub fn local_network(&self) -> &str {
        &self.local_network_desc
    }

    fn decider(&self, r: &CRule) -> Decider {
        let d = &self.docs[r.doc];
        let rule = match &r.group {
            Some(g) => &d.groups[g][r.idx],
            None => &d.fw.rules[r.idx],
        };
        Decider::Rule {
            file: d.file.clone(),
            line: r.line,
            text: rule_line(rule),
            path: rule.path.clone(),
        }
    }

    /// First rule of `chain` that decides `p`, following GROUP jumps.
    fn walk(
        &self,
        chain: &Chain,
        inbound: bool,
        iface: &str,
        p: &Packet,
        depth: usize,
    ) -> Option<(Verdict, Decider)> {
        let src = u32::from(p.src);
        let dst = u32::from(p.dst);
        for i in chain.candidates(p.dport) {
            let r = &chain.rules[i as usize];
            if r.iface.as_deref().is_some_and(|x| x != iface) {
                continue;
            }
            if r.src.as_ref().is_some_and(|s| !s.contains(src))
                || r.dst.as_ref().is_some_and(|s| !s.contains(dst))
            {
                continue;
            }
            match &r.target {
                Target::Verdict(v) => {
                    if r.matches.iter().any(|m| m.matches(p)) {
                        return Some((*v, self.decider(r)));
                    }
                }
                Target::Group(g) => {
                    if depth > 0 {
                        continue;
                    }
                    // An unknown group is an empty chain.
                    if let Some(gc) = self.groups.get(g) {
                        let sub = if inbound { &gc.inbound } else { &gc.outbound };
                        if let Some(hit) = self.walk(sub, inbound, iface, p, depth + 1) {
                            return Some(hit);
                        }
                    }
                }
            }
        }
        None
    }

    fn policy(
        &self,
        file: &str,
        option: &'static str,
        pol: Verdict,
        p: &Packet,
    ) -> (Verdict, Decider) {
        if pol == Verdict::Accept {
            return (
                pol,
                Decider::Policy {
                    file: file.to_string(),
                    option,
                    value: pol,
                },
            );
        }
        if p.proto == tables::ICMP
            && matches!(
                p.icmp_type.as_deref(),
                Some("fragmentation-needed" | "time-exceeded")
            )
        {
            return (
                Verdict::Accept,
                Decider::Implicit(format!(
                    "policy {pol} accepts vital ICMP ({})",
                    p.icmp_type.as_deref().unwrap_or("")
                )),
            );
        }
        if is_noise(p) {
            return (Verdict::Drop, Decider::Implicit(format!("policy {pol} ({file}: {option}) silently drops broadcast/multicast, SMB, UPnP and DNS-reply noise")));
        }
        (
            pol,
            Decider::Policy {
                file: file.to_string(),
                option,
                value: pol,
            },
        )
    }

    fn blacklisted() -> Decider {
        Decider::Implicit("source is in the cluster's +blacklist set".into())
    }

    fn management_accept(&self) -> Decider {
        Decider::Implicit(format!("host IN accepts +management (IP set management + local_network {}) on tcp 8006, 5900:5999, 3128, 22, 60000:60050", self.local_network_desc))
    }

    fn host_in(&self, c: &FileRules, p: &Packet) -> (Verdict, Decider) {
        let src = u32::from(p.src);
        for stage in HOST_IN {
            let hit = match stage {
                HostIn::Blacklist => self
                    .blacklist
                    .contains(src)
                    .then(|| (Verdict::Drop, Self::blacklisted())),
                HostIn::Igmp => (p.proto == tables::IGMP).then(|| {
                    (
                        Verdict::Accept,
                        Decider::Implicit("host IN accepts IGMP".into()),
                    )
                }),
                HostIn::Rules => self.walk(&c.chains.inbound, true, &self.topo.bridge, p, 0),
                HostIn::Management => (p.proto == tables::TCP
                    && p.dport.is_some_and(|d| in_ranges(MGMT_IN, d))
                    && self.management.contains(src))
                .then(|| (Verdict::Accept, self.management_accept())),
            };
            if let Some(hit) = hit {
                return hit;
            }
        }
        self.policy(&self.docs[c.doc].file, "policy_in", c.policy_in, p)
    }

    fn host_out(&self, c: &FileRules, p: &Packet) -> (Verdict, Decider) {
        let file = &self.docs[c.doc].file;
        if let Some(hit) = self.walk(&c.chains.outbound, false, &self.topo.bridge, p, 0) {
            return hit;
        }
        if p.proto == tables::TCP
            && p.dport.is_some_and(|d| in_ranges(MGMT_OUT, d))
            && self.local_network.contains(u32::from(p.dst))
        {
            return (
                Verdict::Accept,
                Decider::Implicit(format!(
                    "host OUT accepts to local_network {} on tcp 8006, 22, 5900:5999, 3128",
                    self.local_network_desc
                )),
            );
        }
        self.policy(file, "policy_out", c.policy_out, p)
    }

    fn guest_chain(&self, id: u32, inbound: bool, p: &Packet) -> Step {
        let Some(g) = self.guests.get(&id) else {
            return Step::Continue;
        };
        let info = self.topo.guests.iter().find(|x| x.id == id);
        if !g.enabled || !info.is_some_and(|i| i.nic_firewall) {
            return Step::Continue;
        }
        let file = &self.docs[g.doc].file;
        if self.blacklist.contains(u32::from(p.src)) {
            return Step::Verdict(Verdict::Drop, Self::blacklisted());
        }
        let udp =
            |s: u16, d: u16| p.proto == tables::UDP && p.sport == Some(s) && p.dport == Some(d);
        if inbound {
            if g.dhcp && udp(67, 68) {
                return Step::Verdict(
                    Verdict::Accept,
                    Decider::Implicit(format!(
                        "guest {id} IN accepts DHCP replies (dhcp is not 0)"
                    )),
                );
            }
        } else {
            if g.dhcp && udp(68, 67) {
                return Step::Verdict(
                    Verdict::Accept,
                    Decider::Implicit(format!(
                        "guest {id} OUT accepts DHCP requests (dhcp is not 0)"
                    )),
                );
            }
            if let Some(allowed) = &g.ipfilter {
                let own = info
                    .filter(|i| i.is_ct)
                    .and_then(|i| i.ip)
                    .is_some_and(|ip| ip == p.src);
                if !own && !allowed.contains(u32::from(p.src)) {
                    return Step::Verdict(
                        Verdict::Drop,
                        Decider::Implicit(format!(
                            "guest {id} ipfilter: source {} is not in ipfilter-net0",
                            p.src
                        )),
                    );
                }
            }
        }
        let chain = if inbound {
            &g.chains.inbound
        } else {
            &g.chains.outbound
        };
        if let Some((v, d)) = self.walk(chain, inbound, "net0", p, 0) {
            return match v {
                Verdict::Accept => Step::Continue,
                _ => Step::Verdict(v, d),
            };
        }
        let (opt, pol) = if inbound {
            ("policy_in", g.policy_in)
        } else {
            ("policy_out", g.policy_out)
        };
        match self.policy(file, opt, pol, p) {
            (Verdict::Accept, _) => Step::Continue,
            (v, d) => Step::Verdict(v, d),
        }
    }

    /// Zone of an address: the host, a guest, or outside.
    pub fn zone_of(&self, ip: Ipv4Addr) -> Zone {
        if ip == self.topo.host_ip {
            Zone::Host
        } else if let Some(id) = self.guest_by_ip.get(&ip) {
            Zone::Guest(*id)
        } else {
            Zone::Outside
        }
    }

    /// Evaluates a packet from `from` to `to` through every chain it crosses.
    pub fn simulate(&self, from: Zone, to: Zone, p: &Packet) -> Answer {
        let mut chains = Vec::new();
        if from == to && from != Zone::Outside {
            return Answer {
                verdict: Verdict::Accept,
                decider: Decider::Local,
                chains,
            };
        }
        let Some(c) = &self.cluster else {
            return Answer {
                verdict: Verdict::Accept,
                decider: Decider::Disabled("no /etc/pve/firewall/cluster.fw".into()),
                chains,
            };
        };
        if !c.enabled {
            return Answer {
                verdict: Verdict::Accept,
                decider: Decider::Disabled(format!("{}: enable: 0", self.docs[c.doc].file)),
                chains,
            };
        }
        let mut last: Option<(Verdict, Decider)> = None;
        // Leaving the source.
        match from {
            Zone::Guest(id) => {
                chains.push(format!("guest {id} OUT"));
                if let Step::Verdict(v, d) = self.guest_chain(id, false, p) {
                    return Answer {
                        verdict: v,
                        decider: d,
                        chains,
                    };
                }
            }
            Zone::Host => {
                chains.push("host OUT".into());
                let (v, d) = self.host_out(c, p);
                if v != Verdict::Accept {
                    return Answer {
                        verdict: v,
                        decider: d,
                        chains,
                    };
                }
                last = Some((v, d));
            }
            Zone::Outside => {}
        }
        // Entering the destination.
        match to {
            Zone::Guest(id) => {
                chains.push(format!("guest {id} IN"));
                if let Step::Verdict(v, d) = self.guest_chain(id, true, p) {
                    return Answer {
                        verdict: v,
                        decider: d,
                        chains,
                    };
                }
            }
            Zone::Host => {
                chains.push("host IN".into());
                let (v, d) = self.host_in(c, p);
                return Answer {
                    verdict: v,
                    decider: d,
                    chains,
                };
            }
            Zone::Outside => {}
        }
        // Accepted by every chain crossed. A rule (or implicit rule) of host
        // OUT names the decision; when host OUT only let it pass by its
        // policy, the guest IN rule or policy that accepted says more.
        let decider = match last {
            Some((_, d)) if !matches!(d, Decider::Policy { .. }) => d,
            host_policy => self
                .last_accept(from, to, p)
                .or(host_policy.map(|(_, d)| d))
                .unwrap_or_else(|| {
                    Decider::Implicit(
                        "no firewall chain on this path decides (guest firewall off or policy ACCEPT)"
                            .into(),
                    )
                }),
        };
        Answer {
            verdict: Verdict::Accept,
            decider,
            chains,
        }
    }

    /// The rule or policy that accepted in the last guest chain crossed.
    fn last_accept(&self, from: Zone, to: Zone, p: &Packet) -> Option<Decider> {
        let pick = |id: u32, inbound: bool| -> Option<Decider> {
            let g = self.guests.get(&id)?;
            let info = self.topo.guests.iter().find(|x| x.id == id)?;
            if !g.enabled || !info.nic_firewall {
                return None;
            }
            let chain = if inbound {
                &g.chains.inbound
            } else {
                &g.chains.outbound
            };
            match self.walk(chain, inbound, "net0", p, 0) {
                Some((_, d)) => Some(d),
                None => {
                    let (opt, pol) = if inbound {
                        ("policy_in", g.policy_in)
                    } else {
                        ("policy_out", g.policy_out)
                    };
                    Some(Decider::Policy {
                        file: self.docs[g.doc].file.clone(),
                        option: opt,
                        value: pol,
                    })
                }
            }
        };
        let in_side = if let Zone::Guest(id) = to {
            pick(id, true)
        } else {
            None
        };
        in_side.or_else(|| {
            if let Zone::Guest(id) = from {
                pick(id, false)
            } else {
                None
            }
        })
    }

    // ------------------------------------------------------------ lockout

    /// Splits `sources` by what host IN does with tcp to `port` on the host
    /// address, for every source port: each part with its verdict and what
    /// decided. Rules limited to some source ports cannot be relied on to
    /// accept, and are taken to drop when they drop.
    pub fn host_in_partition(
        &self,
        port: u16,
        sources: &Ipv4Set,
    ) -> Vec<(Ipv4Set, Verdict, Decider)> {
        let mut out = Vec::new();
        let Some(c) = &self.cluster else {
            return vec![(
                sources.clone(),
                Verdict::Accept,
                Decider::Disabled("no cluster.fw".into()),
            )];
        };
        if !c.enabled {
            return vec![(
                sources.clone(),
                Verdict::Accept,
                Decider::Disabled(format!("{}: enable: 0", self.docs[c.doc].file)),
            )];
        }
        let mut rest = sources.clone();
        // The part of `rest` in `set` gets `verdict`.
        let take = |rest: &mut Ipv4Set, out: &mut Vec<_>, set: &Ipv4Set, v, d| {
            let m = rest.intersect(set);
            if !m.is_empty() {
                *rest = rest.minus(&m);
                out.push((m, v, d));
            }
        };
        for stage in HOST_IN {
            match stage {
                HostIn::Blacklist => take(
                    &mut rest,
                    &mut out,
                    &self.blacklist,
                    Verdict::Drop,
                    Self::blacklisted(),
                ),
                // Only tcp is asked about.
                HostIn::Igmp => {}
                HostIn::Rules => {
                    self.partition_chain(&c.chains.inbound, port, &mut rest, &mut out, 0)
                }
                HostIn::Management if in_ranges(MGMT_IN, port) => take(
                    &mut rest,
                    &mut out,
                    &self.management,
                    Verdict::Accept,
                    self.management_accept(),
                ),
                HostIn::Management => {}
            }
        }
        if !rest.is_empty() {
            let file = self.docs[c.doc].file.clone();
            out.push((
                rest,
                c.policy_in,
                Decider::Policy {
                    file,
                    option: "policy_in",
                    value: c.policy_in,
                },
            ));
        }
        out
    }

    fn partition_chain(
        &self,
        chain: &Chain,
        port: u16,
        rest: &mut Ipv4Set,
        out: &mut Vec<(Ipv4Set, Verdict, Decider)>,
        depth: usize,
    ) {
        let host = u32::from(self.topo.host_ip);
        for i in chain.candidates(Some(port)) {
            if rest.is_empty() {
                return;
            }
            let r = &chain.rules[i as usize];
            if r.iface.as_deref().is_some_and(|x| x != self.topo.bridge)
                || r.dst.as_ref().is_some_and(|s| !s.contains(host))
            {
                continue;
            }
            let m = match &r.src {
                Some(s) => rest.intersect(s),
                None => rest.clone(),
            };
            if m.is_empty() {
                continue;
            }
            match &r.target {
                Target::Group(g) => {
                    if depth == 0 {
                        if let Some(gc) = self.groups.get(g) {
                            self.partition_chain(&gc.inbound, port, rest, out, depth + 1);
                        }
                    }
                }
                Target::Verdict(v) => {
                    let how: Vec<bool> =
                        r.matches.iter().filter_map(|x| x.tcp_port(port)).collect();
                    if how.is_empty() {
                        continue;
                    }
                    let sure = how.iter().any(|s| *s);
                    if *v == Verdict::Accept && !sure {
                        continue;
                    }
                    out.push((m.clone(), *v, self.decider(r)));
                    *rest = rest.minus(&m);
                }
            }
        }
    }
}

/// Parses `host`, `outside`, `vmN`/`ctN`/`N` or an IPv4 address into a zone and
/// an address (defaults for outside like pve-firewall simulate).
pub fn resolve_endpoint(
    rs: &Ruleset,
    s: &str,
    is_source: bool,
) -> Result<(Zone, Ipv4Addr), String> {
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        return Ok((rs.zone_of(ip), ip));
    }
    match s {
        "host" => return Ok((Zone::Host, rs.topo.host_ip)),
        "outside" => {
            return Ok((
                Zone::Outside,
                if is_source {
                    Ipv4Addr::new(100, 100, 1, 2)
                } else {
                    Ipv4Addr::new(100, 200, 3, 4)
                },
            ))
        }
        _ => {}
    }
    let digits = s
        .strip_prefix("vm")
        .or_else(|| s.strip_prefix("ct"))
        .unwrap_or(s);
    let id: u32 = digits.parse().map_err(|_| {
        format!("{s:?}: expected host, outside, vmN, ctN, a guest ID or an IPv4 address")
    })?;
    let g = rs
        .topo
        .guests
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| format!("{s:?}: no guest {id} in the configuration"))?;
    let ip = g
        .ip
        .ok_or_else(|| format!("{s:?}: guest {id} has no static IPv4 address to simulate with"))?;
    Ok((Zone::Guest(id), ip))
}

/// A protocol for a query: tcp, udp, icmp, or any /etc/protocols name/number.
pub fn query_proto(s: &str) -> Result<u8, String> {
    tables::protocol(s).ok_or_else(|| {
        format!("{s:?}: expected tcp, udp, icmp or another /etc/protocols name or number")
    })
}

pub use crate::fwfile::Kind as FileKind;
