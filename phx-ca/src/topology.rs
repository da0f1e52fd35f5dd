//! Who plays which part: the CA guest, the Traefik guest, the guests that
//! trust the root, the routes Traefik serves, and where the root is exported.
//! Everything phx-ca refuses is found here, all at once, before any step.

use phx_common::config::names::is_label;
use phx_common::config::{BackendScheme, Guest, Inventory, Problems};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Where trusting guests see the exported root (the original's shared volume).
pub const SHARED_SSL_IN_GUEST: &str = "/ssl";
/// The exported root's file name in the shared directory (the original's).
pub const EXPORTED_ROOT_NAME: &str = "phoenix_root_ca.crt";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The label under the domain (`git` for `git.<domain>`).
    pub name: String,
    pub host: String,
    pub backend_ip: Ipv4Addr,
    pub port: u16,
    /// `traefik_service.scheme`: an HTTPS backend gets a serversTransport.
    pub scheme: BackendScheme,
    /// `insecure_skip_verify: true` (HTTPS only): not verified.
    pub insecure_skip_verify: bool,
    /// The guest that serves it, for messages.
    pub guest: u32,
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub ca: Option<(u32, Ipv4Addr)>,
    pub traefik: Option<(u32, Ipv4Addr)>,
    /// Guests with `trusted_ca` that start at boot: containers (through
    /// `pct exec`) and VMs (through their guest agent), in file order.
    pub trusting: Vec<phx_plan::Guest>,
    /// Sorted by name; one per name.
    pub routes: Vec<Route>,
    /// Host directory the root is exported to.
    pub export_dir: String,
    pub warnings: Vec<String>,
}

impl Topology {
    pub fn exported_root(&self) -> String {
        format!("{}/{EXPORTED_ROOT_NAME}", self.export_dir)
    }
}

/// `git` or `git.<domain>` → `git`; anything else is not a service label.
fn service_label<'a>(name: &'a str, domain: &str) -> Option<&'a str> {
    let bare = name
        .strip_suffix(domain)
        .and_then(|s| s.strip_suffix('.'))
        .unwrap_or(name);
    is_label(bare).then_some(bare)
}

/// The one guest carrying `feature`, with its static address.
fn sole(inv: &Inventory, feature: &str, p: &mut Problems) -> Option<(u32, Ipv4Addr)> {
    let all: Vec<Guest> = inv.guests().filter(|g| g.has_feature(feature)).collect();
    let first = *all.first()?;
    for g in &all[1..] {
        p.push(
            inv.file_of(*g),
            &format!("{}.features", g.path()),
            format!("\"{feature}\""),
            format!(
                "one guest with the \"{feature}\" feature; {} has it already",
                first.path()
            ),
        );
    }
    match (first, first.ip()) {
        (Guest::Lxc(c), Some(ip)) if c.start_at_boot => Some((first.id(), ip)),
        (Guest::Lxc(c), Some(_)) => {
            p.push(
                &inv.sources.lxc,
                &format!("{}.start_at_boot", c.path),
                "false",
                format!("true for the \"{feature}\" guest (phx-ca works inside it, and LetsGo starts only those)"),
            );
            None
        }
        (Guest::Vm(_), _) => {
            p.push(
                inv.file_of(first),
                &format!("{}.features", first.path()),
                format!("\"{feature}\""),
                format!("the \"{feature}\" feature on an LXC container (phx-ca acts inside guests through pct)"),
            );
            None
        }
        (_, None) => {
            p.push(
                inv.file_of(first),
                &format!("{}.network_config.ip", first.path()),
                "(not static)",
                format!("a static IPv4 address for the \"{feature}\" guest"),
            );
            None
        }
    }
}

/// Every guest's `/ssl` bind mount must name one host directory: the export.
fn export_dir(inv: &Inventory, ca: Option<u32>, p: &mut Problems) -> String {
    let mut seen: Option<(String, String)> = None;
    for c in inv.lxcs.values() {
        // Its own mount_points and the shared volumes naming it alike.
        for m in phx_common::bind_sources::of(&inv.host, c) {
            if m.container_path.trim_end_matches('/') != SHARED_SSL_IN_GUEST {
                continue;
            }
            let host = m.host_path.trim_end_matches('/').to_string();
            let (file, at) = m.source_at(inv, c);
            match &seen {
                Some((h, first)) if *h != host => p.push(
                    &file,
                    &at,
                    format!("{host:?}"),
                    format!("the same host directory for every {SHARED_SSL_IN_GUEST} mount (the root CA is exported there); {first} says {h:?}"),
                ),
                Some(_) => {}
                None => seen = Some((host, at)),
            }
        }
    }
    if let Some((h, _)) = seen {
        return h;
    }
    // No guest mounts it: where the original kept it, beside the CA's persistent volume.
    let base = inv.host.mount_point_base.trim_end_matches('/');
    let dataset = ca
        .and_then(|id| inv.lxcs.get(&id))
        .and_then(|c| c.zfs_volumes.first())
        .and_then(|v| {
            inv.host
                .zfs_datasets
                .iter()
                .find(|d| d.storage_id() == v.pool)
        });
    match (dataset, ca) {
        (Some(d), Some(id)) => format!("{base}/{}/{}/{id}/ssl", d.pool, d.name),
        _ => format!("{base}/phoenix-ca/ssl"),
    }
}

