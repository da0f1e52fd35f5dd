//! What the simulator answers about: packets, zones, the topology they move
//! in, and the verdict with what decided it.

use ipnet::Ipv4Net;
use phx_common::config::Inventory;
use phx_common::firewall::nic_firewall_enabled;
use phx_common::firewall::rule::{packet_icmp, Verdict};
use std::fmt;
use std::net::Ipv4Addr;

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
    /// For ICMP: the type name (`echo-request` when not given), or `N`/`N/C`.
    pub icmp_type: Option<String>,
}

impl Packet {
    /// The ICMP type and code, for an ICMP packet whose type is known.
    pub fn icmp(&self) -> Option<(u8, u8)> {
        self.icmp_type.as_deref().and_then(packet_icmp)
    }
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
                nic_firewall: nic_firewall_enabled(g),
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

/// One answer: the verdict, what decided it, and the chains the packet crossed.
#[derive(Debug, Clone)]
pub struct Answer {
    pub verdict: Verdict,
    pub decider: Decider,
    pub chains: Vec<String>,
}
