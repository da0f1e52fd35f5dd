//! The Traefik guest: the binary installed as the original did (a release
//! tarball into /usr/local/bin, once), the static configuration with one ACME
//! resolver pointed at Step-CA, and the routes in a watched dynamic file, so
//! a route change needs no restart and a static change restarts Traefik.

use crate::stepca;
use crate::topology::{Route, Topology};
use crate::yaml::{map, s, to_string, Yaml};
use phx_common::config::step_ca::duration_minutes;
use phx_common::config::{BackendScheme, StepCa};
use phx_plan::guest_steps::{self as guest, Service};
use phx_plan::{argv, Plan};

pub const VERSION: &str = "v3.7.15";
pub const BINARY: &str = "/usr/local/bin/traefik";
pub const STATIC: &str = "/etc/traefik/traefik.yml";
pub const DYNAMIC_DIR: &str = "/etc/traefik/dynamic";
pub const DYNAMIC: &str = "/etc/traefik/dynamic/phoenix.yml";
pub const ACME_STORAGE: &str = "/etc/traefik/acme.json";
/// The root, given to the resolver alone (`caCertificates`), not to the
/// whole process as LEGO_CA_CERTIFICATES would.
pub const ROOT_CA: &str = "/etc/traefik/phoenix-root-ca.crt";
pub const RESOLVER: &str = "phoenix";
/// The serversTransport of HTTPS backends: verified against the exported
/// root, the one the resolver trusts (`ROOT_CA`).
pub const TRANSPORT_VERIFIED: &str = "phoenix-root";
/// The serversTransport of HTTPS backends marked `insecure_skip_verify`.
pub const TRANSPORT_UNVERIFIED: &str = "phoenix-insecure";

fn release_url() -> String {
    format!("https://github.com/traefik/traefik/releases/download/{VERSION}/traefik_{VERSION}_linux_amd64.tar.gz")
}

/// Where the release tarball waits between download and unpacking.
const TARBALL: &str = "/tmp/phx-traefik.tar.gz";

/// Traefik's `certificatesDuration` (whole hours) for the lifetime Step-CA
/// gives its certificates: Traefik schedules renewal from it, so its
/// default (90 days) or a fixed 24 with a longer CA duration would renew
/// at the wrong time. Rounded down (a 90m lifetime is 1 hour), so Traefik
/// never takes a certificate to live longer than it does; 1 at least, the
/// smallest value Traefik takes.
pub fn certificates_duration_hours(ca: &StepCa) -> i64 {
    let minutes = duration_minutes(&ca.default_tls_cert_duration).unwrap_or(24 * 60);
    i64::try_from(minutes / 60).unwrap_or(i64::MAX).max(1)
}

pub fn static_config(ca: &StepCa) -> String {
    let web = map(vec![
        ("address", s(":80")),
        (
            "http",
            map(vec![(
                "redirections",
                map(vec![(
                    "entryPoint",
                    map(vec![("to", s("websecure")), ("scheme", s("https"))]),
                )]),
            )]),
        ),
    ]);
    let acme = map(vec![
        ("caServer", s(stepca::acme_directory(ca))),
        (
            "certificatesDuration",
            Yaml::Int(certificates_duration_hours(ca)),
        ),
        ("caCertificates", Yaml::List(vec![s(ROOT_CA)])),
        ("storage", s(ACME_STORAGE)),
        ("httpChallenge", map(vec![("entryPoint", s("web"))])),
    ]);
    let doc = map(vec![
        (
            "entryPoints",
            map(vec![
                ("web", web),
                ("websecure", map(vec![("address", s(":443"))])),
            ]),
        ),
        (
            "providers",
            map(vec![(
                "file",
                map(vec![
                    ("directory", s(DYNAMIC_DIR)),
                    ("watch", Yaml::Bool(true)),
                ]),
            )]),
        ),
        (
            "certificatesResolvers",
            map(vec![(RESOLVER, map(vec![("acme", acme)]))]),
        ),
        (
            "log",
            map(vec![("level", s("INFO")), ("noColor", Yaml::Bool(true))]),
        ),
        // No calls home: the version check and usage statistics would reach the internet.
        (
            "global",
            map(vec![
                ("checkNewVersion", Yaml::Bool(false)),
                ("sendAnonymousUsage", Yaml::Bool(false)),
            ]),
        ),
    ]);
    format!(
        "# Written by Phoenix (phx-ca); local edits are replaced.\n{}",
        to_string(&doc)
    )
}

pub fn dynamic_config(routes: &[Route]) -> String {
    let routers = routes
        .iter()
        .map(|r| {
            let router = map(vec![
                ("rule", s(format!("Host(`{}`)", r.host))),
                ("entryPoints", Yaml::List(vec![s("websecure")])),
                ("service", s(&r.name)),
                ("tls", map(vec![("certResolver", s(RESOLVER))])),
            ]);
            (r.name.clone(), router)
        })
        .collect();
    let services = routes
        .iter()
        .map(|r| {
            let url = format!("{}://{}:{}", r.scheme.as_str(), r.backend_ip, r.port);
            let mut lb = vec![("servers", Yaml::List(vec![map(vec![("url", s(url))])]))];
            if let Some(t) = transport_of(r) {
                lb.push(("serversTransport", s(t)));
            }
            (r.name.clone(), map(vec![("loadBalancer", map(lb))]))
        })
        .collect();
    let mut http = vec![
        ("routers", Yaml::Map(routers)),
        ("services", Yaml::Map(services)),
    ];
    let transports = servers_transports(routes);
    if !transports.is_empty() {
        http.push(("serversTransports", Yaml::Map(transports)));
    }
    let doc = map(vec![("http", map(http))]);
    format!(
        "# Written by Phoenix (phx-ca) from every traefik_service; Traefik watches this file.\n{}",
        to_string(&doc)
    )
}

