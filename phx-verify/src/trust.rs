//! The root in a trusting guest's store, read through `pct exec` as phx-ca
//! reads guests: the bundle update-ca-certificates builds, so a root copied
//! in but never added to the store is found missing.

use crate::run::bounded;
use std::process::Command;
use std::time::Duration;

/// What update-ca-certificates writes on Debian and Ubuntu guests.
pub const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

const LIMIT: Duration = Duration::from_secs(30);

/// `Ok(true)` running, `Ok(false)` not; `pct status` prints `status: running`.
pub fn running(ctid: u32) -> Result<bool, String> {
    let mut c = Command::new("pct");
    c.args(["status", &ctid.to_string()]);
    let ran = bounded(c, LIMIT)?;
    if ran.code != Some(0) {
        return Err(format!("pct status {ctid} failed: {}", ran.stderr.trim()));
    }
    Ok(ran.stdout.trim() == "status: running")
}

/// The fingerprints of the certificates in the guest's bundle.
pub fn store(ctid: u32) -> Result<Vec<String>, String> {
    let mut c = Command::new("pct");
    c.args(["exec", &ctid.to_string(), "--", "cat", BUNDLE]);
    let ran = bounded(c, LIMIT)?;
    if ran.code != Some(0) {
        return Err(format!(
            "cannot read {BUNDLE} in CT {ctid}: {}",
            ran.stderr.trim()
        ));
    }
    Ok(phx_common::pem::fingerprints(&ran.stdout))
}
