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
    /// The sending guest's NIC (`netN`; None: net0).
    pub src_nic: Option<u8>,
    /// The receiving guest's NIC (None: net0).
    pub dst_nic: Option<u8>,
    /// The host interface the packet crosses (None: the bridge), for `-i` in host rules.
    pub host_iface: Option<String>,
    /// `-m addrtype --dst-type` (None: from the destination address).
    pub dsttype: Option<DstType>,
}

impl Default for Packet {
    fn default() -> Packet {
        Packet {
            src: Ipv4Addr::UNSPECIFIED,
            dst: Ipv4Addr::UNSPECIFIED,
            proto: 6,
            dport: None,
            sport: None,
            icmp_type: None,
            src_nic: None,
            dst_nic: None,
            host_iface: None,
            dsttype: None,
        }
    }
}

/// The destination address type iptables' addrtype match sees
/// (FirewallSimulator's `dsttype`, UNICAST unless given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstType {
    Unicast,
    Multicast,
    Broadcast,
    Anycast,
    Local,
}

impl DstType {
    pub fn parse(s: &str) -> Option<DstType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "UNICAST" => DstType::Unicast,
            "MULTICAST" => DstType::Multicast,
            "BROADCAST" => DstType::Broadcast,
            "ANYCAST" => DstType::Anycast,
            "LOCAL" => DstType::Local,
            _ => return None,
        })
    }
}

impl Packet {
    /// The destination type: as given, else what the address says.
    pub fn dst_type(&self) -> DstType {
        self.dsttype.unwrap_or(if self.dst.is_multicast() {
            DstType::Multicast
        } else if self.dst.is_broadcast() {
            DstType::Broadcast
        } else {
            DstType::Unicast
        })
    }

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
    /// net0's IPv4 address.
    pub ip: Option<Ipv4Addr>,
    /// Whether net0 has `firewall=1`.
    pub nic_firewall: bool,
    pub is_ct: bool,
    /// Further NICs (`net1`…), from the guest's conf; net0 is `ip`/`nic_firewall`.
    pub more_nics: Vec<Nic>,
}

/// One of a guest's NICs beyond net0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    pub index: u8,
    pub ip: Option<Ipv4Addr>,
    pub firewall: bool,
}

impl GuestInfo {
    /// NIC `n`'s address and firewall flag, if the guest has that NIC.
    pub fn nic(&self, n: u8) -> Option<(Option<Ipv4Addr>, bool)> {
        if n == 0 {
            return Some((self.ip, self.nic_firewall));
        }
        self.more_nics
            .iter()
            .find(|x| x.index == n)
            .map(|x| (x.ip, x.firewall))
    }
    /// Every (NIC, address) the guest owns.
    pub fn addresses(&self) -> impl Iterator<Item = (u8, Ipv4Addr)> + '_ {
        let first = self.ip.map(|ip| (0, ip));
        first.into_iter().chain(
            self.more_nics
                .iter()
                .filter_map(|n| n.ip.map(|ip| (n.index, ip))),
        )
    }
}

/// The host and guests as the configuration describes them.
#[derive(Debug, Clone)]
pub struct Topology {
    pub host_ip: Ipv4Addr,
    pub host_net: Ipv4Net,
    pub bridge: String,
    pub guests: Vec<GuestInfo>,
    /// The node's other addresses (corosync links, further interfaces):
    /// a packet to or from any of them is the host's.
    pub more_host_ips: Vec<Ipv4Addr>,
    /// Corosync ring addresses: (link, node is this host, address).
    pub corosync: Vec<(u8, bool, Ipv4Addr)>,
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
                more_nics: Vec::new(),
            })
            .collect();
        Topology {
            host_ip: inv.host.network.address.addr(),
            host_net: inv.host.network.address.trunc(),
            bridge: inv.host.network.bridge.clone(),
            guests,
            more_host_ips: Vec::new(),
            corosync: Vec::new(),
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
