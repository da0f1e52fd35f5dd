//! Addresses as pve-firewall reads them in `-source`/`-dest`, aliases and
//! IP set entries.

use ipnet::IpNet;
use std::net::IpAddr;

/// `[A-Za-z][A-Za-z0-9_-]+`, at most 64 characters: alias and IP set names.
pub fn is_set_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

/// Where a `+set` or alias reference looks its name up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefScope {
    /// Unscoped: the guest first, then the cluster.
    Any,
    /// `dc/`: the cluster file.
    Dc,
    /// `guest/`: the guest's own file.
    Guest,
    /// `+sdn/`: SDN-generated sets.
    Sdn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    /// IPs and CIDRs (host bits zero), one family.
    List(Vec<IpNet>),
    /// `a-b`, one family, a ≤ b.
    Range(IpAddr, IpAddr),
    Set(RefScope, String),
    Alias(RefScope, String),
}

pub const ADDR_EXPECTED: &str = "an IP, a CIDR with host bits zero, a range a-b, a comma list of IPs/CIDRs of one family, +ipset or an alias name (no spaces)";

fn scoped(s: &str) -> (RefScope, &str) {
    if let Some(n) = s.strip_prefix("dc/") {
        (RefScope::Dc, n)
    } else if let Some(n) = s.strip_prefix("guest/") {
        (RefScope::Guest, n)
    } else if let Some(n) = s.strip_prefix("sdn/") {
        (RefScope::Sdn, n)
    } else {
        (RefScope::Any, s)
    }
}

/// An IP or a CIDR whose host bits are zero (`10.1.1.5/24` is refused, as Net::IP does).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = s
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address or CIDR"))?;
    if net.network() != net.addr() {
        return Err(format!(
            "{s:?} has host bits set; the network is {}",
            net.trunc()
        ));
    }
    Ok(net)
}

pub fn parse_addr(s: &str) -> Result<Addr, String> {
    if s.is_empty() {
        return Err("an empty address".into());
    }
    if let Some(rest) = s.strip_prefix('+') {
        let (scope, name) = scoped(rest);
        if !is_set_name(name) {
            return Err(format!(
                "{s:?}: an IP set name is [A-Za-z][A-Za-z0-9_-]+, at most 64 characters"
            ));
        }
        return Ok(Addr::Set(scope, name.to_string()));
    }
    let (scope, name) = scoped(s);
    if scope != RefScope::Sdn
        && is_set_name(name)
        && !name.contains(':')
        && name.parse::<IpAddr>().is_err()
    {
        return Ok(Addr::Alias(scope, name.to_string()));
    }
    if let Some((a, b)) = s.split_once('-') {
        if s.contains(',') {
            return Err("a range must be the only element (no lists with ranges)".into());
        }
        let (a, b) = match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(format!("{s:?} is not a range of two IP addresses")),
        };
        if a.is_ipv4() != b.is_ipv4() {
            return Err("a range within one address family".into());
        }
        if a > b {
            return Err(format!(
                "{s:?}: the range's first address is above its last"
            ));
        }
        return Ok(Addr::Range(a, b));
    }
    let mut out = Vec::new();
    for elem in s.split(',') {
        let net = parse_net(elem)?;
        if let Some(first) = out.first() {
            let f: &IpNet = first;
            if matches!(f, IpNet::V4(_)) != matches!(net, IpNet::V4(_)) {
                return Err("one address family per list (no IPv4/IPv6 mixing)".into());
            }
        }
        out.push(net);
    }
    Ok(Addr::List(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_of_addresses() {
        assert!(matches!(parse_addr("10.0.0.0/24"), Ok(Addr::List(_))));
        assert!(parse_addr("10.1.1.5/24").unwrap_err().contains("host bits"));
        assert!(matches!(
            parse_addr("10.0.0.1-10.0.0.9"),
            Ok(Addr::Range(..))
        ));
        assert!(parse_addr("10.0.0.9-10.0.0.1").is_err());
        assert!(parse_addr("10.0.0.1-10.0.0.9,10.0.1.1").is_err());
        assert!(parse_addr("10.0.0.1,fe80::1").is_err());
        assert_eq!(
            parse_addr("+dc/management"),
            Ok(Addr::Set(RefScope::Dc, "management".into()))
        );
        assert_eq!(
            parse_addr("guest/web"),
            Ok(Addr::Alias(RefScope::Guest, "web".into()))
        );
        assert!(parse_addr("10.0.0.0/24 -j ACCEPT").is_err());
        assert!(parse_addr("10.0.0.0/24,").is_err());
        assert!(parse_addr("").is_err());
    }
}