/// The serversTransport an HTTPS backend is reached through; none for HTTP.
fn transport_of(r: &Route) -> Option<&'static str> {
    match (r.scheme, r.insecure_skip_verify) {
        (BackendScheme::Http, _) => None,
        (BackendScheme::Https, false) => Some(TRANSPORT_VERIFIED),
        (BackendScheme::Https, true) => Some(TRANSPORT_UNVERIFIED),
    }
}

/// Only the transports some route uses: the verified one trusts the
/// exported root alone (`rootCAs`), not the system pool, as the resolver.
fn servers_transports(routes: &[Route]) -> Vec<(String, Yaml)> {
    let used = |t: &str| routes.iter().any(|r| transport_of(r) == Some(t));
    let mut out = Vec::new();
    if used(TRANSPORT_VERIFIED) {
        out.push((
            TRANSPORT_VERIFIED.to_string(),
            map(vec![("rootCAs", Yaml::List(vec![s(ROOT_CA)]))]),
        ));
    }
    if used(TRANSPORT_UNVERIFIED) {
        out.push((
            TRANSPORT_UNVERIFIED.to_string(),
            map(vec![("insecureSkipVerify", Yaml::Bool(true))]),
        ));
    }
    out
}

fn unit() -> String {
    format!(
        "[Unit]\nDescription=Traefik reverse proxy (Phoenix)\n\
         After=network-online.target\nWants=network-online.target\n\n\
         [Service]\nExecStart={BINARY} --configFile={STATIC}\n\
         Restart=on-failure\nRestartSec=5\n\n\
         [Install]\nWantedBy=multi-user.target\n"
    )
}

/// Files `render` shows for the Traefik guest: (path in the guest, content).
pub fn files(ca: &StepCa, routes: &[Route]) -> Vec<(String, String)> {
    vec![
        (STATIC.to_string(), static_config(ca)),
        (DYNAMIC.to_string(), dynamic_config(routes)),
        ("/etc/systemd/system/traefik.service".to_string(), unit()),
    ]
}

pub fn plan(plan: &mut Plan, topo: &Topology, ca: &StepCa) {
    let Some((ct, _)) = topo.traefik else { return };
    // As the original: the release tarball, unpacked into /usr/local/bin, once.
    let missing = Some(argv(&["test", "-x", BINARY]));
    guest::command(
        plan,
        "traefik-download",
        ct,
        argv(&["wget", "-qO", TARBALL, &release_url()]),
        missing.clone(),
        &format!("download Traefik {VERSION}"),
    );
    guest::command(
        plan,
        "traefik-install",
        ct,
        argv(&["tar", "-xzf", TARBALL, "-C", "/usr/local/bin", "traefik"]),
        missing,
        &format!("install Traefik {VERSION} as {BINARY}"),
    );
    guest::command_only_if(
        plan,
        "traefik-tarball-removed",
        ct,
        argv(&["rm", "-f", TARBALL]),
        argv(&["test", "-e", TARBALL]),
        "remove the downloaded tarball",
    );
    let svc = Service {
        prefix: "traefik",
        guest: ct.into(),
        unit: "traefik",
    };
    let restart = svc.restart_id();
    guest::copy_of(
        plan,
        "traefik-root-ca",
        ct,
        ROOT_CA,
        &topo.exported_root(),
        &[&restart],
    );
    guest::file(
        plan,
        "traefik-static",
        ct,
        STATIC,
        static_config(ca),
        &[&restart],
    );
    guest::command(
        plan,
        "traefik-acme-storage",
        ct,
        argv(&["install", "-m", "0600", "/dev/null", ACME_STORAGE]),
        Some(argv(&["test", "-e", ACME_STORAGE])),
        "create acme.json (mode 0600, as Traefik demands)",
    );
    // No notify: the file provider watches the directory.
    guest::file(
        plan,
        "traefik-routes",
        ct,
        DYNAMIC,
        dynamic_config(&topo.routes),
        &[],
    );
    svc.unit_file(plan, unit());
    svc.finish(plan);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca(duration: &str) -> StepCa {
        StepCa {
            dns_name: "ca.lan".into(),
            ca_name: "Phoenix".into(),
            provisioner_name: "admin@lan".into(),
            default_tls_cert_duration: duration.into(),
            port: 9000,
        }
    }

    #[test]
    fn certificates_duration_follows_the_cas_lifetime() {
        assert!(static_config(&ca("24h")).contains("certificatesDuration: 24\n"));
        assert!(static_config(&ca("168h")).contains("certificatesDuration: 168\n"));
        assert!(static_config(&ca("90m")).contains("certificatesDuration: 1\n"));
        assert!(static_config(&ca("30m")).contains("certificatesDuration: 1\n"));
    }
}
