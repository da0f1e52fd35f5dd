//! What the simulator answers about: packets, zones, the topology they move
//! in, and the verdict with what decided it.

use super::localnet::Routes;
use ipnet::Ipv4Net;
use phx_common::config::{Guest, Inventory};
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
    /// The sender's source MAC, upper case (None: the sending NIC's own).
    pub src_mac: Option<String>,
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
            src_mac: None,
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
    pub is_ct: bool,
    /// The guest's NICs (`net0`…), by index.
    pub nics: Vec<Nic>,
}

/// One of a guest's NICs, as its conf (or the JSON) describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nic {
    pub index: u8,
    pub ip: Option<Ipv4Addr>,
    /// `firewall=1`.
    pub firewall: bool,
    /// The NIC's MAC (`hwaddr=` of a CT, `virtio=`… of a VM), upper case;
    /// None when the configuration does not say (Proxmox then makes one up).
    pub mac: Option<String>,
    /// The bridge it is plugged into (host rules see it as `-i`).
    pub bridge: Option<String>,
}

impl GuestInfo {
    /// NIC `n`, if the guest has it.
    pub fn nic(&self, n: u8) -> Option<&Nic> {
        self.nics.iter().find(|x| x.index == n)
    }
    /// net0's IPv4 address.
    pub fn ip(&self) -> Option<Ipv4Addr> {
        self.nic(0).and_then(|n| n.ip)
    }
    /// Every (NIC, address) the guest owns.
    pub fn addresses(&self) -> impl Iterator<Item = (u8, Ipv4Addr)> + '_ {
        self.nics
            .iter()
            .filter_map(|n| n.ip.map(|ip| (n.index, ip)))
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
    /// corosync.conf's `totem { transport: udp }`: multicast corosync is
    /// accepted in host IN and OUT from and to anyone.
    pub corosync_multicast: bool,
    /// The node's IPv4 routes in the kernel's order, for `local_network`.
    pub routes: Routes,
    /// The node's address in the cluster's node list (PVE::Cluster
    /// `remote_node_ip`: corosync link 0), which `local_network()` looks
    /// up in the routes; None: `network.address`.
    pub cluster_ip: Option<Ipv4Addr>,
}

impl Topology {
    /// The host alone: what host IN needs (the lockout guard), without a
    /// walk over every guest's NICs.
    pub fn of_host(inv: &Inventory) -> Topology {
        Topology {
            host_ip: inv.host.network.address.addr(),
            host_net: inv.host.network.address.trunc(),
            bridge: inv.host.network.bridge.clone(),
            guests: Vec::new(),
            more_host_ips: Vec::new(),
            corosync: Vec::new(),
            corosync_multicast: false,
            routes: Routes::None,
            cluster_ip: None,
        }
    }

    /// The host and every guest with its NICs.
    pub fn from_inventory(inv: &Inventory) -> Topology {
        let guests = inv
            .guests()
            .map(|g| {
                let firewall = nic_firewall_enabled(g);
                let mac = match g {
                    Guest::Lxc(c) => c.mac.clone(),
                    Guest::Vm(v) => v.mac.clone(),
                };
                let nets = g.net().into_iter().chain(g.common().more_nets.iter());
                let nics = nets
                    .enumerate()
                    .map(|(i, n)| Nic {
                        index: i as u8,
                        ip: n.ip.addr(),
                        firewall,
                        // `mac_address` is net0's; further NICs name their own.
                        mac: if i == 0 { mac.clone() } else { n.mac.clone() },
                        bridge: Some(n.bridge.clone()),
                    })
                    .collect();
                GuestInfo {
                    id: g.id(),
                    is_ct: g.kind() == "lxc",
                    nics,
                }
            })
            .collect();
        Topology {
            guests,
            ..Topology::of_host(inv)
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
