//! Every flow of traffic the estate needs, from the inventory alone: what
//! the CA, Traefik, the DNS server and their clients must reach for the
//! estate to work, plus the operator's declared `flows`. phx-fw runs each
//! through the proposed firewall; anything else may list them.
//!
//! Names are stable and readable (`traefik->ca:acme`): the ends are `host`,
//! `ca`, `traefik` or a guest's name as a DNS label (its ID appended when
//! that label is a role's or `host`), so `--allow-blocked-flow` can name one.

use crate::config::names::dns_label;
use crate::config::{FlowEnd, FlowProto, Guest, Inventory, Problems};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Why a flow exists: one per rule of derivation, and the declared ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlowKind {
    /// Traefik asks the CA's ACME directory for certificates.
    Acme,
    /// The CA validates each name on Traefik's port 80.
    Http01,
    /// A guest resolves names through the host's DNS server.
    Dns,
    /// Traefik forwards a route to its backend.
    Backend,
    /// A guest trusting the CA reaches it (step clients, renewals, roots).
    Trust,
    /// From the hypervisor file's `flows`.
    Declared,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Acme => "acme",
            FlowKind::Http01 => "http-01",
            FlowKind::Dns => "dns",
            FlowKind::Backend => "backend",
            FlowKind::Trust => "trust",
            FlowKind::Declared => "declared",
        }
    }
}

/// One end: the host or a guest, with the address a packet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// None: the host.
    pub guest: Option<u32>,
    pub ip: Ipv4Addr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// `traefik->ca:acme`, `gitea->host:dns/udp`, `traefik->monitoring:grafana`.
    pub name: String,
    pub kind: FlowKind,
    pub from: Point,
    pub to: Point,
    pub proto: FlowProto,
    pub port: u16,
    /// Why the estate needs it, said when it is blocked.
    pub why: String,
    /// Where in the JSON it comes from (`FILE: PATH`).
    pub origin: String,
}

/// What each guest is called in flow names.
struct Names(BTreeMap<u32, String>);

impl Names {
    /// The CA and Traefik by their role; any other guest by its name as a
    /// DNS label (unique, as validation demands), with its ID appended
    /// when that label is a role's or `host`, so the role names stay put.
    fn new(inv: &Inventory) -> Names {
        const TAKEN: [&str; 3] = ["ca", "traefik", "host"];
        Names(
            inv.guests()
                .map(|g| {
                    let name = if g.has_feature("step_ca") {
                        "ca".to_string()
                    } else if g.has_feature("traefik") {
                        "traefik".to_string()
                    } else {
                        match dns_label(g.name()) {
                            l if l.is_empty() => format!("guest{}", g.id()),
                            l if TAKEN.contains(&l.as_str()) => format!("{l}{}", g.id()),
                            l => l,
                        }
                    };
                    (g.id(), name)
                })
                .collect(),
        )
    }
    fn of(&self, p: &Point) -> &str {
        p.guest.map_or("host", |id| &self.0[&id])
    }
}

/// A guest that runs: a VM template is only cloned, never started, so it
/// needs no flow of its own.
fn runs(g: Guest<'_>) -> bool {
    !matches!(g, Guest::Vm(v) if v.is_template)
}

/// A guest's point, when it has a static address.
fn point(g: Guest<'_>) -> Option<Point> {
    Some(Point {
        guest: Some(g.id()),
        ip: g.ip()?,
    })
}

struct Builder<'a> {
    inv: &'a Inventory,
    names: Names,
    host: Point,
    out: Vec<Flow>,
}

