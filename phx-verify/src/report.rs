//! The checks' results: one line each and a summary, or one JSON document.

use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Every declared name answers its address from the host's dnsmasq.
    Dns,
    /// The CA's /health over TLS, chaining to the exported root.
    Ca,
    /// Each Traefik route over HTTPS: certificate for its name, chain, lifetime.
    Routes,
    /// Each running trusted_ca guest's store holds the root.
    Trust,
    /// Each declared tcp flow connects from its source (the host, or a
    /// running container through pct exec).
    Flows,
    /// nvidia-smi on the host and in each running GPU container: the
    /// configured driver version.
    Gpu,
    /// Each running vLLM and Ollama server answers its model list.
    Models,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Dns => "dns",
            Kind::Ca => "ca",
            Kind::Routes => "route",
            Kind::Trust => "trust",
            Kind::Flows => "flow",
            Kind::Gpu => "gpu",
            Kind::Models => "model",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub kind: &'static str,
    /// What was checked: a name, a route, a guest.
    pub name: String,
    pub status: Status,
    pub detail: String,
}

impl Check {
    pub fn ok(kind: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            kind,
            name: name.into(),
            status: Status::Ok,
            detail: detail.into(),
        }
    }
    pub fn failed(kind: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            kind,
            name: name.into(),
            status: Status::Failed,
            detail: detail.into(),
        }
    }
    pub fn skipped(
        kind: &'static str,
        name: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            kind,
            name: name.into(),
            status: Status::Skipped,
            detail: detail.into(),
        }
    }
}

fn count(checks: &[Check], s: Status) -> usize {
    checks.iter().filter(|c| c.status == s).count()
}

pub fn summary(checks: &[Check]) -> String {
    format!(
        "{} checks: {} ok, {} failed, {} skipped",
        checks.len(),
        count(checks, Status::Ok),
        count(checks, Status::Failed),
        count(checks, Status::Skipped)
    )
}

pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let word = match c.status {
            Status::Ok => "ok",
            Status::Failed => "FAIL",
            Status::Skipped => "skip",
        };
        out.push_str(&format!(
            "{word:<5} {:<6} {}: {}\n",
            c.kind, c.name, c.detail
        ));
    }
    out.push_str(&summary(checks));
    out.push('\n');
    out
}

pub fn json(checks: &[Check]) -> String {
    let items: Vec<_> = checks
        .iter()
        .map(|c| {
            let status = match c.status {
                Status::Ok => "ok",
                Status::Failed => "failed",
                Status::Skipped => "skipped",
            };
            json!({"kind": c.kind, "name": c.name, "status": status, "detail": c.detail})
        })
        .collect();
    let doc = json!({
        "checks": items,
        "ok": count(checks, Status::Ok),
        "failed": count(checks, Status::Failed),
        "skipped": count(checks, Status::Skipped),
    });
    format!("{doc}\n")
}

pub fn any_failed(checks: &[Check]) -> bool {
    count(checks, Status::Failed) > 0
}
