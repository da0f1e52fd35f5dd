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
    let mut out = Vec::with_capacity(1);
    each_port_range(s, |a, b| out.push((a, b)))?;
    Ok(out)
}

/// `port_spec` without collecting the ranges (checking a value, or asking
/// whether it names a port): each range in order, then whether the whole
/// value is valid. Ranges seen before a problem are still passed to `f`.
pub fn each_port_range(s: &str, mut f: impl FnMut(u16, u16)) -> Result<(), String> {
    // Most values are one port number: what the loop below makes of them.
    if let Some(n) = port_number(s) {
        f(n, n);
        return Ok(());
    }
    let mut count = 0;
    for item in addr::split_byte(s, b',') {
        if let Some((a, b)) = addr::split_once_byte(item, b':') {
            let (a, b) = match (port_number(a), port_number(b)) {
                (Some(a), Some(b)) => (a, b),
                _ => return Err(format!("{item:?} is not a range of port numbers a:b")),
            };
            if a > b {
                return Err(format!("{item:?}: the range's start is above its end"));
            }
            count += 2;
            f(a, b);
        } else if let Some(n) = port_number(item) {
            count += 1;
            f(n, n);
        } else if let Some(n) = tables::service(item) {
            count += 1;
            f(n, n);
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
    Ok(())
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
        return (Some(m), &r.action);
    }
    if let Some(inner) = r.action.strip_suffix(')') {
        if let Some((m, a)) = inner.split_once('(') {
            return (Some(m), a);
        }
    }
    (None, &r.action)
}

/// What a matching packet gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Verdict(Verdict),
    /// `GROUP name`: jump to the security group's chain.
    Group(String),
}

/// What an ICMP condition matches: `any`, a type (every code), or one
/// type and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpMatch {
    Any,
    Type(u8),
    TypeCode(u8, u8),
}

impl IcmpMatch {
    /// An iptables ICMP type: `any`, a name of the family's table, `N` or `N/C`.
    pub fn parse(v6: bool, s: &str) -> Result<IcmpMatch, String> {
        if s == "any" {
            return Ok(IcmpMatch::Any);
        }
        if let Some((t, c)) = numeric_icmp(s) {
            return Ok(c.map_or(IcmpMatch::Type(t), |c| IcmpMatch::TypeCode(t, c)));
        }
        match tables::icmp_type(v6, s) {
            Some((t, None)) => Ok(IcmpMatch::Type(t)),
            Some((t, Some(c))) => Ok(IcmpMatch::TypeCode(t, c)),
            None => Err(format!(
                "{s:?} is not an {} type name or number",
                if v6 { "ICMPv6" } else { "ICMP" }
            )),
        }
    }

    pub fn matches(self, ty: u8, code: u8) -> bool {
        match self {
            IcmpMatch::Any => true,
            IcmpMatch::Type(t) => t == ty,
            IcmpMatch::TypeCode(t, c) => t == ty && c == code,
        }
    }
}

/// `N` or `N/C`, each 0-255.
fn numeric_icmp(s: &str) -> Option<(u8, Option<u8>)> {
    let byte = |x: &str| {
        (!x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<u8>().ok())
            .flatten()
    };
    match s.split_once('/') {
        Some((t, c)) => Some((byte(t)?, Some(byte(c)?))),
        None => Some((byte(s)?, None)),
    }
}

/// The type and code of an IPv4 ICMP packet named in a query: a name
/// (a type-level name means code 0), `N` or `N/C`.
pub fn packet_icmp(s: &str) -> Option<(u8, u8)> {
    if let Some((t, c)) = numeric_icmp(s) {
        return Some((t, c.unwrap_or(0)));
    }
    tables::icmp_type(false, s).map(|(t, c)| (t, c.unwrap_or(0)))
}

