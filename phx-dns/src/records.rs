//! Which names resolve to which addresses: explicit `dns_records`, the CA,
//! every guest with a static IP, and the services Traefik proxies — merged
//! with explicit records winning, and checked for DNS-specific mistakes.

use ipnet::Ipv4Net;
use phx_common::config::names::{dns_label, is_dns_name};
use phx_common::config::{DnsRecord, Guest, Inventory, Problems, TraefikService};
use phx_common::fast_hash::FastMap;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Where a name came from. The order is the PTR preference: for an address
/// with several names, the first kind here becomes the reverse answer, so
/// `10.0.0.12` reverses to the Traefik guest's own name, not to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `<dns_label(guest name)>.<domain>` for a guest with a static IP.
    Guest,
    /// `step_ca.dns_name` → the `step_ca` guest.
    Ca,
    /// A guest's `dns_records` entry.
    Explicit,
    /// A guest's `traefik_service.name` → the `traefik` guest.
    Traefik,
}

/// One exact name: an A record and, for the first name of its address, the PTR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub ip: Ipv4Addr,
    pub origin: Origin,
}

/// `address=/name/ip`: the name and every name below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    pub name: String,
    pub ip: Ipv4Addr,
}

#[derive(Debug, Default)]
pub struct Records {
    /// Sorted by address, then by PTR preference, then by first appearance.
    pub hosts: Vec<Record>,
    /// In the order they appear in the configuration.
    pub wildcards: Vec<Wildcard>,
    /// Legal but probably unintended: printed on stderr, exit status unaffected.
    pub warnings: Vec<String>,
}

/// A derived name before it is merged: what it is and where it came from.
struct Candidate<'a> {
    name: String,
    ip: Ipv4Addr,
    origin: Origin,
    from: Source<'a>,
}

/// What produced a derived name. Its texts are made only for a warning: at
/// 10,000 guests formatting them for every name was a tenth of phx-dns's time.
#[derive(Clone, Copy)]
enum Source<'a> {
    Ca(Guest<'a>),
    Service(Guest<'a>, &'a TraefikService),
    GuestName(Guest<'a>),
}

impl Source<'_> {
    /// `FILE: PATH` of the value that produced the name.
    fn at(&self, inv: &Inventory) -> String {
        match self {
            Source::Ca(_) => format!("{}: step_ca.dns_name", inv.sources.hypervisor),
            Source::Service(g, svc) => format!("{}: {}", inv.file_of(*g), svc.path),
            Source::GuestName(g) => format!("{}: {}.name", inv.file_of(*g), g.path()),
        }
    }

    fn what(&self) -> String {
        match self {
            Source::Ca(ca) => format!("the CA name of step_ca guest {} ({})", ca.id(), ca.name()),
            Source::Service(g, svc) => format!(
                "Traefik service {} of guest {} ({})",
                svc.name,
                g.id(),
                g.name()
            ),
            Source::GuestName(g) => format!("the name of guest {} ({})", g.id(), g.name()),
        }
    }
}

