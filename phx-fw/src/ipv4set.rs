//! Sets of IPv4 addresses as sorted intervals: what a rule's `-source` or
//! `-dest` covers once aliases and IP sets are resolved, for matching packets
//! and for the lockout analysis.

use ipnet::IpNet;
use std::net::Ipv4Addr;

/// A set of IPv4 addresses as sorted, disjoint, non-adjacent inclusive intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ipv4Set(Vec<(u32, u32)>);

impl Ipv4Set {
    pub fn empty() -> Self {
        Ipv4Set(Vec::new())
    }
    pub fn full() -> Self {
        Ipv4Set(vec![(0, u32::MAX)])
    }
    pub fn from_range(a: u32, b: u32) -> Self {
        Ipv4Set(vec![(a, b)])
    }
    pub fn single(ip: Ipv4Addr) -> Self {
        let n = u32::from(ip);
        Ipv4Set(vec![(n, n)])
    }
    pub fn from_net(net: &ipnet::Ipv4Net) -> Self {
        Ipv4Set(vec![(u32::from(net.network()), u32::from(net.broadcast()))])
    }
    fn from_unsorted(mut v: Vec<(u32, u32)>) -> Self {
        v.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Ipv4Set(out)
    }
    /// The IPv4 part of IP/CIDR entries; IPv6 entries contribute nothing.
    pub fn from_nets<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> Self {
        Self::from_unsorted(
            nets.into_iter()
                .filter_map(|n| match n {
                    IpNet::V4(n) => Some((u32::from(n.network()), u32::from(n.broadcast()))),
                    IpNet::V6(_) => None,
                })
                .collect(),
        )
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn contains(&self, ip: u32) -> bool {
        // First interval whose end is >= ip.
        let i = self.0.partition_point(|(_, b)| *b < ip);
        i < self.0.len() && self.0[i].0 <= ip
    }
    pub fn union(&self, o: &Ipv4Set) -> Ipv4Set {
        Self::from_unsorted(self.0.iter().chain(o.0.iter()).copied().collect())
    }
    pub fn intersect(&self, o: &Ipv4Set) -> Ipv4Set {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.0.len() && j < o.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = o.0[j];
            let (a, b) = (a1.max(a2), b1.min(b2));
            if a <= b {
                out.push((a, b));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Ipv4Set(out)
    }
    pub fn complement(&self) -> Ipv4Set {
        let mut out = Vec::new();
        let mut next: u64 = 0;
        for (a, b) in &self.0 {
            if (*a as u64) > next {
                out.push((next as u32, a - 1));
            }
            next = *b as u64 + 1;
        }
        if next <= u32::MAX as u64 {
            out.push((next as u32, u32::MAX));
        }
        Ipv4Set(out)
    }
    pub fn minus(&self, o: &Ipv4Set) -> Ipv4Set {
        self.intersect(&o.complement())
    }
    /// Human form: CIDRs where intervals align, `a-b` otherwise; a few shown.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (a, b) in self.0.iter().take(4) {
            let span = (*b as u64) - (*a as u64) + 1;
            let (ia, ib) = (Ipv4Addr::from(*a), Ipv4Addr::from(*b));
            if a == b {
                parts.push(ia.to_string());
            } else if span.is_power_of_two() && (*a as u64).is_multiple_of(span) {
                parts.push(format!("{ia}/{}", 32 - span.trailing_zeros()));
            } else {
                parts.push(format!("{ia}-{ib}"));
            }
        }
        if self.0.len() > 4 {
            parts.push(format!("… ({} ranges)", self.0.len()));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_arithmetic() {
        let a = Ipv4Set::from_net(&"10.0.0.0/24".parse().unwrap());
        let b = Ipv4Set::from_net(&"10.0.0.128/25".parse().unwrap());
        let d = a.minus(&b);
        assert_eq!(d.describe(), "10.0.0.0/25");
        assert!(d.contains(u32::from(Ipv4Addr::new(10, 0, 0, 127))));
        assert!(!d.contains(u32::from(Ipv4Addr::new(10, 0, 0, 128))));
        assert_eq!(a.union(&b), a);
        assert_eq!(Ipv4Set::full().complement(), Ipv4Set::empty());
        assert_eq!(Ipv4Set::empty().complement(), Ipv4Set::full());
    }
}
