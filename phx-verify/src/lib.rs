//! phx-verify: whether the live estate serves what its configuration
//! declares. Read-only: it asks DNS, opens TLS connections, and reads the
//! guests' public certificate stores; it never writes and reads no secret.

pub mod cert_time;
pub mod checks;
pub mod cli;
pub mod dns;
pub mod flows;
pub mod gpu;
pub mod http;
pub mod names;
pub mod report;
pub mod run;
pub mod tls;
pub mod trust;

use phx_common::config::Problems;
use phx_common::Inventory;
use report::{Check, Kind};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where to look, as the command line settled it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dns_server: SocketAddr,
    pub root: PathBuf,
    /// step_ca.port unless the command line overrides it.
    pub ca_port: u16,
    pub skip: Vec<Kind>,
    /// Unix seconds, for certificates' expiry.
    pub now: i64,
}

/// The host's trust-store copy of the root (phx-ca's `trust-host` step,
/// phx-ca/src/stepca.rs TRUST_PATH): the default `--root-cert`.
pub const HOST_ROOT: &str = "/usr/local/share/ca-certificates/phoenix-root-ca.crt";

/// Every check, or the problems that keep the declared flows from
/// resolving (a configuration error: nothing is checked).
pub fn verify(inv: &Inventory, s: &Settings) -> Result<Vec<Check>, Problems> {
    let flows = phx_common::flows::derive(inv)?;
    let fp = checks::root_fingerprint(&s.root);
    let root = fp
        .as_ref()
        .map(|_| s.root.as_path())
        .map_err(String::as_str);
    let mut out = Vec::new();
    let kinds = [
        Kind::Dns,
        Kind::Ca,
        Kind::Routes,
        Kind::Trust,
        Kind::Flows,
        Kind::Gpu,
        Kind::Models,
    ];
    for kind in kinds {
        if s.skip.contains(&kind) {
            out.push(Check::skipped(kind.word(), "all", "--skip"));
            continue;
        }
        out.extend(match kind {
            Kind::Dns => checks::dns(inv, s.dns_server),
            Kind::Ca => checks::ca(inv, root, s.ca_port),
            Kind::Routes => checks::routes(inv, root, s.now),
            Kind::Trust => checks::trust(inv, fp.as_deref().map_err(String::as_str)),
            Kind::Flows => flows::check(inv, &flows),
            Kind::Gpu => gpu::drivers(inv),
            Kind::Models => gpu::servers(inv),
        });
    }
    Ok(out)
}
