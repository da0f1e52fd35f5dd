//! Packet simulation with Proxmox's semantics (pve-firewall's Firewall.pm, ruleset_generate_vm_rules and enable_host_firewall): which chains
//! a packet crosses between zones, the implicit rules around the user's
//! rules, security groups, IP sets, aliases and the DROP/REJECT policies.
//! Works on `FwDoc`s, so it evaluates proposed files and existing ones alike.
//!
//! `values`: packets, zones, answers; `scope`: which rules are compiled
//! (all, or what the lockout guard asks about); `compile`: documents into chains;
//! `eval`: one packet through them (guest chains, the path between zones);
//! `host`: the host's chains (host.fw, cluster.fw, management, corosync);
//! `partition`: host IN for a set of sources (the lockout guard); `query`:
//! reading zones, addresses and `--batch` lines; `machine`: what a state
//! root tells about NICs, node addresses and corosync; `localnet`:
//! `local_network` from the node's routes.

mod compile;
mod eval;
mod host;
pub mod localnet;
pub mod machine;
mod partition;
mod query;
mod scope;
mod values;

pub use phx_common::firewall::rule::Verdict;
pub use query::{batch_line, endpoint, query_proto, resolve_endpoint, Endpoint, Query};
pub use scope::Scope;
pub use values::{Answer, Decider, DstType, GuestInfo, Nic, Packet, Topology, Zone};

use crate::fwfile::FwDoc;
use crate::ipv4set::Ipv4Set;
use compile::{Chains, Compiler, FileRules};
use ipnet::IpNet;
use phx_common::firewall::addr::{self, RefScope};
use phx_common::firewall::lookup::AliasIndex;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Compiled firewall files plus topology: answers packet queries.
pub struct Ruleset<'a> {
    pub docs: Vec<FwDoc<'a>>,
    topo: Topology,
    cluster: Option<FileRules>,
    /// host.fw: its rules come before cluster.fw's in host IN/OUT.
    host: Option<FileRules>,
    groups: HashMap<String, Chains>,
    guests: HashMap<u32, FileRules>,
    /// Guest ID → its place in `topo.guests`.
    guest_index: HashMap<u32, usize>,
    /// Every guest address → (guest, NIC).
    guest_by_ip: HashMap<Ipv4Addr, (u32, u8)>,
    local_network: Ipv4Set,
    local_network_desc: String,
    /// What the caller should print (how local_network was found, when in doubt).
    notes: Vec<String>,
    management: Ipv4Set,
    blacklist: Ipv4Set,
    /// Smurf sources (multicast, the limited and the local broadcast), when
    /// the smurf filter is on.
    smurfs: Ipv4Set,
    /// The rules compiled: a ruleset built for the lockout guard answers
    /// only `host_in_partition` for its ports.
    scope: Scope,
}

const MGMT_IN: &[(u16, u16)] = &[
    (8006, 8006),
    (5900, 5999),
    (3128, 3128),
    (22, 22),
    (60000, 60050),
];
/// Host IN in pve-firewall's order (pve-firewall's Firewall.pm, ruleset_generate_vm_rules and enable_host_firewall), before the policy:
/// `host_in` walks it for one packet, `host_in_partition` (the lockout
/// guard) for a whole set of sources, so the two cannot drift apart.
#[derive(Debug, Clone, Copy)]
enum HostIn {
    /// Sources in the cluster's `blacklist` IP set are dropped.
    Blacklist,
    /// Sources that are broadcast or multicast addresses are dropped
    /// (PVEFW-smurfs), unless host.fw says `nosmurfs: 0`.
    Smurfs,
    /// IGMP is accepted.
    Igmp,
    /// host.fw's IN rules, then cluster.fw's (and the groups they jump to).
    Rules,
    /// `+management` (IP set `management` + local_network) on MGMT_IN.
    Management,
    /// Corosync (udp 5404:5405) from another node's ring address to ours on
    /// the same link, from /etc/pve/corosync.conf.
    Corosync,
}

const HOST_IN: [HostIn; 6] = [
    HostIn::Blacklist,
    HostIn::Smurfs,
    HostIn::Igmp,
    HostIn::Rules,
    HostIn::Management,
    HostIn::Corosync,
];

/// Corosync's ports.
const COROSYNC: (u16, u16) = (5404, 5405);

const MGMT_OUT: &[(u16, u16)] = &[(8006, 8006), (22, 22), (5900, 5999), (3128, 3128)];

/// The firewall files a ruleset is compiled from.
#[derive(Debug, Default)]
pub struct Docs<'a> {
    /// cluster.fw (None: no file, firewall off).
    pub cluster: Option<FwDoc<'a>>,
    /// The node's host.fw.
    pub host: Option<FwDoc<'a>>,
    /// `<vmid>.fw` files.
    pub guests: Vec<(u32, FwDoc<'a>)>,
}

