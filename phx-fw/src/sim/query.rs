//! Reading a query: zones and addresses by name, protocols by name, the
//! fields of FirewallSimulator's test packet (source, dest, dport, sport,
//! dsttype) plus the NIC or host interface, and `--batch` lines.

use super::values::{Answer, DstType, Packet, Zone};
use super::Ruleset;
use phx_common::firewall::rule::packet_icmp;
use phx_common::firewall::tables;
use std::net::Ipv4Addr;

/// One end of a query: its zone, default address and, for a guest, the NIC
/// named in it (`vm101i1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub zone: Zone,
    pub ip: Ipv4Addr,
    pub nic: Option<u8>,
    /// `nfvm` or `BRIDGE/PORT`: a bridge port without firewall.
    pub unfiltered_port: bool,
    /// `BRIDGE/PORT`: the bridge, which host rules see as the interface.
    pub bridge: Option<String>,
}

/// Parses `host`, `outside`, `vmN`/`ctN`/`N` or an IPv4 address into a zone and
/// an address (defaults for outside like pve-firewall simulate).
pub fn resolve_endpoint(
    rs: &Ruleset,
    s: &str,
    is_source: bool,
) -> Result<(Zone, Ipv4Addr), String> {
    endpoint(rs, s, is_source).map(|e| (e.zone, e.ip))
}

/// `host`, `outside`, `nfvm`, `vmN`/`ctN`/`N`, `vmNiM` (NIC M), or an IPv4
/// address (the host's, a guest's, or any other = outside).
pub fn endpoint(rs: &Ruleset, s: &str, is_source: bool) -> Result<Endpoint, String> {
    let at = |zone, ip, nic| Endpoint {
        zone,
        ip,
        nic,
        unfiltered_port: false,
        bridge: None,
    };
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        let (zone, nic) = rs.zone_nic_of(ip);
        return Ok(at(zone, ip, nic));
    }
    // FirewallSimulator's defaults for a packet from/to a bridge port.
    let outside_ip = if is_source {
        Ipv4Addr::new(100, 100, 1, 2)
    } else {
        Ipv4Addr::new(100, 200, 3, 4)
    };
    match s {
        "host" => return Ok(at(Zone::Host, rs.topo.host_ip, None)),
        "outside" => return Ok(at(Zone::Outside, outside_ip, None)),
        "nfvm" => {
            return Ok(Endpoint {
                unfiltered_port: true,
                ..at(Zone::Outside, outside_ip, None)
            })
        }
        _ => {}
    }
    // FirewallSimulator's `vmbrN/PORT`: a port of that bridge (outside is vmbr0/eth0).
    if let Some((bridge, port)) = s.split_once('/') {
        if bridge.starts_with("vmbr") && !port.is_empty() {
            return Ok(Endpoint {
                unfiltered_port: true,
                bridge: Some(bridge.to_string()),
                ..at(Zone::Outside, outside_ip, None)
            });
        }
    }
    let bare = s
        .strip_prefix("vm")
        .or_else(|| s.strip_prefix("ct"))
        .unwrap_or(s);
    let (digits, nic) = match bare.split_once('i') {
        Some((d, n)) => (d, Some(n)),
        None => (bare, None),
    };
    let bad = || {
        format!("{s:?}: expected host, outside, nfvm, vmbrN/PORT, vmN, ctN, vmNiM (NIC M), a guest ID or an IPv4 address")
    };
    let id: u32 = digits.parse().map_err(|_| bad())?;
    let nic: Option<u8> = nic.map(|n| n.parse().map_err(|_| bad())).transpose()?;
    let g = rs
        .guest_info(id)
        .ok_or_else(|| format!("{s:?}: no guest {id} in the configuration"))?;
    let ip = g
        .nic(nic.unwrap_or(0))
        .ok_or_else(|| format!("{s:?}: guest {id} has no net{}", nic.unwrap_or(0)))?
        .ip;
    let ip =
        ip.ok_or_else(|| format!("{s:?}: guest {id} has no static IPv4 address to simulate with"))?;
    Ok(at(Zone::Guest(id), ip, nic))
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
    /// The source address, when not the sender's own (a spoofed one).
    pub source: Option<Ipv4Addr>,
    /// The destination address, when not the receiver's default.
    pub dest: Option<Ipv4Addr>,
    /// `netN` for the guest end, or a host interface for the host end.
    pub iface: Option<&'a str>,
    /// unicast, multicast, broadcast, anycast or local.
    pub dsttype: Option<&'a str>,
    /// The source MAC a guest sends from, when not its NIC's own (macfilter).
    pub source_mac: Option<&'a str>,
}