/// Every name the DNS server must answer. `Err` carries every problem at once.
pub fn collect(inv: &Inventory) -> Result<Records, Problems> {
    let mut problems = Problems::default();
    let mut warnings = Vec::new();
    let domain = inv.host.domain.to_ascii_lowercase();
    let subnets = configured_subnets(inv);

    let mut hosts: Vec<Record> = Vec::new();
    let records: usize = inv.guests().map(|g| g.dns_records().len()).sum();
    let mut explicit: FastMap<&str, &DnsRecord> =
        FastMap::with_capacity_and_hasher(records, Default::default());
    let mut wild: FastMap<&str, &DnsRecord> = FastMap::default();
    let mut wildcards = Vec::new();
    for g in inv.guests() {
        for rec in g.dns_records() {
            check_record(rec, &subnets, &mut problems, &mut warnings);
            let map = if rec.wildcard {
                &mut wild
            } else {
                &mut explicit
            };
            match map.get(rec.hostname.as_str()) {
                // Written once. phx-common's validation guarantees the same
                // address: one per name, and one per wildcard.
                Some(_) => continue,
                None => {
                    map.insert(&rec.hostname, rec);
                }
            }
            if rec.wildcard {
                wildcards.push(Wildcard {
                    name: rec.hostname.clone(),
                    ip: rec.ip,
                });
            } else {
                hosts.push(Record {
                    name: rec.hostname.clone(),
                    ip: rec.ip,
                    origin: Origin::Explicit,
                });
            }
        }
    }

    let candidates = derived(inv, &domain, &mut problems);
    let mut taken: FastMap<String, (Ipv4Addr, Source)> =
        FastMap::with_capacity_and_hasher(candidates.len(), Default::default());
    for c in candidates {
        if let Some(rec) = explicit.get(c.name.as_str()) {
            if rec.ip != c.ip {
                warnings.push(format!(
                    "{}: {}: explicit record {} -> {} wins over {} ({} -> {}); {} gets no name from it",
                    rec.file, rec.path, rec.hostname, rec.ip, c.from.what(), c.name, c.ip, c.ip
                ));
            }
            continue;
        }
        if let Some((w, rec)) = covering_wildcard(&c.name, &wild) {
            if rec.ip != c.ip {
                warnings.push(format!(
                    "{}: {}: wildcard record *.{w} -> {} wins over {} ({} -> {}); the name is left out",
                    rec.file, rec.path, rec.ip, c.from.what(), c.name, c.ip
                ));
                continue;
            }
        }
        match taken.get(&c.name) {
            Some((ip, _)) if *ip == c.ip => continue,
            Some((ip, first)) => {
                warnings.push(format!(
                    "{}: {} ({} -> {}) is ignored: {} already maps the name to {ip}",
                    c.from.at(inv),
                    c.from.what(),
                    c.name,
                    c.ip,
                    first.what()
                ));
                continue;
            }
            None => {
                taken.insert(c.name.clone(), (c.ip, c.from));
            }
        }
        hosts.push(Record {
            name: c.name,
            ip: c.ip,
            origin: c.origin,
        });
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    // Stable: names of one address and one origin keep their configuration order.
    hosts.sort_by_key(|r| (r.ip, r.origin));
    Ok(Records {
        hosts,
        wildcards,
        warnings,
    })
}

/// The subnets an address may sensibly live in: the host's bridge network,
/// `default_subnet`, and every guest's static network.
fn configured_subnets(inv: &Inventory) -> BTreeSet<Ipv4Net> {
    let net = &inv.host.network;
    let mut s: BTreeSet<Ipv4Net> = BTreeSet::new();
    s.insert(net.address.trunc());
    s.extend(net.default_subnet);
    for g in inv.guests() {
        if let Some(phx_common::config::GuestIp::Static(n)) = g.net().map(|n| &n.ip) {
            s.insert(n.trunc());
        }
    }
    s
}

fn check_record(
    rec: &DnsRecord,
    subnets: &BTreeSet<Ipv4Net>,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) {
    // RFC 1123 §2.1: a top-level label is never all digits; dnsmasq and
    // resolvers would take such a name for an address.
    let last = rec.hostname.rsplit('.').next().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        problems.push(
            &rec.file,
            &rec.path,
            format!("{:?}", rec.hostname),
            "a DNS name whose last label is not all digits (it would read as an IP address)",
        );
    }
    if !subnets.iter().any(|n| n.contains(&rec.ip)) {
        let shown: Vec<String> = subnets.iter().map(Ipv4Net::to_string).collect();
        warnings.push(format!(
            "{}: {}: {} -> {} is outside every configured subnet ({})",
            rec.file,
            rec.path,
            rec.hostname,
            rec.ip,
            shown.join(", ")
        ));
    }
}

