//! The names the estate declares and the address each must answer, in the
//! order phx-dns gives them precedence (docs/configuration.md, "DNS"):
//! explicit records, then the CA's name, Traefik's services, guests' own
//! names; a name already taken, or covered by a wildcard record with
//! another address, is left to the record that wins.

use phx_common::config::names::{dns_label, qualify};
use phx_common::Inventory;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub name: String,
    pub ip: Ipv4Addr,
    /// Where the name comes from, for the report.
    pub why: String,
}

/// Names in the order they were claimed; a later claim on a taken name,
/// or on one a wildcard with another address covers, is dropped.
#[derive(Default)]
struct Claims {
    taken: BTreeMap<String, Ipv4Addr>,
    wild: BTreeMap<String, Ipv4Addr>,
    out: Vec<Expected>,
}

impl Claims {
    fn claim(&mut self, name: String, ip: Ipv4Addr, why: String) {
        if self.taken.contains_key(&name) || covered(&name, &self.wild).is_some_and(|w| w != ip) {
            return;
        }
        self.taken.insert(name.clone(), ip);
        self.out.push(Expected { name, ip, why });
    }
}

pub fn expected(inv: &Inventory) -> Vec<Expected> {
    let domain = inv.host.domain.to_ascii_lowercase();
    let mut c = Claims::default();
    for g in inv.guests() {
        for r in g.dns_records().iter().filter(|r| r.wildcard) {
            c.wild.entry(r.hostname.clone()).or_insert(r.ip);
        }
    }
    for g in inv.guests() {
        for r in g.dns_records() {
            c.claim(r.hostname.clone(), r.ip, format!("{}: {}", r.file, r.path));
        }
    }
    if let Some(ca) = inv.guest_with_feature("step_ca") {
        if let Some(ip) = ca.ip() {
            let why = format!("step_ca.dns_name, the CA guest {}", ca.id());
            c.claim(inv.host.step_ca.dns_name.to_ascii_lowercase(), ip, why);
        }
    }
    if let Some(proxy_ip) = inv.guest_with_feature("traefik").and_then(|g| g.ip()) {
        for g in inv.guests() {
            for s in g.traefik_services() {
                let why = format!(
                    "{}: {}, served by the traefik guest",
                    inv.file_of(g),
                    s.path
                );
                c.claim(qualify(&s.name, &domain), proxy_ip, why);
            }
        }
    }
    for g in inv.guests() {
        if let Some(ip) = g.ip() {
            let name = format!("{}.{domain}", dns_label(g.name()));
            c.claim(name, ip, format!("the name of guest {}", g.id()));
        }
    }
    c.out
}

/// The address of the wildcard record covering `name`, the nearest first.
fn covered(name: &str, wild: &BTreeMap<String, Ipv4Addr>) -> Option<Ipv4Addr> {
    phx_common::config::names::self_and_parents(name).find_map(|n| wild.get(n).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_names_its_ca_services_and_guests() {
        let inv = phx_common::config::load::load_with(
            &phx_common::config::load::Input::Dir(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/etc"),
            ),
            Default::default(),
        )
        .unwrap();
        let names = expected(&inv);
        let ca = inv.guest_with_feature("step_ca").unwrap();
        let traefik = inv.guest_with_feature("traefik").unwrap();
        let get = |n: &str| names.iter().find(|e| e.name == n).map(|e| e.ip);
        assert_eq!(get(&inv.host.step_ca.dns_name), ca.ip());
        for g in inv.guests() {
            for s in g.traefik_services() {
                assert_eq!(
                    get(&qualify(&s.name, &inv.host.domain)),
                    traefik.ip(),
                    "{}",
                    s.name
                );
            }
        }
        let unique: std::collections::BTreeSet<_> = names.iter().map(|e| &e.name).collect();
        assert_eq!(unique.len(), names.len(), "each name once");
    }
}
