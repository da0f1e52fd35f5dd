//! What the picture shows, taken from the model once so that both renderers
//! draw the same estate: guests, their names and roles, the edges between
//! them, and the routes Traefik serves.

use phx_common::config::names::dns_label;
use phx_common::config::{Guest, Inventory};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: u32,
    /// `ct103`, `vm1001`: unique, and safe as an identifier in both formats.
    pub key: String,
    /// `CT 103` or `VM 1001`.
    pub title: String,
    pub name: String,
    pub ip: Option<String>,
    /// Every name the DNS server answers with this guest's address.
    pub dns_names: Vec<String>,
    pub boot_order: u64,
    pub trusts_ca: bool,
    pub firewall: bool,
    /// `step-ca :9000`, `traefik`: the estate's services this guest runs
    /// (the CA with the port it listens on, `step_ca.port`).
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The guest is cloned from the other one.
    Clone,
    /// The guest needs the other one up first.
    Dependency,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

/// `name.domain → guest:port`, served by the Traefik guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub fqdn: String,
    pub via: Option<String>,
    pub to: String,
    pub target: String,
}

#[derive(Debug, Clone, Default)]
pub struct Estate {
    pub domain: String,
    /// Guests grouped by boot order, each group in id order.
    pub by_boot_order: BTreeMap<u64, Vec<Node>>,
    pub edges: Vec<Edge>,
    pub routes: Vec<Route>,
}

pub fn key(g: Guest<'_>) -> String {
    match g {
        Guest::Lxc(c) => format!("ct{}", c.id),
        Guest::Vm(v) => format!("vm{}", v.id),
    }
}

fn boot_order(g: Guest<'_>) -> u64 {
    match g {
        Guest::Lxc(c) => c.boot_order,
        Guest::Vm(v) => v.boot_order,
    }
}

fn prerequisites(g: Guest<'_>) -> (Option<u32>, &[u32]) {
    match g {
        Guest::Lxc(c) => (c.clone_from, &c.dependencies),
        Guest::Vm(v) => (v.clone_from, &[]),
    }
}

/// Which names the DNS server answers with which address, with phx-dns's
/// precedence: names derived from guests, the CA and Traefik services first,
/// then explicit `dns_records`, which win.
fn answers(inv: &Inventory) -> BTreeMap<Ipv4Addr, Vec<String>> {
    let domain = &inv.host.domain;
    let mut by_name: BTreeMap<String, Ipv4Addr> = BTreeMap::new();
    for g in inv.guests() {
        if let Some(ip) = g.ip() {
            by_name.insert(format!("{}.{domain}", dns_label(g.name())), ip);
        }
    }
    if let Some(ip) = inv.guest_with_feature("step_ca").and_then(|g| g.ip()) {
        by_name.insert(inv.host.step_ca.dns_name.clone(), ip);
    }
    if let Some(ip) = inv.guest_with_feature("traefik").and_then(|g| g.ip()) {
        for s in inv.guests().flat_map(|g| g.traefik_services()) {
            by_name.insert(format!("{}.{domain}", s.name), ip);
        }
    }
    for r in inv.guests().flat_map(|g| g.dns_records()) {
        by_name.insert(r.hostname.clone(), r.ip);
    }
    let mut by_ip: BTreeMap<Ipv4Addr, Vec<String>> = BTreeMap::new();
    for (name, ip) in by_name {
        by_ip.entry(ip).or_default().push(name);
    }
    by_ip
}

pub fn describe(inv: &Inventory) -> Estate {
    let domain = inv.host.domain.clone();
    let keys: BTreeMap<u32, String> = inv.guests().map(|g| (g.id(), key(g))).collect();
    let traefik = inv.guest_with_feature("traefik");
    let mut e = Estate {
        domain: domain.clone(),
        ..Default::default()
    };
    let names = answers(inv);
    for g in inv.guests() {
        let dns_names = g
            .ip()
            .and_then(|ip| names.get(&ip))
            .cloned()
            .unwrap_or_default();
        let ca_role = format!("step-ca :{}", inv.host.step_ca.port);
        let roles = [("step_ca", ca_role.as_str()), ("traefik", "traefik")]
            .into_iter()
            .filter(|(f, _)| g.has_feature(f))
            .map(|(_, r)| r.to_string())
            .collect();
        e.by_boot_order
            .entry(boot_order(g))
            .or_default()
            .push(Node {
                id: g.id(),
                key: key(g),
                title: format!("{} {}", if g.kind() == "lxc" { "CT" } else { "VM" }, g.id()),
                name: g.name().to_string(),
                ip: g.ip().map(|a| a.to_string()),
                dns_names,
                boot_order: boot_order(g),
                trusts_ca: g.has_feature("trusted_ca"),
                firewall: g.firewall().is_some_and(|f| f.enabled),
                roles,
            });
        let (clone_from, deps) = prerequisites(g);
        let edge = |id: &u32, kind| Edge {
            from: key(g),
            to: keys.get(id).cloned().unwrap_or_else(|| id.to_string()),
            kind,
        };
        e.edges
            .extend(clone_from.iter().map(|id| edge(id, EdgeKind::Clone)));
        e.edges
            .extend(deps.iter().map(|id| edge(id, EdgeKind::Dependency)));
        for s in g.traefik_services() {
            let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
            // An HTTPS backend says so; plain HTTP, the default, stays bare.
            let scheme = match s.scheme {
                phx_common::config::BackendScheme::Https => "https://",
                phx_common::config::BackendScheme::Http => "",
            };
            e.routes.push(Route {
                fqdn: format!("{}.{domain}", s.name),
                via: traefik.map(key),
                to: key(g),
                target: format!(
                    "{scheme}{}{port}",
                    g.ip()
                        .map_or_else(|| g.name().to_string(), |a| a.to_string())
                ),
            });
        }
    }
    for group in e.by_boot_order.values_mut() {
        group.sort_by_key(|n| n.id);
    }
    e.edges.sort();
    e
}