/// What PVEFW-smurfs drops (ruleset_chain_add_input_filters, on unless
/// host.fw says `nosmurfs: 0`): sources in 224.0.0.0/4 and broadcast
/// sources — 255.255.255.255 and the host network's broadcast address.
fn smurf_sources(host: Option<&FwDoc>, topo: &Topology) -> Ipv4Set {
    if host.is_some_and(|h| h.fw.options.get("nosmurfs").map(String::as_str) == Some("0")) {
        return Ipv4Set::empty();
    }
    let multicast: ipnet::Ipv4Net = "224.0.0.0/4".parse().unwrap();
    Ipv4Set::from_net(&multicast)
        .union(&Ipv4Set::single(Ipv4Addr::BROADCAST))
        .union(&Ipv4Set::single(topo.host_net.broadcast()))
}

impl<'a> Ruleset<'a> {
    /// `cluster`: cluster.fw (None: no file, firewall off); `guests`: `<vmid>.fw` files.
    pub fn build(
        topo: Topology,
        cluster: Option<FwDoc<'a>>,
        guests: Vec<(u32, FwDoc<'a>)>,
    ) -> Ruleset<'a> {
        Self::build_all(
            topo,
            Docs {
                cluster,
                host: None,
                guests,
            },
        )
    }

    pub fn build_all(topo: Topology, files: Docs<'a>) -> Ruleset<'a> {
        Self::build_scoped(topo, files, Scope::Everything)
    }

    /// A ruleset holding only the rules `scope` needs.
    pub fn build_scoped(topo: Topology, files: Docs<'a>, scope: Scope) -> Ruleset<'a> {
        let Docs {
            cluster,
            host,
            guests,
        } = files;
        let mut docs = Vec::new();
        let cluster_doc = cluster.map(|c| {
            docs.push(c);
            docs.len() - 1
        });
        let host_doc = host.map(|h| {
            docs.push(h);
            docs.len() - 1
        });
        let mut guest_ids = Vec::new();
        for (id, d) in guests {
            guest_ids.push((id, docs.len()));
            docs.push(d);
        }
        let alias = cluster_doc.and_then(|c| {
            docs[c]
                .fw
                .aliases
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("local_network"))
                .map(|(_, a)| a.cidr.clone())
        });
        let mut notes = Vec::new();
        // compile: the alias wins; only without one are the routes asked.
        let (local_net, local_network_desc) =
            match alias.as_deref().and_then(|c| addr::parse_net(c).ok()) {
                Some(n) => (n, format!("{n} (local_network alias)")),
                None => {
                    let (n, desc, warn) = localnet::derive(
                        &topo.routes,
                        topo.cluster_ip.unwrap_or(topo.host_ip),
                        topo.host_net,
                    );
                    notes.extend(warn);
                    (IpNet::V4(n), desc)
                }
            };
        let local_network = Ipv4Set::from_nets([&local_net]);
        let mut comp = Compiler {
            docs: &docs,
            cluster_doc,
            host_doc,
            local_net,
            cache: HashMap::new(),
            aliases: docs.iter().map(|d| AliasIndex::new(&d.fw)).collect(),
            scope: &scope,
        };
        let cluster = cluster_doc.map(|c| comp.file(c));
        let host = host_doc.map(|h| comp.file(h));
        let mut groups = HashMap::new();
        if let Some(c) = cluster_doc {
            for (name, rules) in &docs[c].fw.groups {
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
        let smurfs = smurf_sources(host_doc.map(|h| &docs[h]), &topo);
        let guests: HashMap<u32, FileRules> = guest_ids
            .iter()
            .map(|(id, d)| (*id, comp.file(*d)))
            .collect();
        let guest_index = topo
            .guests
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id, i))
            .collect();
        let guest_by_ip = topo
            .guests
            .iter()
            .flat_map(|g| g.addresses().map(move |(nic, ip)| (ip, (g.id, nic))))
            .collect();
        Ruleset {
            docs,
            topo,
            cluster,
            host,
            groups,
            guests,
            guest_by_ip,
            guest_index,
            local_network,
            local_network_desc,
            notes,
            management,
            blacklist,
            smurfs,
            scope,
        }
    }

    /// A guest of the topology by ID.
    pub fn guest_info(&self, id: u32) -> Option<&values::GuestInfo> {
        self.guest_index.get(&id).map(|i| &self.topo.guests[*i])
    }

    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    pub fn local_network(&self) -> &str {
        &self.local_network_desc
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Warnings from building the ruleset.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}
