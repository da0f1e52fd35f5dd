//! The Step-CA guest: Smallstep's apt repository, the PKI made once by
//! `step ca init` inside the guest (passwords made there too), Phoenix's
//! settings merged into ca.json, the systemd unit, and the root exported.

use crate::topology::Topology;
use phx_common::config::step_ca::duration_minutes;
use phx_common::config::StepCa;
use phx_plan::guest_steps::{self as guest, Named, Service};
use phx_plan::{argv, Action, GuestJsonStep, JsonSet, JsonUpsert, Plan};
use serde_json::{json, Map, Value};
use std::net::Ipv4Addr;

pub const STEPPATH: &str = "/etc/step-ca";
pub const CA_JSON: &str = "/etc/step-ca/config/ca.json";
pub const ROOT_CRT: &str = "/etc/step-ca/certs/root_ca.crt";
pub const INTERMEDIATE_CRT: &str = "/etc/step-ca/certs/intermediate_ca.crt";
pub const INTERMEDIATE_KEY: &str = "/etc/step-ca/secrets/intermediate_ca_key";
pub const DB_DIR: &str = "/etc/step-ca/db";
/// Decrypts the intermediate key; read by step-ca at start.
pub const PASSWORD: &str = "/etc/step-ca/secrets/password.txt";
pub const PROVISIONER_PASSWORD: &str = "/etc/step-ca/secrets/provisioner-password.txt";
pub const ACME_PROVISIONER: &str = "acme";
pub const APT_KEY_URL: &str = "https://packages.smallstep.com/keys/apt/repo-signing-key.gpg";
pub const APT_KEY: &str = "/etc/apt/keyrings/smallstep.asc";
pub const APT_LIST: &str = "/etc/apt/sources.list.d/smallstep.list";
pub const PACKAGES: [&str; 2] = ["step-cli", "step-ca"];
/// Where the host trusts the root (update-ca-certificates reads `*.crt` here).
pub const TRUST_PATH: &str = "/usr/local/share/ca-certificates/phoenix-root-ca.crt";

/// Where step-ca listens (`step ca init --address`, ca.json `address`):
/// every interface, on `step_ca.port`.
pub fn address(ca: &StepCa) -> String {
    format!(":{}", ca.port)
}

/// The ACME directory Traefik asks for certificates: the CA's name and
/// port, as the original's `https://ca.internal.thinkheads.ai:9000/acme/acme/directory`.
pub fn acme_directory(ca: &StepCa) -> String {
    format!(
        "https://{}:{}/acme/{ACME_PROVISIONER}/directory",
        ca.dns_name, ca.port
    )
}

/// `--dns` names and ca.json's `dnsNames`: the CA's name and its address.
fn dns_names(ca: &StepCa, ip: Ipv4Addr) -> Vec<String> {
    vec![ca.dns_name.clone(), ip.to_string()]
}