impl Builder<'_> {
    /// A flow named `<from>-><to>:<label>`.
    fn push(
        &mut self,
        kind: FlowKind,
        (from, to): (Point, Point),
        (proto, port): (FlowProto, u16),
        label: String,
        why: String,
        origin: String,
    ) {
        let name = format!("{}->{}:{label}", self.names.of(&from), self.names.of(&to));
        self.out.push(Flow {
            name,
            kind,
            from,
            to,
            proto,
            port,
            why,
            origin,
        });
    }

    /// udp and tcp/53 to the host: dnsmasq answers both, and a large
    /// answer (many records) is retried over TCP.
    fn dns(&mut self, from: Point, why: &str, origin: String) {
        for proto in [FlowProto::Udp, FlowProto::Tcp] {
            let label = format!("dns/{}", proto.as_str());
            let why = why.to_string();
            self.push(
                FlowKind::Dns,
                (from, self.host),
                (proto, 53),
                label,
                why,
                origin.clone(),
            );
        }
    }
}

fn guest_origin(inv: &Inventory, g: Guest<'_>, key: &str) -> String {
    format!("{}: {}.{key}", inv.file_of(g), g.path())
}

/// The estate's derived flows, then the declared ones; a declared flow
/// naming no guest, or one without a static address, is a problem.
pub fn derive(inv: &Inventory) -> Result<Vec<Flow>, Problems> {
    let mut b = Builder {
        inv,
        names: Names::new(inv),
        host: Point {
            guest: None,
            ip: inv.host.network.address.addr(),
        },
        out: Vec::new(),
    };
    let ca = inv.guest_with_feature("step_ca");
    let traefik = inv.guest_with_feature("traefik");
    let ca_point = ca.and_then(point);
    let tr_point = traefik.and_then(point);
    let dns_on = inv.host.dns_server.enabled;
    let port = inv.host.step_ca.port;
    let hyp = inv.sources.hypervisor.clone();
    let routes: Vec<(Guest, &crate::config::TraefikService)> = inv
        .guests()
        .filter(|g| runs(*g))
        .flat_map(|g| g.traefik_services().iter().map(move |s| (g, s)))
        .collect();
    let route_names: Vec<String> = routes
        .iter()
        .map(|(_, s)| service_fqdn(&s.name, &inv.host.domain))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if let (Some(c), Some(t), Some(ca), Some(tr)) = (ca_point, tr_point, ca, traefik) {
        b.push(
            FlowKind::Acme,
            (t, c),
            (FlowProto::Tcp, port),
            "acme".into(),
            format!("Traefik asks step-ca's ACME directory https://{}:{port}/acme/acme/directory for every route's certificate", inv.host.step_ca.dns_name),
            format!("{hyp}: step_ca.port ({port}); {}", guest_origin(inv, tr, "features")),
        );
        if !route_names.is_empty() {
            let names = route_names.join(", ");
            b.push(
                FlowKind::Http01,
                (c, t),
                (FlowProto::Tcp, 80),
                "http-01".into(),
                format!("step-ca validates each name Traefik asks a certificate for over HTTP-01 on Traefik's port 80 ({names})"),
                guest_origin(inv, ca, "features"),
            );
            if dns_on {
                let why = format!("step-ca resolves the names it validates ({names}) through the host's DNS server");
                b.dns(c, &why, format!("{hyp}: dns_server"));
            }
        }
    }
    if let (Some(tr), Some(t)) = (traefik, tr_point) {
        for (g, s) in &routes {
            let (Some(to), Some(p)) = (point(*g), s.port) else {
                continue;
            };
            if g.id() == tr.id() {
                continue;
            }
            let label = s.name.split('.').next().unwrap_or(&s.name).to_string();
            let fqdn = service_fqdn(&s.name, &inv.host.domain);
            let why = format!(
                "Traefik forwards https://{fqdn}/ to its backend {}://{}:{p}",
                s.scheme.as_str(),
                to.ip
            );
            b.push(
                FlowKind::Backend,
                (t, to),
                (FlowProto::Tcp, p),
                label,
                why,
                format!("{}: {}", inv.file_of(*g), s.path),
            );
        }
    }
    if dns_on {
        for g in inv.guests().filter(|g| runs(*g)) {
            let Some(from) = point(g) else { continue };
            let uses_host = g
                .net()
                .is_some_and(|n| n.nameservers.iter().any(|ns| *ns == b.host.ip));
            // The CA's own lookups are said above, with their reason.
            let ca_said = ca_point == Some(from) && b.out.iter().any(|f| f.kind == FlowKind::Dns);
            if uses_host && !ca_said {
                let why = format!(
                    "{} resolves names through its nameserver, the host's DNS server {}",
                    g.name(),
                    b.host.ip
                );
                b.dns(
                    from,
                    &why,
                    guest_origin(inv, g, "network_config.nameservers"),
                );
            }
        }
    }
    if let Some(c) = ca_point {
        for g in inv
            .guests()
            .filter(|g| runs(*g) && g.has_feature("trusted_ca"))
        {
            let Some(from) = point(g) else { continue };
            // The CA itself, and Traefik, whose ACME flow is this very packet.
            if from == c || Some(from) == tr_point {
                continue;
            }
            let why = format!("{} trusts the internal CA and reaches it on its port {port} (step clients, certificates, the roots)", g.name());
            b.push(
                FlowKind::Trust,
                (from, c),
                (FlowProto::Tcp, port),
                "trust".into(),
                why,
                guest_origin(inv, g, "features"),
            );
        }
    }
    let mut p = Problems::default();
    declared(&mut b, &mut p);
    if p.is_empty() {
        Ok(b.out)
    } else {
        Err(p)
    }
}