impl Query<'_> {
    /// The packet this query describes, and the zones it travels between.
    pub fn packet(&self, rs: &Ruleset) -> Result<(Zone, Zone, Packet), String> {
        let from = endpoint(rs, self.from, true)?;
        let to = endpoint(rs, self.to, false)?;
        if from.zone == Zone::Outside
            && to.zone == Zone::Outside
            && !(from.unfiltered_port || to.unfiltered_port)
        {
            return Err(format!(
                "{} → {}: neither end is this host or one of its guests",
                self.from, self.to
            ));
        }
        let proto = query_proto(self.proto)?;
        let icmp_type =
            (proto == tables::ICMP).then(|| self.icmp_type.unwrap_or("echo-request").to_string());
        if let Some(t) = &icmp_type {
            packet_icmp(t).ok_or_else(|| {
                format!("{t:?}: expected an ICMP type name (echo-request, host-unreachable, …), N or N/C")
            })?;
        }
        let dsttype = self
            .dsttype
            .map(|d| {
                DstType::parse(d).ok_or_else(|| {
                    format!("{d:?}: expected unicast, multicast, broadcast, anycast or local")
                })
            })
            .transpose()?;
        let mut p = Packet {
            src: self.source.unwrap_or(from.ip),
            dst: self.dest.unwrap_or(to.ip),
            proto,
            dport: self.dport,
            sport: self.sport,
            icmp_type,
            src_nic: from.nic,
            dst_nic: to.nic,
            host_iface: None,
            dsttype,
            src_mac: None,
        };
        // A packet from or to a bridge port crosses the host on that bridge.
        p.host_iface = from.bridge.clone().or(to.bridge.clone());
        if let Some(i) = self.iface {
            self.apply_iface(i, &from, &to, &mut p)?;
        }
        // Between the host and a guest, host rules see the guest NIC's bridge
        // (None stands for the node's own bridge, so that one is not copied).
        if p.host_iface.is_none() {
            let guest_bridge = |z: Zone, nic: Option<u8>| match z {
                Zone::Guest(id) => {
                    let b = rs.guest_info(id)?.nic(nic.unwrap_or(0))?.bridge.as_ref()?;
                    (*b != rs.topo.bridge).then(|| b.clone())
                }
                _ => None,
            };
            p.host_iface = match (from.zone, to.zone) {
                (Zone::Host, z) => guest_bridge(z, p.dst_nic),
                (z, Zone::Host) => guest_bridge(z, p.src_nic),
                _ => None,
            };
        }
        if let Some(m) = self.source_mac {
            p.src_mac = Some(self.sender_mac(rs, m, from.zone, p.src_nic)?);
        }
        Ok((from.zone, to.zone, p))
    }

    /// `--source-mac`: a MAC, sent by a guest NIC whose own MAC is known
    /// (from `mac_address` or its conf), since only then can macfilter decide.
    fn sender_mac(
        &self,
        rs: &Ruleset,
        m: &str,
        from: Zone,
        nic: Option<u8>,
    ) -> Result<String, String> {
        let hex = m.split(':').count() == 6
            && m.split(':')
                .all(|x| x.len() == 2 && x.bytes().all(|b| b.is_ascii_hexdigit()));
        if !hex {
            return Err(format!(
                "--source-mac {m:?}: expected a MAC address (six hex pairs separated by ':')"
            ));
        }
        let Zone::Guest(id) = from else {
            return Err(format!(
                "--source-mac {m}: only a guest's OUT chain checks the source MAC (macfilter); the sender is not a guest"
            ));
        };
        let n = nic.unwrap_or(0);
        let known = rs
            .guest_info(id)
            .and_then(|g| g.nic(n))
            .is_some_and(|x| x.mac.is_some());
        if !known {
            return Err(format!(
                "--source-mac {m}: guest {id} net{n} has no MAC in the configuration (mac_address) or its conf, so its MAC filter cannot be simulated"
            ));
        }
        Ok(m.to_ascii_uppercase())
    }

    /// `--iface netN` names the guest end's NIC, anything else the host's interface.
    fn apply_iface(
        &self,
        i: &str,
        from: &Endpoint,
        to: &Endpoint,
        p: &mut Packet,
    ) -> Result<(), String> {
        let guest = |e: &Endpoint| matches!(e.zone, Zone::Guest(_));
        if let Some(n) = i.strip_prefix("net").and_then(|n| n.parse::<u8>().ok()) {
            match (guest(from), guest(to)) {
                (true, false) => p.src_nic = Some(n),
                (false, true) => p.dst_nic = Some(n),
                (true, true) => {
                    return Err(format!(
                        "--iface {i}: both ends are guests; name the NICs as vmNiM instead"
                    ))
                }
                (false, false) => return Err(format!("--iface {i}: no guest end")),
            }
        } else if from.zone == Zone::Host || to.zone == Zone::Host {
            p.host_iface = Some(i.to_string());
        } else {
            return Err(format!("--iface {i:?}: expected netN for a guest end"));
        }
        Ok(())
    }

    /// Evaluates the query: the answer and the packet that was simulated.
    pub fn run(&self, rs: &Ruleset) -> Result<(Answer, Packet), String> {
        let (fz, tz, p) = self.packet(rs)?;
        Ok((rs.simulate(fz, tz, &p), p))
    }
}

