//! What a guest publishes by name: its explicit DNS records and the
//! services Traefik routes to it.

use super::super::model::*;
use super::super::names::is_dns_name;
use super::super::raw::{List, Obj, OneOrMany, Scalar};
use super::super::reader::{At, Reader};
use crate::section;

section! {
    pub struct RawDnsRecord {
        "hostname" => hostname: Scalar,
        "name" => name: Scalar,
        "ip" => ip: Scalar,
        "wildcard" => wildcard: Scalar,
    }
    quiet: ["comment"]
}

section! {
    pub struct RawTraefikService {
        "name" => name: Scalar,
        "port" => port: Scalar,
        "scheme" => scheme: Scalar,
        "insecure_skip_verify" => insecure_skip_verify: Scalar,
    }
}

pub fn dns_records(r: &mut Reader, at: &At, v: List<Obj<RawDnsRecord>>) -> Vec<DnsRecord> {
    r.each(at, v, |r, at, item| {
        r.obj(at, item, |r, item| dns_record(r, at, item)).flatten()
    })
}

fn dns_record(r: &mut Reader, at: &At, item: RawDnsRecord) -> Option<DnsRecord> {
    let (key, host) = match (item.hostname, item.name) {
        (Some(h), _) => ("hostname", Some(h)),
        (None, n) => ("name", n),
    };
    let hostname = match host {
        // A leading `*.` asks for a wildcard record.
        Some(h) => r.opt(at, key, Some(h), |r, at, v| {
            r.token(
                at,
                v,
                |s| is_dns_name(s.strip_prefix("*.").unwrap_or(s)),
                "a DNS name (RFC 1123), optionally starting with '*.' for a wildcard",
            )
        }),
        None => {
            r.missing(at, "hostname", "a DNS name (required)");
            None
        }
    };
    let ip = r.req(
        at,
        "ip",
        item.ip,
        "an IPv4 address (required)",
        Reader::ipv4,
    );
    let wildcard_flag = r
        .opt(at, "wildcard", item.wildcard, Reader::bool)
        .unwrap_or(false);
    let (mut h, ip) = (hostname?, ip?);
    let wildcard = wildcard_flag || h.starts_with("*.");
    if h.starts_with("*.") {
        h = h.trim_start_matches("*.").to_string();
    }
    h.make_ascii_lowercase();
    Some(DnsRecord {
        wildcard,
        hostname: h,
        ip,
        file: r.file_name(),
        path: at.render(),
    })
}

pub fn traefik_services(
    r: &mut Reader,
    at: &At,
    v: OneOrMany<RawTraefikService>,
) -> Vec<TraefikService> {
    match v {
        OneOrMany::One(mut s) => {
            r.unknown_keys(at, &mut s);
            traefik_service(r, at, s).into_iter().collect()
        }
        OneOrMany::Many(items) => r.each(at, List::Items(items), |r, at, item| {
            r.obj(at, item, |r, item| traefik_service(r, at, item))
                .flatten()
        }),
        OneOrMany::Bad(shown) => {
            r.push(
                at,
                shown,
                "an object {\"name\": …, \"port\": …} or a list of them",
            );
            Vec::new()
        }
    }
}

fn traefik_service(r: &mut Reader, at: &At, item: RawTraefikService) -> Option<TraefikService> {
    let name = r.req(
        at,
        "name",
        item.name,
        "the service's DNS name (required)",
        |r, at, v| {
            r.token(at, v, is_dns_name, "a DNS name (RFC 1123)")
                .map(|s| s.to_ascii_lowercase())
        },
    );
    let port = r
        .opt(at, "port", item.port, |r, at, v| r.int(at, v, 1, 65535))
        .map(|p| p as u16);
    let scheme = r
        .opt(at, "scheme", item.scheme, |r, at, v| {
            r.token(
                at,
                v,
                |s| s == "http" || s == "https",
                "\"http\" or \"https\" (how Traefik speaks to the backend; default http)",
            )
        })
        .map(|s| match s.as_str() {
            "https" => BackendScheme::Https,
            _ => BackendScheme::Http,
        });
    let insecure = r.opt(
        at,
        "insecure_skip_verify",
        item.insecure_skip_verify,
        Reader::bool,
    );
    let scheme_given = scheme;
    let scheme = scheme.unwrap_or_default();
    let skip_at = at.key("insecure_skip_verify");
    if insecure == Some(true) {
        if scheme != BackendScheme::Https {
            r.push(
                &skip_at,
                "true",
                format!(
                    "true only with \"scheme\": \"https\" (scheme is {}{}: nothing is verified to skip)",
                    scheme.as_str(),
                    if scheme_given.is_none() { ", the default" } else { "" }
                ),
            );
        } else {
            // Said on every run: an unverified backend is a standing risk.
            let file = r.file;
            r.problems.warn(format!(
                "{file}: {}: true: Traefik does not verify this HTTPS backend's certificate (a backend served by another CA); anyone on its path can impersonate it",
                skip_at.render()
            ));
        }
    }
    Some(TraefikService {
        name: name?,
        port,
        scheme,
        insecure_skip_verify: insecure == Some(true) && scheme == BackendScheme::Https,
        path: at.render(),
    })
}
