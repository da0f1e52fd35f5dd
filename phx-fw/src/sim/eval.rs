//! Evaluating one packet: the chains it crosses between two zones, in
//! pve-firewall's order (pve-firewall's Firewall.pm, ruleset_generate_vm_rules and enable_host_firewall), with the implicit rules and the
//! DROP/REJECT policies' silent noise handling.

use super::compile::{match_packet, CRule, Chain};
use super::values::{Answer, Decider, DstType, Packet, Zone};
use super::{Ruleset, Scope};
use crate::fwfile::rule_line;
use phx_common::firewall::rule::{Target, Verdict};
use phx_common::firewall::tables;
use std::net::Ipv4Addr;

/// SMB, UPnP and DNS-reply noise that the DROP/REJECT policies discard silently.
fn is_noise(p: &Packet) -> bool {
    let d = p.dport.unwrap_or(0);
    let s = p.sport.unwrap_or(0);
    // PVEFW-Drop: `-m addrtype --dst-type BROADCAST/MULTICAST/ANYCAST -j DROP`.
    let multicast = matches!(
        p.dst_type(),
        DstType::Broadcast | DstType::Multicast | DstType::Anycast
    );
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

/// `netN` without allocating for the NICs guests have (Proxmox allows 32).
fn nic_name(n: u8) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 32] = [
        "net0", "net1", "net2", "net3", "net4", "net5", "net6", "net7", "net8", "net9", "net10",
        "net11", "net12", "net13", "net14", "net15", "net16", "net17", "net18", "net19", "net20",
        "net21", "net22", "net23", "net24", "net25", "net26", "net27", "net28", "net29", "net30",
        "net31",
    ];
    match NAMES.get(usize::from(n)) {
        Some(s) => (*s).into(),
        None => format!("net{n}").into(),
    }
}

/// What a guest chain does with a packet: decide it, or let it go on.
enum ChainOutcome {
    Verdict(Verdict, Decider),
    Continue,
}

