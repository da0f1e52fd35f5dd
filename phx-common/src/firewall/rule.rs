//! A firewall rule parsed once into typed values. `FwRule` keeps the strings
//! the operator wrote (for messages and for writing them back); `Rule` is
//! what they mean to pve-firewall: a direction, a verdict or a group to jump
//! to, and the packets it matches. The field parsers here are the ones the
//! checker reports with, so checking and simulating cannot disagree on what
//! a value means.

use super::addr::{self, Addr};
use super::tables;
use crate::config::FwRule;
use std::fmt;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Forward,
    Group,
}

impl Direction {
    /// `in`, `out`, `forward` or `group`, as `FwRule` keeps them.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            "forward" => Some(Direction::Forward),
            "group" => Some(Direction::Group),
            _ => None,
        }
    }
}

/// Inclusive port ranges (`22` is `(22, 22)`).
pub type PortRanges = Vec<(u16, u16)>;

/// A decimal port number as pve-firewall reads one: digits only, 0-65535.
pub fn port_number(s: &str) -> Option<u16> {
    (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u16>().ok())
        .flatten()
}

/// `-dport`/`-sport`: numbers, `/etc/services` names, `a:b` ranges, comma lists, ≤15 "numbers".
pub fn port_spec(s: &str) -> Result<PortRanges, String> {
    let mut out = Vec::new();
    let mut count = 0;
    for item in s.split(',') {
        if let Some((a, b)) = item.split_once(':') {
            let (a, b) = match (port_number(a), port_number(b)) {
                (Some(a), Some(b)) => (a, b),
                _ => return Err(format!("{item:?} is not a range of port numbers a:b")),
            };
            if a > b {
                return Err(format!("{item:?}: the range's start is above its end"));
            }
            count += 2;
            out.push((a, b));
        } else if let Some(n) = port_number(item) {
            count += 1;
            out.push((n, n));
        } else if let Some(n) = tables::service(item) {
            count += 1;
            out.push((n, n));
        } else {
            return Err(format!(
                "{item:?} is not a port number (0-65535) or an /etc/services name"
            ));
        }
    }
    if count > 15 {
        return Err(format!(
            "{count} ports counted; at most 15 (a range counts 2)"
        ));
    }
    Ok(out)
}

/// Host/cluster `-i`: `^[a-z][a-z0-9_]{1,20}([:.]\d+)?$`, case-insensitive.
pub fn is_host_iface(s: &str) -> bool {
    let (base, suffix) = match s.find([':', '.']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let b = base.as_bytes();
    let base_ok = (2..=21).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    base_ok && suffix.is_none_or(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

/// Guest `-i`: `netN`.
pub fn is_guest_iface(s: &str) -> bool {
    s.strip_prefix("net")
        .is_some_and(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|c| c.is_ascii_digit()))
}

/// Splits `SSH(ACCEPT)` into macro and verdict.
pub fn split_action(r: &FwRule) -> (Option<&str>, &str) {
    if let Some(m) = &r.macro_name {
        return (Some(m.as_str()), r.action.as_str());
    }
    if let Some(inner) = r.action.strip_suffix(')') {
        if let Some((m, a)) = inner.split_once('(') {
            return (Some(m), a);
        }
    }
    (None, r.action.as_str())
}

/// What a matching packet gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Verdict(Verdict),
    /// `GROUP name`: jump to the security group's chain.
    Group(String),
}

/// One set of protocol conditions; a rule matches if any of its sets does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// None: every protocol.
    pub proto: Option<u8>,
    pub dport: Option<PortRanges>,
    pub sport: Option<PortRanges>,
    /// ICMP type name (`any` matches all; `#N` a number with no name).
    pub icmp_type: Option<String>,
}

/// A rule as pve-firewall compiles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub target: Target,
    pub iface: Option<String>,
    pub source: Option<Addr>,
    pub dest: Option<Addr>,
    /// A macro has several lines, a plain rule one.
    pub matches: Vec<Match>,
}

impl Rule {
    /// The rule's meaning, or why pve-firewall would not compile it.
    pub fn parse(r: &FwRule) -> Result<Rule, String> {
        let direction = Direction::parse(&r.direction)
            .ok_or_else(|| format!("{:?}: not a direction", r.direction))?;
        let (mac, verdict) = split_action(r);
        let target = if direction == Direction::Group {
            Target::Group(r.action.clone())
        } else {
            Target::Verdict(
                Verdict::parse(verdict).ok_or_else(|| format!("{verdict:?}: not a verdict"))?,
            )
        };
        let matches = match mac {
            Some(m) => macro_matches(m)?,
            None => vec![plain_match(r)?],
        };
        let address = |v: &Option<String>| v.as_deref().map(addr::parse_addr).transpose();
        Ok(Rule {
            direction,
            target,
            iface: r.iface.clone(),
            source: address(&r.source)?,
            dest: address(&r.dest)?,
            matches,
        })
    }
}

fn macro_matches(name: &str) -> Result<Vec<Match>, String> {
    let (_, lines) =
        tables::lookup_macro(name).ok_or_else(|| format!("{name:?}: no such macro"))?;
    Ok(lines
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
        .collect())
}

fn plain_match(r: &FwRule) -> Result<Match, String> {
    // Protocol 0 (refused in Phoenix's JSON, possible in files read back)
    // is "every protocol" to iptables.
    let proto = match &r.proto {
        Some(p) => Some(tables::protocol(p).ok_or_else(|| format!("{p:?}: no such protocol"))?)
            .filter(|n| *n != 0),
        None => None,
    };
    let icmp_legacy = matches!(proto, Some(tables::ICMP) | Some(tables::ICMPV6));
    let (dport, icmp_type) = match (&r.dport, icmp_legacy) {
        // Legacy `-p icmp -dport N` (reference §1.4): ICMP type N, named so
        // packets can match it; a number without a type name (and any ICMPv6
        // number) matches no IPv4 packet.
        (Some(d), true) => {
            let name = d
                .parse::<u8>()
                .ok()
                .filter(|_| proto == Some(tables::ICMP))
                .and_then(tables::icmp_type_name);
            (None, Some(name.map_or(format!("#{d}"), str::to_string)))
        }
        (Some(d), false) => (Some(port_spec(d)?), r.icmp_type.clone()),
        (None, _) => (None, r.icmp_type.clone()),
    };
    let sport = r.sport.as_deref().map(port_spec).transpose()?;
    Ok(Match {
        proto,
        dport,
        sport,
        icmp_type,
    })
}