fn routes(inv: &Inventory, p: &mut Problems) -> Vec<Route> {
    let domain = inv.host.domain.to_ascii_lowercase();
    let mut by_name: BTreeMap<String, (Route, String)> = BTreeMap::new();
    for g in inv.guests() {
        let file = inv.file_of(g);
        for svc in g.traefik_services() {
            let Some(label) = service_label(&svc.name, &domain) else {
                p.push(
                    file,
                    &format!("{}.name", svc.path),
                    format!("{:?}", svc.name),
                    format!("one DNS label (letters, digits, '-'), served as <label>.{domain}"),
                );
                continue;
            };
            let Some(port) = svc.port else {
                p.push(
                    file,
                    &format!("{}.port", svc.path),
                    "(missing)",
                    "the backend's port, 1-65535 (Traefik forwards to http://<guest ip>:<port>)",
                );
                continue;
            };
            let Some(ip) = g.ip() else {
                p.push(
                    file,
                    &format!("{}.network_config.ip", g.path()),
                    "(not static)",
                    "a static IPv4 address for a guest with a traefik_service (Traefik forwards to it)",
                );
                continue;
            };
            let route = Route {
                name: label.to_string(),
                host: format!("{label}.{domain}"),
                backend_ip: ip,
                port,
                scheme: svc.scheme,
                insecure_skip_verify: svc.insecure_skip_verify,
                guest: g.id(),
            };
            let same = |r: &Route| {
                (r.backend_ip, r.port, r.scheme, r.insecure_skip_verify)
                    == (ip, port, svc.scheme, svc.insecure_skip_verify)
            };
            match by_name.get(label) {
                Some((r, first)) if !same(r) => p.push(
                    file,
                    &svc.path,
                    format!("{:?}", svc.name),
                    format!(
                        "one backend per service name; {first} sends it to {}://{}:{}",
                        r.scheme.as_str(),
                        r.backend_ip,
                        r.port
                    ),
                ),
                Some(_) => {}
                None => {
                    by_name.insert(label.to_string(), (route, format!("{file}: {}", svc.path)));
                }
            }
        }
    }
    by_name.into_values().map(|(r, _)| r).collect()
}

pub fn resolve(inv: &Inventory) -> Result<Topology, Problems> {
    let mut p = Problems::default();
    let mut warnings = Vec::new();
    let ca = sole(inv, "step_ca", &mut p);
    let traefik = sole(inv, "traefik", &mut p);
    let routes = routes(inv, &mut p);
    let any_service = inv.guests().any(|g| !g.traefik_services().is_empty());
    if any_service && !inv.guests().any(|g| g.has_feature("traefik")) {
        for g in inv.guests() {
            for svc in g.traefik_services() {
                p.push(
                    inv.file_of(g),
                    &svc.path,
                    format!("{:?}", svc.name),
                    "a guest with the \"traefik\" feature to serve it (none is defined)",
                );
            }
        }
    }
    if traefik.is_some() && ca.is_none() && p.is_empty() {
        let t = inv.guest_with_feature("traefik").expect("found above");
        p.push(
            inv.file_of(t),
            &format!("{}.features", t.path()),
            "\"traefik\"",
            "a guest with the \"step_ca\" feature (Traefik's certificates come from it; none is defined)",
        );
    }
    let mut trusting = Vec::new();
    for g in inv.guests().filter(|g| g.has_feature("trusted_ca")) {
        match g {
            Guest::Lxc(c) if c.start_at_boot => trusting.push(c.guest.id.into()),
            // pct exec needs it running, and LetsGo starts only these.
            Guest::Lxc(c) => warnings.push(format!(
                "{}: {}.features: CT {} wants trusted_ca but does not start at boot; its trust is left alone",
                inv.sources.lxc, c.guest.path, c.guest.id
            )),
            // Through the guest agent, which phx-vm always configures (`agent: 1`):
            // the VM must be running, and a template never is.
            Guest::Vm(v) if v.guest.start_at_boot && !v.is_template => {
                trusting.push(phx_plan::Guest::vm(v.guest.id))
            }
            Guest::Vm(v) => warnings.push(format!(
                "{}: {}.features: VM {} wants trusted_ca but {}; its trust is left alone",
                inv.sources.vm,
                v.guest.path,
                v.guest.id,
                if v.is_template {
                    "is a template (never running)"
                } else {
                    "does not start at boot"
                }
            )),
        }
    }
    let export_dir = export_dir(inv, ca.map(|c| c.0), &mut p);
    if !p.is_empty() {
        p.warnings.extend(warnings);
        return Err(p);
    }
    Ok(Topology {
        ca,
        traefik,
        trusting,
        routes,
        export_dir,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::{export_dir, service_label};
    use phx_common::config::{Problems, SharedMount, SharedVolume};

    #[test]
    fn a_shared_volume_mounted_at_ssl_must_name_the_same_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
        let mut inv = phx_common::config::load(&phx_common::config::Input::Dir(dir)).unwrap();
        // CT 102 bind-mounts /mnt/pve/tank/persistent/ssl at /ssl.
        inv.host.shared_volumes.push(SharedVolume {
            name: "certs".into(),
            host_path: "/mnt/pve/tank/other".into(),
            mounts: vec![SharedMount {
                ctid: 110,
                guest_path: "/ssl".into(),
                at: "shared_volumes.certs.mounts.\"110\"".into(),
            }],
            mode: None,
        });
        let mut p = Problems::default();
        export_dir(&inv, Some(103), &mut p);
        let x = &p.list[0];
        assert!(x.file.ends_with("phoenix_hypervisor_config.json"), "{x}");
        assert_eq!(x.path, "shared_volumes.certs.mounts.\"110\"");
        assert!(
            x.expected
                .starts_with("the same host directory for every /ssl mount"),
            "{x}"
        );
    }

    #[test]
    fn service_labels() {
        assert_eq!(service_label("git", "t.example"), Some("git"));
        assert_eq!(service_label("git.t.example", "t.example"), Some("git"));
        assert_eq!(service_label("a.b", "t.example"), None);
        assert_eq!(service_label("under_score", "t.example"), None);
    }
}