/// One set of protocol conditions; a rule matches if any of its sets does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// None: every protocol.
    pub proto: Option<u8>,
    pub dport: Option<PortRanges>,
    pub sport: Option<PortRanges>,
    pub icmp: Option<IcmpMatch>,
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
            Target::Group(r.action.to_string())
        } else {
            Target::Verdict(
                Verdict::parse(verdict).ok_or_else(|| format!("{verdict:?}: not a verdict"))?,
            )
        };
        let matches = match mac {
            Some(m) => macro_matches(m, r)?,
            None => vec![plain_match(
                r.proto.as_deref(),
                r.dport.as_deref(),
                r.sport.as_deref(),
                r.icmp_type.as_deref(),
            )?],
        };
        let address = |v: &Option<Box<str>>| v.as_deref().map(addr::parse_addr).transpose();
        Ok(Rule {
            direction,
            target,
            iface: r.iface.as_deref().map(str::to_string),
            source: address(&r.source)?,
            dest: address(&r.dest)?,
            matches,
        })
    }
}

/// A macro's lines with the rule's own values filled in where a line leaves
/// them open; a value the line fixes differently is an error, as in
/// pve-firewall's `$apply_macro` ("parameter already defined in macro").
fn macro_matches(name: &str, r: &FwRule) -> Result<Vec<Match>, String> {
    let (_, lines) =
        tables::lookup_macro(name).ok_or_else(|| format!("{name:?}: no such macro"))?;
    let merge = |field: &str, own: Option<&'static str>, rule: &Option<Box<str>>| match (
        own,
        rule.as_deref(),
    ) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "{field} {b:?}: the macro {name} already defines it as {a:?}"
        )),
        (Some(a), _) => Ok(Some(a.to_string())),
        (None, b) => Ok(b.map(str::to_string)),
    };
    lines
        .iter()
        .map(|l| {
            let proto = merge("proto", Some(l.proto), &r.proto)?;
            let dport = merge("dport", l.dport, &r.dport)?;
            let sport = merge("sport", l.sport, &r.sport)?;
            plain_match(
                proto.as_deref(),
                dport.as_deref(),
                sport.as_deref(),
                r.icmp_type.as_deref(),
            )
        })
        .collect()
}

/// Protocol, ports and ICMP type as pve-firewall compiles them
/// (`verify_rule`, `ipt_rule_to_cmds`): ports need a protocol that has
/// them; with `-p icmp`/`-p icmpv6`, `-dport` carries the ICMP type.
fn plain_match(
    proto_name: Option<&str>,
    dport: Option<&str>,
    sport: Option<&str>,
    icmp_type: Option<&str>,
) -> Result<Match, String> {
    let Some(pname) = proto_name else {
        if let Some(d) = dport.or(sport) {
            return Err(format!("port {d:?}, but no protocol specified"));
        }
        if let Some(t) = icmp_type {
            return Err(format!("icmp type {t:?}, but no protocol specified"));
        }
        return Ok(Match {
            proto: None,
            dport: None,
            sport: None,
            icmp: None,
        });
    };
    let number = tables::protocol(pname).ok_or_else(|| format!("{pname:?}: no such protocol"))?;
    let has_ports = tables::PROTOCOLS_WITH_PORTS.contains(&number);
    let icmp_in_dport = match pname {
        "icmp" => Some(false),
        "icmpv6" => Some(true),
        _ => None,
    };
    let (dport, mut icmp) = match (dport, icmp_in_dport) {
        (Some(d), Some(v6)) => (None, Some(IcmpMatch::parse(v6, d)?)),
        (Some(d), None) if has_ports => (Some(port_spec(d)?), None),
        (Some(_), None) => return Err(format!("protocol {pname:?} does not have ports")),
        (None, _) => (None, None),
    };
    let sport = match sport {
        Some(s) if has_ports => Some(port_spec(s)?),
        Some(_) => return Err(format!("protocol {pname:?} does not have ports")),
        None => None,
    };
    if let Some(t) = icmp_type {
        if icmp.is_some() {
            return Err("an ICMP type both in -dport and -icmp-type".into());
        }
        icmp = match number {
            tables::ICMP => Some(IcmpMatch::parse(false, t)?),
            tables::ICMPV6 => Some(IcmpMatch::parse(true, t)?),
            _ => return Err(format!("icmp type {t:?} with protocol {pname:?}")),
        };
    }
    // Protocol 0 (`ip`, `hopopt`) is "every protocol" to iptables.
    Ok(Match {
        proto: Some(number).filter(|n| *n != 0),
        dport,
        sport,
        icmp,
    })
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
