//! Each kind of check, from the inventory and what the live estate answers.

use crate::report::{Check, Kind};
use crate::{dns, names, tls, trust};
use phx_common::Inventory;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

/// Traefik's `websecure` entry point (phx-ca's traefik.yml).
pub const HTTPS_PORT: u16 = 443;
/// A certificate living longer than this was not issued the way phx-ca
/// configures step-ca and Traefik (24 h, plus step-ca's backdating).
pub const MAX_LIFETIME_S: i64 = 25 * 3600;

pub fn dns(inv: &Inventory, server: SocketAddr) -> Vec<Check> {
    let k = Kind::Dns.word();
    if !inv.host.dns_server.enabled {
        return vec![Check::skipped(
            k,
            "dnsmasq",
            "dns_server.enabled is false: Phoenix serves no names",
        )];
    }
    names::expected(inv)
        .into_iter()
        .map(|e| match dns::ask(server, &e.name) {
            Ok(dns::Answer::Addresses(a)) if a == [e.ip] => {
                Check::ok(k, &e.name, format!("{} from {server} ({})", e.ip, e.why))
            }
            Ok(dns::Answer::Addresses(a)) if a.is_empty() => Check::failed(
                k,
                &e.name,
                format!(
                    "{server} answered no address; expected {} ({})",
                    e.ip, e.why
                ),
            ),
            Ok(dns::Answer::Addresses(a)) => {
                let got: Vec<String> = a.iter().map(|x| x.to_string()).collect();
                Check::failed(
                    k,
                    &e.name,
                    format!(
                        "{server} answered {}; expected {} ({})",
                        got.join(", "),
                        e.ip,
                        e.why
                    ),
                )
            }
            Ok(dns::Answer::Rcode(r)) => Check::failed(
                k,
                &e.name,
                format!(
                    "{server} answered {}; expected {} ({})",
                    dns::rcode_name(r),
                    e.ip,
                    e.why
                ),
            ),
            Err(why) => Check::failed(k, &e.name, why),
        })
        .collect()
}

pub fn ca(inv: &Inventory, root: Result<&Path, &str>, port: u16) -> Vec<Check> {
    let k = Kind::Ca.word();
    let Some((id, ip)) = inv
        .guest_with_feature("step_ca")
        .and_then(|g| Some((g.id(), g.ip()?)))
    else {
        return vec![Check::skipped(
            k,
            "health",
            "no step_ca guest with a static address",
        )];
    };
    let name = &inv.host.step_ca.dns_name;
    let what = format!("https://{name}:{port}/health");
    let root = match root {
        Ok(r) => r,
        Err(why) => return vec![Check::failed(k, &what, why)],
    };
    let check = match tls::get(ip, port, name, "/health", root) {
        Ok((200, body)) if body.replace(' ', "").contains("\"status\":\"ok\"") => {
            Check::ok(k, &what, format!("CT {id} at {ip}: {}", body.trim()))
        }
        Ok((code, body)) => Check::failed(
            k,
            &what,
            format!("CT {id} at {ip}: HTTP {code}: {}", body.trim()),
        ),
        Err(why) => Check::failed(k, &what, format!("CT {id}: {why}")),
    };
    vec![check]
}

pub fn routes(inv: &Inventory, root: Result<&Path, &str>, now: i64) -> Vec<Check> {
    let k = Kind::Routes.word();
    let Some(proxy) = inv.guest_with_feature("traefik").and_then(|g| g.ip()) else {
        return vec![Check::skipped(
            k,
            "traefik",
            "no traefik guest with a static address",
        )];
    };
    let domain = inv.host.domain.to_ascii_lowercase();
    let mut out = Vec::new();
    for g in inv.guests() {
        for s in g.traefik_services() {
            let host = phx_common::config::names::qualify(&s.name, &domain);
            let what = format!("https://{host}/");
            out.push(match root {
                Ok(root) => route(proxy, &host, g.id(), root, now).map_or_else(
                    |why| Check::failed(k, &what, why),
                    |ok| Check::ok(k, &what, ok),
                ),
                Err(why) => Check::failed(k, &what, why),
            });
        }
    }
    out
}

