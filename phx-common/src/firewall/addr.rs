//! Addresses as pve-firewall reads them in `-source`/`-dest`, aliases and
//! IP set entries.

use super::cidr4;
use ipnet::{IpNet, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

// Addresses are a few bytes: a plain loop finds a separator sooner than
// the substring searcher `str::split`/`contains` set up for a char.

/// Whether `s` holds the ASCII byte `b`.
pub fn has_byte(s: &str, b: u8) -> bool {
    s.bytes().any(|x| x == b)
}

/// `s.split_once(b)` for an ASCII byte.
pub fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|x| x == b)?;
    Some((&s[..i], &s[i + 1..]))
}

/// `s.split(b)` for an ASCII byte.
pub fn split_byte(s: &str, b: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_once_byte(r, b) {
            Some((item, more)) => {
                rest = Some(more);
                Some(item)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// An IP or a CIDR whose host bits are zero (`10.1.1.5/24` is refused, as Net::IP does).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    // IpAddr and IpNet try IPv4, then IPv6. Every IPv6 form has a ':' and
    // no IPv4 form has one, and only a CIDR has a '/': try just the form
    // the text can be (the same answers; 50,000 rules' CIDRs at scale).
    let v6 = has_byte(s, b':');
    if !has_byte(s, b'/') {
        let ip = if v6 {
            s.parse::<Ipv6Addr>().map(IpAddr::V6)
        } else {
            s.parse::<Ipv4Addr>().map(IpAddr::V4)
        };
        if let Ok(ip) = ip {
            return Ok(IpNet::from(ip));
        }
    }
    let net = if v6 {
        s.parse::<Ipv6Net>().ok().map(IpNet::V6)
    } else {
        cidr4::parse(s).map(IpNet::V4)
    };
    let net = net.ok_or_else(|| format!("{s:?} is not an IP address or CIDR"))?;
    if net.network() != net.addr() {
        return Err(format!(
            "{s:?} has host bits set; the network is {}",
            net.trunc()
        ));
    }
    Ok(net)
}

pub fn parse_addr(s: &str) -> Result<Addr, String> {
    let mut nets = Vec::with_capacity(1);
    Ok(match each_addr_net(s, |n| nets.push(n))? {
        AddrRef::List { .. } => Addr::List(nets),
        AddrRef::Range(a, b) => Addr::Range(a, b),
        AddrRef::Set(scope, name) => Addr::Set(scope, name.to_string()),
        AddrRef::Alias(scope, name) => Addr::Alias(scope, name.to_string()),
    })
}

/// An address as `parse_addr` reads it, borrowed from the text and without
/// a list's networks: checking 50,000 rules' addresses allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrRef<'a> {
    /// IPs and CIDRs, all IPv4 or all IPv6.
    List {
        v4: bool,
    },
    Range(IpAddr, IpAddr),
    Set(RefScope, &'a str),
    Alias(RefScope, &'a str),
}

/// `parse_addr` without collecting: what the address is, each network of
/// a list passed to `f` in order (also those before a problem).
pub fn each_addr_net(s: &str, mut f: impl FnMut(IpNet)) -> Result<AddrRef<'_>, String> {
    // Nearly every address is one IPv4 CIDR: only digits, '.' and '/', so
    // no set, scope, alias, range or list, and the reading below would come
    // to this same network. Anything else (host bits too) is read in full.
    if let Some(net) = cidr4::parse(s).filter(|n| n.network() == n.addr()) {
        f(IpNet::V4(net));
        return Ok(AddrRef::List { v4: true });
    }
    read_in_full(s, f)
}

/// `each_addr_net` for any address.
fn read_in_full(s: &str, mut f: impl FnMut(IpNet)) -> Result<AddrRef<'_>, String> {
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
        return Ok(AddrRef::Set(scope, name));
    }
    let (scope, name) = scoped(s);
    if scope != RefScope::Sdn
        && is_set_name(name)
        && !name.contains(':')
        && name.parse::<IpAddr>().is_err()
    {
        return Ok(AddrRef::Alias(scope, name));
    }
    if let Some((a, b)) = split_once_byte(s, b'-') {
        if has_byte(s, b',') {
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
        return Ok(AddrRef::Range(a, b));
    }
    // The first network's family is the list's.
    let mut v4 = None;
    for elem in split_byte(s, b',') {
        let net = parse_net(elem)?;
        let this = matches!(net, IpNet::V4(_));
        if *v4.get_or_insert(this) != this {
            return Err("one address family per list (no IPv4/IPv6 mixing)".into());
        }
        f(net);
    }
    // A split yields at least one element, so `v4` is set.
    Ok(AddrRef::List {
        v4: v4.unwrap_or(true),
    })
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

    #[test]
    fn byte_splits_split_as_str_does() {
        for s in [
            "",
            ",",
            "a",
            "a,b",
            ",a,",
            "a,,b",
            "10.0.0.1,10.0.0.2",
            "é,ü",
        ] {
            let want: Vec<&str> = s.split(',').collect();
            assert_eq!(split_byte(s, b',').collect::<Vec<_>>(), want, "{s:?}");
            assert_eq!(split_once_byte(s, b','), s.split_once(','), "{s:?}");
            assert_eq!(has_byte(s, b','), s.contains(','), "{s:?}");
        }
    }

    /// The IPv4 CIDR shortcut answers as the full reading does.
    #[test]
    fn the_cidr_shortcut_reads_as_the_full_reading() {
        fn read(s: &str, full: bool) -> (Result<AddrRef<'_>, String>, Vec<IpNet>) {
            let mut nets = Vec::new();
            let r = if full {
                read_in_full(s, |n| nets.push(n))
            } else {
                each_addr_net(s, |n| nets.push(n))
            };
            (r, nets)
        }
        for s in super::super::every_text::every_text("10.", b"0128./", 6) {
            assert_eq!(read(&s, false), read(&s, true), "{s:?}");
        }
    }

    /// parse_net tries only the form the text can be; it must answer as
    /// trying IpAddr, then IpNet (IPv4 first, then IPv6, each) does.
    #[test]
    fn parse_net_answers_as_trying_every_form() {
        let every_form = |s: &str| -> Option<IpNet> {
            match s.parse::<IpAddr>() {
                Ok(ip) => Some(IpNet::from(ip)),
                Err(_) => s.parse::<IpNet>().ok().filter(|n| n.network() == n.addr()),
            }
        };
        for s in [
            "10.0.0.1",
            "10.0.0.0/24",
            "10.0.0.1/24",
            "10.0.0.0/33",
            "10.0.0.0/",
            "/24",
            "10.0.0",
            "010.0.0.1",
            "256.0.0.1",
            "0.0.0.0/0",
            "fe80::1",
            "fe80::/10",
            "fe80::1/10",
            "::ffff:10.0.0.1",
            "::ffff:10.0.0.0/104",
            "::",
            "::/0",
            "fe80::1%eth0",
            "10.0.0.1:80",
            "a:b",
            "10.0.0.0/24/8",
            "",
        ] {
            assert_eq!(parse_net(s).ok(), every_form(s), "{s:?}");
        }
    }
}