/// The wildcard that covers `name` (the name itself or any parent), if any.
fn covering_wildcard<'a, 'r>(
    name: &'a str,
    wild: &FastMap<&str, &'r DnsRecord>,
) -> Option<(&'a str, &'r DnsRecord)> {
    if wild.is_empty() {
        return None;
    }
    phx_common::config::names::self_and_parents(name).find_map(|n| wild.get(n).map(|rec| (n, *rec)))
}

/// Derived names in priority order: the CA, Traefik services, then guests'
/// own names. An earlier candidate keeps a name a later one also wants: a
/// service named like a guest resolves to Traefik (with a warning), because
/// that is the name users were given for it.
fn derived<'a>(inv: &'a Inventory, domain: &str, problems: &mut Problems) -> Vec<Candidate<'a>> {
    let mut out = ca_and_services(inv, domain, problems);
    guest_names(inv, domain, problems, &mut out);
    out
}

fn guest_names<'a>(
    inv: &'a Inventory,
    domain: &str,
    problems: &mut Problems,
    out: &mut Vec<Candidate<'a>>,
) {
    for g in inv.guests() {
        let Some(ip) = g.ip() else { continue };
        let name = format!("{}.{domain}", dns_label(g.name()));
        if !is_dns_name(&name) {
            problems.push(
                inv.file_of(g),
                &format!("{}.name", g.path()),
                format!("{:?}", g.name()),
                format!("a guest name whose DNS name ({name}) is at most 253 characters"),
            );
            continue;
        }
        out.push(Candidate {
            name,
            ip,
            origin: Origin::Guest,
            from: Source::GuestName(g),
        });
    }
}

fn ca_and_services<'a>(
    inv: &'a Inventory,
    domain: &str,
    problems: &mut Problems,
) -> Vec<Candidate<'a>> {
    let mut out = Vec::new();

    // Validation in phx-common guarantees one step_ca guest with a static IP when there is one at all.
    if let Some(ca) = inv.guest_with_feature("step_ca") {
        if let Some(ip) = ca.ip() {
            out.push(Candidate {
                name: inv.host.step_ca.dns_name.to_ascii_lowercase(),
                ip,
                origin: Origin::Ca,
                from: Source::Ca(ca),
            });
        }
    }

    let services: Vec<(Guest, &TraefikService)> = inv
        .guests()
        .flat_map(|g| g.traefik_services().iter().map(move |s| (g, s)))
        .collect();
    if services.is_empty() {
        return out;
    }
    let proxies: Vec<Guest> = inv.guests().filter(|g| g.has_feature("traefik")).collect();
    let proxy_ip = match proxies.as_slice() {
        [] => {
            for (g, svc) in &services {
                problems.push(
                    inv.file_of(*g),
                    &svc.path,
                    format!("{:?}", svc.name),
                    "a guest with the \"traefik\" feature to serve it (none is defined)",
                );
            }
            return out;
        }
        [p] => match p.ip() {
            Some(ip) => ip,
            None => {
                problems.push(
                    inv.file_of(*p),
                    &format!("{}.network_config.ip", p.path()),
                    "(not static)",
                    "a static IPv4 address for the traefik guest (the names of the services it proxies point there)",
                );
                return out;
            }
        },
        [first, rest @ ..] => {
            for p in rest {
                problems.push(
                    inv.file_of(*p),
                    &format!("{}.features", p.path()),
                    "\"traefik\"",
                    format!("one guest with the \"traefik\" feature (service names point at it); {} has it already", first.path()),
                );
            }
            return out;
        }
    };
    for (g, svc) in services {
        let file = inv.file_of(g);
        let name = phx_common::config::names::qualify(&svc.name, domain);
        if !is_dns_name(&name) {
            problems.push(
                file,
                &svc.path,
                format!("{:?}", svc.name),
                format!("a service name whose DNS name ({name}) is at most 253 characters"),
            );
            continue;
        }
        out.push(Candidate {
            name,
            ip: proxy_ip,
            origin: Origin::Traefik,
            from: Source::Service(g, svc),
        });
    }
    out
}
