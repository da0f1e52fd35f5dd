//! What the original's scripts hard-coded, with the script and line each
//! value comes from (SirHeads/Testing-ideas, under
//! usr/local/phoenix_hypervisor/bin/), and the additions it makes to the
//! documents.

use crate::original::{Layout, HYPERVISOR};
use serde_json::{json, Map, Value};

/// One change made to the original's files, listed on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `file: json.path`
    pub at: String,
    /// What was done: `= value`, `kept …`, `removed …`.
    pub what: String,
    /// Script and line (and revision) the value comes from, or why.
    pub source: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (from {})", self.at, self.what, self.source)
    }
}

pub const CA_DNS_NAME: &str = "ca.internal.thinkheads.ai";
pub const CA_PORT: u16 = 9000;

/// `CA_DNS=` and `CA_ADDRESS=` in phoenix_hypervisor_lxc_103.sh.
fn ca_lines(layout: Layout) -> (&'static str, &'static str) {
    match layout {
        Layout::Rev260ca13 => (
            "phoenix_hypervisor_lxc_103.sh:26 at 260ca13: CA_DNS=\"ca.internal.thinkheads.ai\"",
            "phoenix_hypervisor_lxc_103.sh:27 at 260ca13: CA_ADDRESS=\":9000\"",
        ),
        Layout::Head => (
            "phoenix_hypervisor_lxc_103.sh:29 at 0385ea2: CA_DNS=\"ca.internal.thinkheads.ai\"",
            "phoenix_hypervisor_lxc_103.sh:30 at 0385ea2: CA_ADDRESS=\":9000\"",
        ),
    }
}

/// A route of 260ca13's Traefik dynamic configuration: the service label,
/// the backend's address and port, and the lines of its router and server.
pub struct Route {
    pub name: &'static str,
    pub ip: &'static str,
    pub port: u16,
    pub lines: &'static str,
}

/// The four routes `phoenix_hypervisor_lxc_102.sh` wrote at 260ca13 into
/// /etc/traefik/dynamic/dynamic_conf.yml (its dashboard router, served by
/// Traefik itself, has no backend and no `traefik_service`).
pub const ROUTES_260CA13: [Route; 4] = [
    Route {
        name: "granite-embedding",
        ip: "10.0.0.141",
        port: 8000,
        lines: "236 and 271",
    },
    Route {
        name: "granite-3b",
        ip: "10.0.0.142",
        port: 8000,
        lines: "244 and 276",
    },
    Route {
        name: "ollama",
        ip: "10.0.0.155",
        port: 11434,
        lines: "252 and 281",
    },
    Route {
        name: "llamacpp",
        ip: "10.0.0.157",
        port: 8081,
        lines: "260 and 286",
    },
];

/// The CA's name and port in the hypervisor file's `step_ca`, unless the
/// file already says otherwise (then it is kept, and that is listed).
pub fn step_ca(hypervisor: &mut Value, layout: Layout, changes: &mut Vec<Change>) {
    let (dns_line, port_line) = ca_lines(layout);
    let root = hypervisor.as_object_mut().expect("checked on reading");
    let step_ca = root
        .entry("step_ca")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(step_ca) = step_ca.as_object_mut() else {
        changes.push(Change {
            at: format!("{HYPERVISOR}: step_ca"),
            what: format!("kept as it is ({step_ca}), not an object: nothing added"),
            source: dns_line.to_string(),
        });
        return;
    };
    for (key, value, line) in [
        ("dns_name", json!(CA_DNS_NAME), dns_line),
        ("port", json!(CA_PORT), port_line),
    ] {
        let at = format!("{HYPERVISOR}: step_ca.{key}");
        match step_ca.get(key) {
            Some(had) if *had == value => changes.push(Change {
                at,
                what: format!("{value} already, as the script had it"),
                source: line.to_string(),
            }),
            Some(had) => changes.push(Change {
                at,
                what: format!("kept {had}; the script had {value}"),
                source: line.to_string(),
            }),
            None => {
                step_ca.insert(key.to_string(), value.clone());
                changes.push(Change {
                    at,
                    what: format!("= {value}"),
                    source: line.to_string(),
                });
            }
        }
    }
}
