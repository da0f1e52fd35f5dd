//! The lockout guard's view of host IN: not one packet, but a whole set of
//! source addresses split by what host IN does with tcp to one port.

use super::compile::{in_ranges, tcp_port, Chain};
use super::values::Decider;
use super::{HostIn, Ruleset, Scope, HOST_IN, MGMT_IN};
use crate::ipv4set::Ipv4Set;
use phx_common::firewall::rule::{Target, Verdict};

impl Ruleset<'_> {
    /// Splits `sources` by what host IN does with tcp to `port` on the host
    /// address, for every source port: each part with its verdict and what
    /// decided. Rules limited to some source ports cannot be relied on to
    /// accept, and are taken to drop when they drop.
    pub fn host_in_partition(
        &self,
        port: u16,
        sources: &Ipv4Set,
    ) -> Vec<(Ipv4Set, Verdict, Decider)> {
        if let Scope::HostInTcp(ports) = &self.scope {
            assert!(
                ports.contains(&port),
                "tcp/{port} is not among the ports this ruleset was built for"
            );
        }
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
        if let Some(d) = self.host_unfiltered() {
            return vec![(sources.clone(), Verdict::Accept, d)];
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
                // A broadcast or multicast address opens no TCP connection:
                // the guard does not ask about such sources.
                HostIn::Smurfs => {}
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
                    for f in self.host.iter().chain([c]) {
                        self.partition_chain(&f.chains.inbound, port, &mut rest, &mut out, 0)
                    }
                }
                HostIn::Management if in_ranges(MGMT_IN, port) => take(
                    &mut rest,
                    &mut out,
                    &self.management,
                    Verdict::Accept,
                    self.management_accept(),
                ),
                HostIn::Management => {}
                // Only tcp is asked about; corosync is udp.
                HostIn::Corosync => {}
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
                        r.matches.iter().filter_map(|x| tcp_port(x, port)).collect();
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