/// Step-CA refuses a default longer than the maximum (24h unless set).
fn claims(ca: &StepCa) -> (String, String) {
    let d = ca.default_tls_cert_duration.clone();
    let long = duration_minutes(&d).unwrap_or(0) > 24 * 60;
    (d.clone(), if long { d } else { "24h".into() })
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// What Phoenix owns in ca.json; everything else (keys, db, tls) is step's.
pub fn ca_json_edit(ctid: u32, ca: &StepCa, ip: Ipv4Addr, notify: Vec<String>) -> GuestJsonStep {
    let (default, max) = claims(ca);
    let set = |p: &str, v: Value| JsonSet {
        pointer: p.to_string(),
        value: v,
    };
    GuestJsonStep {
        guest: ctid.into(),
        path: CA_JSON.to_string(),
        set: vec![
            set("/address", json!(address(ca))),
            set("/dnsNames", json!(dns_names(ca, ip))),
            set("/authority/claims/defaultTLSCertDuration", json!(default)),
            set("/authority/claims/maxTLSCertDuration", json!(max)),
        ],
        upsert: vec![
            // The admin provisioner `step ca init --provisioner` made: its key
            // material only step can create, so it is renamed, never made.
            JsonUpsert {
                array: "/authority/provisioners".into(),
                matching: obj(json!({"type": "JWK"})),
                value: obj(json!({"name": ca.provisioner_name})),
                append: false,
            },
            JsonUpsert {
                array: "/authority/provisioners".into(),
                matching: obj(json!({"type": "ACME"})),
                value: obj(json!({"name": ACME_PROVISIONER})),
                append: true,
            },
        ],
        notify,
    }
}

/// A complete ca.json with Phoenix's settings, as `render` writes it: what a
/// CA laid out like `step ca init` does (certs/, secrets/, db/ under
/// /etc/step-ca) can start from. On a guest the file `step ca init` wrote is
/// merged with the same values (`ca_json_edit`), keeping its JWK key.
pub fn ca_json(ca: &StepCa, ip: Ipv4Addr) -> String {
    let (default, max) = claims(ca);
    let doc = json!({
        "root": ROOT_CRT,
        "crt": INTERMEDIATE_CRT,
        "key": INTERMEDIATE_KEY,
        "address": address(ca),
        "dnsNames": dns_names(ca, ip),
        "logger": {"format": "text"},
        "db": {"type": "badgerv2", "dataSource": DB_DIR},
        "authority": {
            "claims": {"defaultTLSCertDuration": default, "maxTLSCertDuration": max},
            "provisioners": [{"type": "ACME", "name": ACME_PROVISIONER}]
        }
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).expect("a JSON value")
    )
}

fn unit() -> String {
    format!(
        "[Unit]\nDescription=Step-CA, the internal certificate authority (Phoenix)\n\
         After=network-online.target\nWants=network-online.target\n\n\
         [Service]\nEnvironment=STEPPATH={STEPPATH}\n\
         ExecStart=/usr/bin/step-ca {CA_JSON} --password-file {PASSWORD}\n\
         ExecReload=/bin/kill -HUP $MAINPID\nRestart=on-failure\nRestartSec=5\n\n\
         [Install]\nWantedBy=multi-user.target\n"
    )
}

fn apt_source() -> String {
    format!("deb [signed-by={APT_KEY}] https://packages.smallstep.com/stable/debian debs main\n")
}

/// Files `render` shows for the CA guest: (path in the guest, content).
pub fn files(ca: &StepCa, ip: Ipv4Addr) -> Vec<(String, String)> {
    vec![
        (APT_LIST.to_string(), apt_source()),
        (CA_JSON.to_string(), ca_json(ca, ip)),
        ("/etc/systemd/system/step-ca.service".to_string(), unit()),
    ]
}

pub fn plan(plan: &mut Plan, topo: &Topology, ca: &StepCa) {
    let Some((ct, ip)) = topo.ca else { return };
    guest::command(
        plan,
        "ca-apt-key",
        ct,
        argv(&["curl", "-fsSL", "--create-dirs", "-o", APT_KEY, APT_KEY_URL]),
        Some(argv(&["test", "-s", APT_KEY])),
        "fetch Smallstep's apt signing key",
    );
    guest::file(plan, "ca-apt-source", ct, APT_LIST, apt_source(), &[]);
    // The index is refreshed only while the packages are missing: never on a converged guest.
    guest::apt_install(
        plan,
        ct,
        &PACKAGES,
        Named {
            id: "ca-apt-update",
            desc: "apt-get update (step-cli/step-ca missing)",
        },
        Named {
            id: "ca-install",
            desc: "install step-cli and step-ca",
        },
    );
    for (id, path) in [
        ("ca-password", PASSWORD),
        ("ca-provisioner-password", PROVISIONER_PASSWORD),
    ] {
        guest::secret(plan, id, ct, path, 32);
    }
    let mut init = argv(&["env", &format!("STEPPATH={STEPPATH}"), "step", "ca", "init"]);
    init.extend(argv(&[
        "--deployment-type",
        "standalone",
        "--name",
        &ca.ca_name,
    ]));
    for n in dns_names(ca, ip) {
        init.extend(argv(&["--dns", &n]));
    }
    init.extend(argv(&[
        "--address",
        &address(ca),
        "--provisioner",
        &ca.provisioner_name,
        "--password-file",
        PASSWORD,
        "--provisioner-password-file",
        PROVISIONER_PASSWORD,
        "--acme",
    ]));
    // Once: a second init would replace the root every guest trusts.
    guest::command(
        plan,
        "ca-init",
        ct,
        init,
        Some(argv(&["test", "-e", CA_JSON])),
        "step ca init (once; the root is never regenerated)",
    );
    let svc = Service {
        prefix: "ca",
        guest: ct.into(),
        unit: "step-ca",
    };
    plan.push(
        "ca-json",
        Action::GuestJson(ca_json_edit(ct, ca, ip, vec![svc.restart_id()])),
    );
    svc.unit_file(plan, unit());
    svc.finish(plan);
    let root = topo.exported_root();
    guest::from_guest(plan, "ca-export-root", ct, (ROOT_CRT, &root), Vec::new());
}