/// One line of a `--batch` file: `FROM TO PROTO [DPORT [SPORT]] [KEY=VALUE…]`,
/// `-` for no port; keys source, dest, iface, icmp-type, dsttype,
/// source-mac, dport, sport. Blank and `#` lines are None.
pub fn batch_line(line: &str) -> Result<Option<Query<'_>>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (kv, w): (Vec<&str>, Vec<&str>) = line.split_whitespace().partition(|t| t.contains('='));
    if w.len() < 3 || w.len() > 5 {
        return Err("expected FROM TO PROTO [DPORT [SPORT]] [KEY=VALUE…]".into());
    }
    let port = |s: Option<&&str>| -> Result<Option<u16>, String> {
        match s {
            None | Some(&"-") => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| format!("{s:?} is not a port")),
        }
    };
    let mut q = Query {
        from: w[0],
        to: w[1],
        proto: w[2],
        dport: port(w.get(3))?,
        sport: port(w.get(4))?,
        ..Default::default()
    };
    for item in kv {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        let addr = || {
            v.parse::<Ipv4Addr>()
                .map_err(|_| format!("{k}={v}: expected an IPv4 address"))
        };
        match k {
            "source" => q.source = Some(addr()?),
            "dest" => q.dest = Some(addr()?),
            "iface" => q.iface = Some(v),
            "icmp-type" | "icmp_type" => q.icmp_type = Some(v),
            "dsttype" => q.dsttype = Some(v),
            "source-mac" | "source_mac" => q.source_mac = Some(v),
            "dport" => q.dport = port(Some(&v))?,
            "sport" => q.sport = port(Some(&v))?,
            _ => {
                return Err(format!(
                "{item:?}: expected source=, dest=, iface=, icmp-type=, dsttype=, source-mac=, dport= or sport="
            ))
            }
        }
    }
    Ok(Some(q))
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
        let q = batch_line("ct102 outside icmp source=10.9.9.9 icmp-type=host-unreachable iface=net1 dsttype=broadcast")
            .unwrap()
            .unwrap();
        assert_eq!(q.source, Some(Ipv4Addr::new(10, 9, 9, 9)));
        assert_eq!(
            (q.icmp_type, q.iface, q.dsttype),
            (Some("host-unreachable"), Some("net1"), Some("broadcast"))
        );
        assert!(batch_line("a b tcp colour=red").is_err());
        assert!(batch_line("a b tcp source=nope").is_err());
    }
}
