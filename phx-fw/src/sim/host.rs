//! The host's own chains (enable_host_firewall): host IN and OUT with
//! host.fw's rules before cluster.fw's, the management and corosync
//! accepts, and the policy.

use super::compile::{in_ranges, Chain, FileRules};
use super::values::{Decider, DstType, Packet};
use super::{HostIn, Ruleset, COROSYNC, HOST_IN, MGMT_IN, MGMT_OUT};
use phx_common::firewall::rule::Verdict;
use phx_common::firewall::tables;

impl Ruleset<'_> {
    /// host.fw's rules, then cluster.fw's: "add host rules first, so that
    /// cluster wide rules can be overwritten" (enable_host_firewall).
    fn host_rules(&self, inbound: bool, c: &FileRules, p: &Packet) -> Option<(Verdict, Decider)> {
        fn chain(f: &FileRules, inbound: bool) -> &Chain {
            if inbound {
                &f.chains.inbound
            } else {
                &f.chains.outbound
            }
        }
        let iface = p.host_iface.as_deref().unwrap_or(&self.topo.bridge);
        self.host
            .as_ref()
            .and_then(|h| self.walk(chain(h, inbound), inbound, iface, p, 0))
            .or_else(|| self.walk(chain(c, inbound), inbound, iface, p, 0))
    }

    /// Corosync: multicast when totem's transport is udp, and between this
    /// node's ring address and another node's on the same link
    /// (enable_host_firewall's corosync rules): IN from a peer to us, OUT
    /// from us to a peer.
    fn corosync(&self, p: &Packet, inbound: bool) -> Option<(Verdict, Decider)> {
        let port = p
            .dport
            .is_some_and(|d| (COROSYNC.0..=COROSYNC.1).contains(&d));
        if p.proto != tables::UDP || !port {
            return None;
        }
        // Before the per-peer rules, from and to anyone: `-m addrtype
        // --dst-type MULTICAST -p udp --dport 5404:5405` when totem's
        // transport is udp (pve-firewall src/PVE/Firewall.pm:2960 IN, :3062 OUT).
        if self.topo.corosync_multicast && p.dst_type() == DstType::Multicast {
            return Some((
                Verdict::Accept,
                Decider::Implicit(format!(
                    "host {} accepts multicast corosync (udp 5404:5405; /etc/pve/corosync.conf totem transport: udp)",
                    if inbound { "IN" } else { "OUT" }
                )),
            ));
        }
        let (peer, ours) = if inbound {
            (p.src, p.dst)
        } else {
            (p.dst, p.src)
        };
        let rings = &self.topo.corosync;
        let hit = rings.iter().any(|(link, local, ip)| {
            !local
                && *ip == peer
                && rings
                    .iter()
                    .any(|(l, loc, mine)| *loc && l == link && *mine == ours)
        });
        hit.then(|| {
            (
                Verdict::Accept,
                Decider::Implicit(format!(
                    "host {} accepts corosync (udp 5404:5405) with another node's ring address (/etc/pve/corosync.conf)",
                    if inbound { "IN" } else { "OUT" }
                )),
            )
        })
    }

    /// When host.fw says `enable: 0`, pve-firewall builds no host chains.
    pub(super) fn host_unfiltered(&self) -> Option<Decider> {
        let h = self.host.as_ref().filter(|h| !h.enabled)?;
        Some(Decider::Disabled(format!(
            "{}: enable: 0 (the host is not filtered)",
            self.docs[h.doc].file
        )))
    }

    pub(super) fn host_in(&self, c: &FileRules, p: &Packet) -> (Verdict, Decider) {
        if let Some(d) = self.host_unfiltered() {
            return (Verdict::Accept, d);
        }
        let src = u32::from(p.src);
        for stage in HOST_IN {
            let hit = match stage {
                HostIn::Smurfs => self.smurf(p),
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
                HostIn::Rules => self.host_rules(true, c, p),
                HostIn::Management => (p.proto == tables::TCP
                    && p.dport.is_some_and(|d| in_ranges(MGMT_IN, d))
                    && self.management.contains(src))
                .then(|| (Verdict::Accept, self.management_accept())),
                HostIn::Corosync => self.corosync(p, true),
            };
            if let Some(hit) = hit {
                return hit;
            }
        }
        self.policy(&self.docs[c.doc].file, "policy_in", c.policy_in, p)
    }

    pub(super) fn host_out(&self, c: &FileRules, p: &Packet) -> (Verdict, Decider) {
        if let Some(d) = self.host_unfiltered() {
            return (Verdict::Accept, d);
        }
        let file = &self.docs[c.doc].file;
        if let Some(hit) = self.host_rules(false, c, p) {
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
        if let Some(hit) = self.corosync(p, false) {
            return hit;
        }
        self.policy(file, "policy_out", c.policy_out, p)
    }
}
