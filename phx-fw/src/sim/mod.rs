//! Packet simulation with Proxmox's semantics (reference §1.5): which chains
//! a packet crosses between zones, the implicit rules around the user's
//! rules, security groups, IP sets, aliases and the DROP/REJECT policies.
//! Works on `FwDoc`s, so it evaluates proposed files and existing ones alike.
//!
//! `values`: packets, zones, answers; `compile`: documents into chains;
//! `eval`: one packet through them; `partition`: host IN for a set of
//! sources (the lockout guard); `query`: reading zone and protocol names.

mod compile;
mod eval;
mod partition;
mod query;
mod values;

pub use phx_common::firewall::rule::Verdict;
pub use query::{batch_line, query_proto, resolve_endpoint, Query};
pub use values::{Answer, Decider, GuestInfo, Packet, Topology, Zone};

use crate::fwfile::FwDoc;
use crate::ipv4set::Ipv4Set;
use compile::{Chains, Compiler, FileRules};
use ipnet::IpNet;
use phx_common::firewall::addr::{self, RefScope};
use std::collections::HashMap;
use std::net::Ipv4Addr;

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
}
