//! Traefik routes: 260ca13's four hard-coded ones become `traefik_service`
//! entries on the guests that own their addresses; HEAD's entries get the
//! scheme the original's generator used for them.

use crate::hardcoded::{Change, ROUTES_260CA13};
use crate::original::{LXC, VM};
use serde_json::{json, Value};

/// A guest in the documents, mutable, with where it is.
pub struct GuestAt<'a> {
    pub at: String,
    pub is_vm: bool,
    pub guest: &'a mut Value,
}

impl GuestAt<'_> {
    fn ip(&self) -> Option<&str> {
        let ip = self.guest.get("network_config")?.get("ip")?.as_str()?;
        Some(ip.split('/').next().unwrap_or(ip))
    }

    fn has_feature(&self, f: &str) -> bool {
        self.guest["features"]
            .as_array()
            .is_some_and(|fs| fs.iter().any(|x| x == f))
    }
}

pub fn guests_mut<'a>(lxc: &'a mut Value, vm: &'a mut Value) -> Vec<GuestAt<'a>> {
    let mut out = Vec::new();
    if let Some(cts) = lxc["lxc_configs"].as_object_mut() {
        for (id, g) in cts.iter_mut() {
            out.push(GuestAt {
                at: format!("{LXC}: lxc_configs.\"{id}\""),
                is_vm: false,
                guest: g,
            });
        }
    }
    if let Some(vms) = vm["vms"].as_array_mut() {
        for (i, g) in vms.iter_mut().enumerate() {
            out.push(GuestAt {
                at: format!("{VM}: vms[{i}]"),
                is_vm: true,
                guest: g,
            });
        }
    }
    out
}

/// 260ca13: each hard-coded route on the guest owning its backend address.
/// A route whose address no guest owns is a problem (the route could not
/// be served); a guest that already has a `traefik_service` keeps it.
pub fn add_260ca13_routes(
    guests: &mut [GuestAt],
    domain: &str,
    changes: &mut Vec<Change>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for route in &ROUTES_260CA13 {
        let source = format!(
            "phoenix_hypervisor_lxc_102.sh:{} at 260ca13: Host(`{}.internal.thinkheads.ai`) -> http://{}:{}",
            route.lines, route.name, route.ip, route.port
        );
        let Some(g) = guests.iter_mut().find(|g| g.ip() == Some(route.ip)) else {
            problems.push(format!(
                "no guest has the address {} that the route {} was sent to ({source}); expected a guest with network_config.ip {}/…",
                route.ip, route.name, route.ip
            ));
            continue;
        };
        let at = format!("{}.traefik_service", g.at);
        if let Some(had) = g.guest.get("traefik_service") {
            changes.push(Change {
                at,
                what: format!("kept {had}; the script routed {} here", route.name),
                source,
            });
            continue;
        }
        let entry = json!({"name": route.name, "port": route.port});
        changes.push(Change {
            at,
            what: format!(
                "= {entry}, served as {}.{domain} (the original's name was {}.internal.thinkheads.ai; Phoenix names services under domain_name)",
                route.name, route.name
            ),
            source,
        });
        g.guest
            .as_object_mut()
            .expect("a guest is an object")
            .insert("traefik_service".into(), entry);
    }
    problems
}

/// HEAD: every `traefik_service` gets the scheme its backend speaks: the
/// original's generator sent VMs' services over https and containers' over
/// http, except the CA's own port, which step-ca serves with TLS only.
pub fn add_head_schemes(guests: &mut [GuestAt], changes: &mut Vec<Change>) {
    for g in guests.iter_mut() {
        let is_ca = g.has_feature("step_ca");
        let (is_vm, at) = (g.is_vm, g.at.clone());
        let entries: Vec<(String, &mut Value)> = match g.guest.get_mut("traefik_service") {
            Some(Value::Array(items)) => items
                .iter_mut()
                .enumerate()
                .map(|(i, s)| (format!("{at}.traefik_service[{i}]"), s))
                .collect(),
            Some(s @ Value::Object(_)) => vec![(format!("{at}.traefik_service"), s)],
            _ => continue,
        };
        for (at, entry) in entries {
            let Some(obj) = entry.as_object_mut() else {
                continue;
            };
            let (scheme, source) = if is_ca {
                (
                    "https",
                    "phoenix_hypervisor_lxc_103.sh:30 at 0385ea2: CA_ADDRESS=\":9000\", where step-ca answers with TLS only",
                )
            } else if is_vm {
                (
                    "https",
                    "generate_traefik_config.sh:41 at 0385ea2: a VM's service url is https://<ip>:<port>",
                )
            } else {
                (
                    "http",
                    "generate_traefik_config.sh:51 at 0385ea2: a container's service url is http://<ip>:<port>",
                )
            };
            let at = format!("{at}.scheme");
            match obj.get("scheme") {
                Some(had) => changes.push(Change {
                    at,
                    what: format!("kept {had}; the original used \"{scheme}\""),
                    source: source.into(),
                }),
                None => {
                    obj.insert("scheme".into(), json!(scheme));
                    changes.push(Change {
                        at,
                        what: format!("= \"{scheme}\""),
                        source: source.into(),
                    });
                }
            }
        }
    }
}