fn route(
    proxy: Ipv4Addr,
    host: &str,
    backend: u32,
    root: &Path,
    now: i64,
) -> Result<String, String> {
    let served = tls::served(proxy, HTTPS_PORT, host, root)?;
    let life = served.not_after - served.not_before;
    let left = crate::cert_time::until(served.not_after, now);
    if life > MAX_LIFETIME_S {
        return Err(format!(
            "the certificate for {host} lives {}h{:02}m; at most 25h expected (expires in {left})",
            life / 3600,
            life % 3600 / 60
        ));
    }
    if now >= served.not_after || now < served.not_before {
        return Err(format!(
            "the certificate for {host} is not valid now ({left})"
        ));
    }
    let (code, _) = tls::get(proxy, HTTPS_PORT, host, "/", root)?;
    served_by_backend(code, host, backend)?;
    Ok(format!("HTTP {code} from guest {backend} via {proxy}; certificate for {host}, chains to the root, expires in {left}"))
}

/// Whether the answer is the backend's: any 5xx is not. Traefik answers
/// 502–504 when the backend does not, and 500 when it cannot be trusted (an
/// HTTPS backend whose certificate the serversTransport's root does not
/// sign: "tls: failed to verify certificate").
fn served_by_backend(code: u16, host: &str, backend: u32) -> Result<(), String> {
    match code {
        502..=504 => Err(format!(
            "Traefik answered HTTP {code} for {host}: its backend (guest {backend}) did not"
        )),
        500..=599 => Err(format!(
            "HTTP {code} for {host}: Traefik or its backend (guest {backend}) failed (an HTTPS backend whose certificate does not verify answers 500)"
        )),
        _ => Ok(()),
    }
}

pub fn trust(inv: &Inventory, root_fp: Result<&str, &str>) -> Vec<Check> {
    let k = Kind::Trust.word();
    let mut out = Vec::new();
    for vm in inv.vms.iter().filter(|v| v.guest.has_feature("trusted_ca")) {
        let what = format!("VM {} {}", vm.guest.id, vm.guest.name);
        // phx-ca installs the root in containers and the host only (it warns).
        out.push(Check::skipped(
            k,
            what,
            "a VM: phx-ca puts no root in VMs, there is nothing to check",
        ));
    }
    for c in inv
        .lxcs
        .values()
        .filter(|c| c.guest.has_feature("trusted_ca"))
    {
        let what = format!("CT {} {}", c.guest.id, c.guest.name);
        out.push(match (trust::running(c.guest.id), root_fp) {
            (Err(why), _) => Check::failed(k, &what, why),
            (Ok(false), _) => Check::skipped(k, &what, "not running"),
            (Ok(true), Err(why)) => Check::failed(k, &what, why),
            (Ok(true), Ok(fp)) => match trust::store(c.guest.id) {
                Ok(fps) if fps.iter().any(|f| f == fp) => Check::ok(
                    k,
                    &what,
                    format!("{} holds the root (SHA-256 {fp})", trust::BUNDLE),
                ),
                Ok(fps) => Check::failed(
                    k,
                    &what,
                    format!(
                        "{} ({} certificates) lacks the root (SHA-256 {fp})",
                        trust::BUNDLE,
                        fps.len()
                    ),
                ),
                Err(why) => Check::failed(k, &what, why),
            },
        });
    }
    out
}

/// The root's fingerprint, or why there is none to check against.
pub fn root_fingerprint(root: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(root)
        .map_err(|e| format!("the exported root {}: {e}", root.display()))?;
    phx_common::pem::fingerprints(&text)
        .into_iter()
        .next()
        .ok_or_else(|| format!("the exported root {} holds no certificate", root.display()))
}

#[cfg(test)]
mod tests {
    use super::served_by_backend;

    #[test]
    fn a_5xx_is_not_the_backend_serving() {
        let h = "prometheus.internal.thinkheads.ai";
        assert!(served_by_backend(200, h, 111).is_ok());
        assert!(
            served_by_backend(404, h, 111).is_ok(),
            "the backend answered"
        );
        let untrusted = served_by_backend(500, h, 111).unwrap_err();
        assert!(untrusted.contains("HTTP 500 for prometheus"), "{untrusted}");
        assert!(served_by_backend(502, h, 111)
            .unwrap_err()
            .contains("its backend (guest 111) did not"));
    }
}