impl Ruleset<'_> {
    pub(super) fn decider(&self, r: &CRule) -> Decider {
        let d = &self.docs[r.doc];
        let rule = match &r.group {
            Some(g) => &d.fw.groups[g][r.idx],
            None => &d.fw.rules[r.idx],
        };
        Decider::Rule {
            file: d.file.clone(),
            line: r.line,
            text: rule_line(rule),
            path: rule.path.to_string(),
        }
    }

    /// First rule of `chain` that decides `p`, following GROUP jumps.
    pub(super) fn walk(
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
                    if r.matches.iter().any(|m| match_packet(m, p)) {
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

    pub(super) fn policy(
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
        // PVEFW-Drop / PVEFW-Reject: fragmentation-needed (3/4) and
        // time-exceeded (11, any code) pass whatever the policy.
        if p.proto == tables::ICMP && matches!(p.icmp(), Some((3, 4)) | Some((11, _))) {
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

    pub(super) fn smurf_decider() -> Decider {
        Decider::Implicit(
            "source is a broadcast or multicast address (smurf filter; host.fw nosmurfs: 0 turns it off)"
                .into(),
        )
    }

    /// PVEFW-smurfs, before the host's and the guests' rules.
    pub(super) fn smurf(&self, p: &Packet) -> Option<(Verdict, Decider)> {
        self.smurfs
            .contains(u32::from(p.src))
            .then(|| (Verdict::Drop, Self::smurf_decider()))
    }

    pub(super) fn blacklisted() -> Decider {
        Decider::Implicit("source is in the cluster's +blacklist set".into())
    }

    pub(super) fn management_accept(&self) -> Decider {
        Decider::Implicit(format!("host IN accepts +management (IP set management + local_network {}) on tcp 8006, 5900:5999, 3128, 22, 60000:60050", self.local_network_desc))
    }

    /// The NIC a packet uses at a guest end: net0 unless given.
    fn nic_of(p: &Packet, inbound: bool) -> u8 {
        if inbound { p.dst_nic } else { p.src_nic }.unwrap_or(0)
    }

    fn guest_chain(&self, id: u32, inbound: bool, p: &Packet) -> ChainOutcome {
        let nic = Self::nic_of(p, inbound);
        let info = self.guest_info(id);
        let nic_info = info.and_then(|i| i.nic(nic));
        // Only a NIC with firewall=1 sits behind a firewall bridge.
        if !nic_info.is_some_and(|n| n.firewall) {
            return ChainOutcome::Continue;
        }
        // PVEFW-FWBR-IN, which every packet into a firewall bridge crosses
        // before the tap chains: the blacklist and smurf filters (with
        // host.fw's nosmurfs), whether or not the guest has a <vmid>.fw
        // (pve-firewall src/PVE/Firewall.pm:4343 compile_iptables_filter:
        // ruleset_chain_add_input_filters on PVEFW-FWBR-IN). Leaving a guest
        // (PVEFW-FWBR-OUT) has no such filter.
        if inbound {
            if self.blacklist.contains(u32::from(p.src)) {
                return ChainOutcome::Verdict(Verdict::Drop, Self::blacklisted());
            }
            if let Some((v, d)) = self.smurf(p) {
                return ChainOutcome::Verdict(v, d);
            }
        }
        let Some(g) = self.guests.get(&id) else {
            return ChainOutcome::Continue;
        };
        if !g.enabled {
            return ChainOutcome::Continue;
        }
        let file = &self.docs[g.doc].file;
        let udp =
            |s: u16, d: u16| p.proto == tables::UDP && p.sport == Some(s) && p.dport == Some(d);
        if inbound {
            if g.dhcp && udp(67, 68) {
                return ChainOutcome::Verdict(
                    Verdict::Accept,
                    Decider::Implicit(format!(
                        "guest {id} IN accepts DHCP replies (dhcp is not 0)"
                    )),
                );
            }
        } else {
            if g.dhcp && udp(68, 67) {
                return ChainOutcome::Verdict(
                    Verdict::Accept,
                    Decider::Implicit(format!(
                        "guest {id} OUT accepts DHCP requests (dhcp is not 0)"
                    )),
                );
            }
            // ruleset_create_vm_chain: `-m mac ! --mac-source MAC -j DROP`,
            // after the DHCP accept and before ipfilter.
            let own_mac = nic_info.and_then(|n| n.mac.as_deref());
            if let (true, Some(own), Some(sent)) = (g.macfilter, own_mac, p.src_mac.as_deref()) {
                if !own.eq_ignore_ascii_case(sent) {
                    return ChainOutcome::Verdict(
                        Verdict::Drop,
                        Decider::Implicit(format!(
                            "guest {id} macfilter: source MAC {sent} is not net{nic}'s {own} ({file}: macfilter: 0 turns it off)"
                        )),
                    );
                }
            }
            let set = g.ipfilter.get(&nic);
            if set.is_some() || g.ipfilter_all {
                // A container's configured address is in its set implicitly.
                let own =
                    info.is_some_and(|i| i.is_ct) && nic_info.and_then(|n| n.ip) == Some(p.src);
                if !own && !set.is_some_and(|s| s.contains(u32::from(p.src))) {
                    return ChainOutcome::Verdict(
                        Verdict::Drop,
                        Decider::Implicit(format!(
                            "guest {id} ipfilter: source {} is not in ipfilter-net{nic}",
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
        if let Some((v, d)) = self.walk(chain, inbound, &nic_name(nic), p, 0) {
            return match v {
                Verdict::Accept => ChainOutcome::Continue,
                _ => ChainOutcome::Verdict(v, d),
            };
        }
        let (opt, pol) = if inbound {
            ("policy_in", g.policy_in)
        } else {
            ("policy_out", g.policy_out)
        };
        match self.policy(file, opt, pol, p) {
            (Verdict::Accept, _) => ChainOutcome::Continue,
            (v, d) => ChainOutcome::Verdict(v, d),
        }
    }

    /// Zone of an address: the host, a guest, or outside.
    pub fn zone_of(&self, ip: Ipv4Addr) -> Zone {
        self.zone_nic_of(ip).0
    }

    /// Zone of an address, and for a guest the NIC that owns it.
    pub fn zone_nic_of(&self, ip: Ipv4Addr) -> (Zone, Option<u8>) {
        if ip == self.topo.host_ip || self.topo.more_host_ips.contains(&ip) {
            (Zone::Host, None)
        } else if let Some((id, nic)) = self.guest_by_ip.get(&ip) {
            (Zone::Guest(*id), Some(*nic))
        } else {
            (Zone::Outside, None)
        }
    }

    /// Evaluates a packet from `from` to `to` through every chain it crosses.
    pub fn simulate(&self, from: Zone, to: Zone, p: &Packet) -> Answer {
        assert!(
            !matches!(self.scope, Scope::HostInTcp(_)),
            "a ruleset built for the lockout guard cannot simulate packets"
        );
        let mut chains = Vec::new();
        // Local only within one network stack: the host, or one guest NIC.
        // A guest's packet to another of its NICs leaves through the sending
        // NIC's tap and comes back in through the other's, crossing both
        // chains (FirewallSimulator.pm:563 simulate_firewall/route_packet from `vm100i1` to
        // `vm100`): an empty ipfilter-netN drops it.
        let same_nic = p.src_nic.unwrap_or(0) == p.dst_nic.unwrap_or(0);
        if from == to && (from == Zone::Host || matches!(from, Zone::Guest(_)) && same_nic) {
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
                if let ChainOutcome::Verdict(v, d) = self.guest_chain(id, false, p) {
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
                if let ChainOutcome::Verdict(v, d) = self.guest_chain(id, true, p) {
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
            let info = self.guest_info(id)?;
            let nic = Self::nic_of(p, inbound);
            if !g.enabled || !info.nic(nic).is_some_and(|n| n.firewall) {
                return None;
            }
            let chain = if inbound {
                &g.chains.inbound
            } else {
                &g.chains.outbound
            };
            let nic = nic_name(Self::nic_of(p, inbound));
            match self.walk(chain, inbound, &nic, p, 0) {
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
}
