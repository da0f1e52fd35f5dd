//! Reading a query: zones and addresses by name, protocols by name.

use super::values::{Answer, Packet, Zone};
use super::Ruleset;
use phx_common::firewall::tables;
use std::net::Ipv4Addr;

/// Parses `host`, `outside`, `vmN`/`ctN`/`N` or an IPv4 address into a zone and
/// an address (defaults for outside like pve-firewall simulate).
pub fn resolve_endpoint(
    rs: &Ruleset,
    s: &str,
    is_source: bool,
) -> Result<(Zone, Ipv4Addr), String> {
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        return Ok((rs.zone_of(ip), ip));
    }
    match s {
        "host" => return Ok((Zone::Host, rs.topo.host_ip)),
        "outside" => {
            return Ok((
                Zone::Outside,
                if is_source {
                    Ipv4Addr::new(100, 100, 1, 2)
                } else {
                    Ipv4Addr::new(100, 200, 3, 4)
                },
            ))
        }
        _ => {}
    }
    let digits = s
        .strip_prefix("vm")
        .or_else(|| s.strip_prefix("ct"))
        .unwrap_or(s);
    let id: u32 = digits.parse().map_err(|_| {
        format!("{s:?}: expected host, outside, vmN, ctN, a guest ID or an IPv4 address")
    })?;
    let g = rs
        .topo
        .guests
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| format!("{s:?}: no guest {id} in the configuration"))?;
    let ip = g
        .ip
        .ok_or_else(|| format!("{s:?}: guest {id} has no static IPv4 address to simulate with"))?;
    Ok((Zone::Guest(id), ip))
}

/// A protocol for a query: tcp, udp, icmp, or any /etc/protocols name/number.
pub fn query_proto(s: &str) -> Result<u8, String> {
    tables::protocol(s).ok_or_else(|| {
        format!("{s:?}: expected tcp, udp, icmp or another /etc/protocols name or number")
    })
}

/// One question as the operator words it: endpoints by name, protocol by name.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub proto: &'a str,
    pub dport: Option<u16>,
    pub sport: Option<u16>,
    pub icmp_type: Option<&'a str>,
}

impl Query<'_> {
    /// The packet this query describes, and the zones it travels between.
    pub fn packet(&self, rs: &Ruleset) -> Result<(Zone, Zone, Packet), String> {
        let (fz, fip) = resolve_endpoint(rs, self.from, true)?;
        let (tz, tip) = resolve_endpoint(rs, self.to, false)?;
        if fz == Zone::Outside && tz == Zone::Outside {
            return Err(format!(
                "{} → {}: neither end is this host or one of its guests",
                self.from, self.to
            ));
        }
        let proto = query_proto(self.proto)?;
        let icmp_type =
            (proto == tables::ICMP).then(|| self.icmp_type.unwrap_or("echo-request").to_string());
        let p = Packet {
            src: fip,
            dst: tip,
            proto,
            dport: self.dport,
            sport: self.sport,
            icmp_type,
        };
        Ok((fz, tz, p))
    }

    /// Evaluates the query: the answer and the packet that was simulated.
    pub fn run(&self, rs: &Ruleset) -> Result<(Answer, Packet), String> {
        let (fz, tz, p) = self.packet(rs)?;
        Ok((rs.simulate(fz, tz, &p), p))
    }
}

/// One line of a `--batch` file: `FROM TO PROTO [DPORT [SPORT]]`, `-` for
/// no port. Blank and `#` lines are None.
pub fn batch_line(line: &str) -> Result<Option<Query<'_>>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let w: Vec<&str> = line.split_whitespace().collect();
    if w.len() < 3 || w.len() > 5 {
        return Err("expected FROM TO PROTO [DPORT [SPORT]]".into());
    }
    let port = |k: usize| -> Result<Option<u16>, String> {
        match w.get(k) {
            None | Some(&"-") => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| format!("{s:?} is not a port")),
        }
    };
    Ok(Some(Query {
        from: w[0],
        to: w[1],
        proto: w[2],
        dport: port(3)?,
        sport: port(4)?,
        icmp_type: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_lines() {
        assert!(batch_line("  # note").unwrap().is_none());
        assert!(batch_line("").unwrap().is_none());
        let q = batch_line("ct102 host tcp - 40000").unwrap().unwrap();
        assert_eq!((q.from, q.to, q.proto), ("ct102", "host", "tcp"));
        assert_eq!((q.dport, q.sport), (None, Some(40000)));
        assert!(batch_line("a b").is_err());
        assert!(batch_line("a b tcp 1 2 3").is_err());
        assert!(batch_line("a b tcp 70000")
            .unwrap_err()
            .contains("not a port"));
    }
}