fn service_fqdn(name: &str, domain: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("{name}.{domain}")
    }
}

/// The guest or host an end names, or a problem at `path`.
fn resolve(
    inv: &Inventory,
    host: Point,
    end: &FlowEnd,
    path: &str,
    p: &mut Problems,
) -> Option<Point> {
    let file = &inv.sources.hypervisor;
    let found: Vec<Guest> = match end {
        FlowEnd::Host => return Some(host),
        FlowEnd::Id(id) => inv.guests().filter(|g| g.id() == *id).collect(),
        FlowEnd::Name(n) => inv.guests().filter(|g| g.name() == n).collect(),
    };
    let shown = match end {
        FlowEnd::Name(n) => format!("{n:?}"),
        other => other.to_string(),
    };
    match found.as_slice() {
        [g] => match point(*g) {
            Some(pt) => Some(pt),
            None => {
                p.push(file, path, shown, format!("a guest with a static IPv4 address ({} has none: its packets cannot be simulated)", g.path()));
                None
            }
        },
        [] => {
            p.push(
                file,
                path,
                shown,
                "\"host\", or the ID or name of a guest in the LXC or VM file",
            );
            None
        }
        many => {
            let ids: Vec<String> = many.iter().map(|g| g.id().to_string()).collect();
            p.push(
                file,
                path,
                shown,
                format!(
                    "one guest; this name is shared by guests {} (use the ID)",
                    ids.join(", ")
                ),
            );
            None
        }
    }
}

fn declared(b: &mut Builder, p: &mut Problems) {
    let inv = b.inv;
    let file = &inv.sources.hypervisor;
    for f in &inv.host.flows {
        let from = resolve(inv, b.host, &f.from, &format!("{}.from", f.path), p);
        let to = resolve(inv, b.host, &f.to, &format!("{}.to", f.path), p);
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            p.push(
                file,
                &format!("{}.to", f.path),
                f.to.to_string(),
                "another machine than `from` (a flow within one machine crosses no firewall)",
            );
            continue;
        }
        let label = format!("{}/{}", f.proto.as_str(), f.port);
        let before = b.out.len();
        b.push(
            FlowKind::Declared,
            (from, to),
            (f.proto, f.port),
            label,
            f.why.clone(),
            format!("{file}: {}", f.path),
        );
        let name = &b.out[before].name;
        if let Some(first) = b.out[..before].iter().find(|x| x.name == *name) {
            let said = format!(
                "a flow not already listed; {} is {} ({})",
                name,
                first.kind.as_str(),
                first.origin
            );
            p.push(file, &f.path, name.clone(), said);
            b.out.truncate(before);
        }
    }
}
