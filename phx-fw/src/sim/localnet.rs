//! `local_network` as pve-firewall derives it (PVE::Firewall
//! `local_network()`): the first IPv4 route of the node's main table, in
//! the kernel's order, whose prefix is /8–/32 (PVE::Network's
//! `ipv4_mask_hash_localnet`; the default route never counts) and which
//! contains the node's address; none: 127.0.0.0/8. An alias
//! `local_network` in cluster.fw replaces it (compile); no cluster option
//! sets it. The routes come from `/proc/net/route` (what Perl reads) or
//! from `ip -j route` output, so a test can hand in a double.

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;
use std::path::Path;

/// Where the routes came from, which decides what a missing route means.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Routes {
    /// No routes were read: the node's own connected route (its address's
    /// network, which the kernel always has) stands in.
    #[default]
    None,
    /// Routes of the node (`--routes FILE`, or a state root's
    /// `/proc/net/route`): derived exactly as pve-firewall does.
    Node(Vec<Ipv4Net>),
    /// The routes of the machine phx-fw runs on (`/`): when none contains
    /// the node's address, this machine is not the node (or phx-net has yet
    /// to configure the address), and the stand-in is used with a warning.
    Machine(Vec<Ipv4Net>),
}

/// Parses `/proc/net/route` (a header line, then hex little-endian
/// Destination and Mask columns) or `ip -j route` JSON (`dst` is `default`,
/// `A.B.C.D` or `A.B.C.D/N`). Routes in the file's order.
pub fn parse(text: &str) -> Result<Vec<Ipv4Net>, String> {
    let t = text.trim_start();
    if t.starts_with('[') {
        return parse_json(t);
    }
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(dst), Some(mask)) = (col("Destination"), col("Mask")) else {
        return Err(
            "expected /proc/net/route (a header with Destination and Mask) or `ip -j route` JSON"
                .into(),
        );
    };
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let hex = |c: usize| {
            f.get(c)
                .and_then(|s| u32::from_str_radix(s, 16).ok())
                .map(|v| Ipv4Addr::from(v.to_le_bytes()))
                .ok_or_else(|| {
                    format!(
                        "line {}: {line:?}: expected hex Destination and Mask",
                        i + 2
                    )
                })
        };
        let (d, m) = (hex(dst)?, hex(mask)?);
        // Only masks of contiguous ones are prefixes; Perl's table has no others.
        let bits = u32::from(m);
        let len = bits.leading_ones();
        if bits.checked_shl(len).unwrap_or(0) != 0 {
            continue;
        }
        out.push(Ipv4Net::new(d, len as u8).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn parse_json(text: &str) -> Result<Vec<Ipv4Net>, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("`ip -j route` JSON: {e}"))?;
    let list = v
        .as_array()
        .ok_or("`ip -j route` JSON: expected an array of routes")?;
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let dst = r["dst"]
            .as_str()
            .ok_or_else(|| format!("route [{i}]: expected a \"dst\" string"))?;
        // Only the main table's unicast routes are in /proc/net/route.
        if r.get("table").is_some_and(|t| t != "main")
            || r.get("type").is_some_and(|t| t != "unicast")
        {
            continue;
        }
        let net = match dst {
            "default" => Ipv4Net::default(),
            d if d.contains('/') => d.parse().map_err(|_| format!("route [{i}]: dst {d:?}"))?,
            d => Ipv4Net::new(
                d.parse().map_err(|_| format!("route [{i}]: dst {d:?}"))?,
                32,
            )
            .map_err(|e| e.to_string())?,
        };
        out.push(net);
    }
    Ok(out)
}

/// The routes for the derivation: `given` (a file), else the state root's
/// `/proc/net/route` when it has one.
pub fn read(root: &Path, given: Option<&Path>) -> Result<Routes, String> {
    if let Some(p) = given {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        return parse(&text)
            .map(Routes::Node)
            .map_err(|e| format!("{}: {e}", p.display()));
    }
    let path = phx_plan::fsutil::under_root(root, "/proc/net/route");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Routes::None);
    };
    let routes = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(if root == Path::new("/") {
        Routes::Machine(routes)
    } else {
        Routes::Node(routes)
    })
}

/// The first route (/8–/32, in order) containing `node_ip`.
pub fn first_containing(routes: &[Ipv4Net], node_ip: Ipv4Addr) -> Option<Ipv4Net> {
    routes
        .iter()
        .find(|n| (8..=32).contains(&n.prefix_len()) && n.contains(&node_ip))
        .copied()
}

/// `local_network` without an alias, how it was found, and a warning when
/// the routes read were not the node's.
pub fn derive(
    routes: &Routes,
    node_ip: Ipv4Addr,
    host_net: Ipv4Net,
) -> (Ipv4Net, String, Option<String>) {
    let loopback: Ipv4Net = "127.0.0.0/8".parse().unwrap();
    let stand_in = || {
        if (8..=32).contains(&host_net.prefix_len()) {
            (
                host_net,
                format!("{host_net} (the node's network; no routes read)"),
            )
        } else {
            (
                loopback,
                format!("{loopback} (no route /8–/32 holds the node's address)"),
            )
        }
    };
    match routes {
        Routes::None => {
            let (n, d) = stand_in();
            (n, d, None)
        }
        Routes::Node(r) => match first_containing(r, node_ip) {
            Some(n) => (n, format!("{n} (the first route holding {node_ip})"), None),
            None => (
                loopback,
                format!("{loopback} (no route /8–/32 holds the node's address {node_ip})"),
                None,
            ),
        },
        Routes::Machine(r) => match first_containing(r, node_ip) {
            Some(n) => (n, format!("{n} (the first route holding {node_ip})"), None),
            None => {
                let (n, d) = stand_in();
                let warn = format!("/proc/net/route has no route holding the node's address {node_ip} (this machine is not the node, or the address is not configured yet): local_network is taken as {n}, the network it will have; pass --routes FILE (the node's `ip -j route` or /proc/net/route) to derive it as pve-firewall does");
                (n, d, Some(warn))
            }
        },
    }
}
