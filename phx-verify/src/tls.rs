//! TLS checks with the programs every Proxmox host has (pve-manager depends
//! on openssl and curl): `openssl s_client` for the served chain — verified
//! against the exported root with the name checked, the leaf's dates read
//! with `openssl x509` — and `curl --cacert` for what answers over it.
//! Shelling out keeps TLS code and a certificate parser out of Phoenix; the
//! checks read only public certificates.

use crate::cert_time;
use crate::run::bounded;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(15);

/// The leaf certificate served for `host` at `ip:port`, checked.
#[derive(Debug)]
pub struct Served {
    pub not_before: i64,
    pub not_after: i64,
}

/// `Verify return code: 0 (ok)` → `(0, "ok")`.
fn verify_code(out: &str) -> Option<(u32, String)> {
    let line = out
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Verify return code: "))?;
    let (code, text) = line.split_once(' ')?;
    Some((
        code.parse().ok()?,
        text.trim_matches(|c| c == '(' || c == ')').to_string(),
    ))
}

fn first_pem(out: &str) -> Option<&str> {
    let start = out.find("-----BEGIN CERTIFICATE-----")?;
    let end_mark = "-----END CERTIFICATE-----";
    let end = start + out[start..].find(end_mark)? + end_mark.len();
    Some(&out[start..end])
}

/// Connects, verifies the chain to `root` and the name `host`, and reads
/// the leaf's validity.
pub fn served(ip: Ipv4Addr, port: u16, host: &str, root: &Path) -> Result<Served, String> {
    let mut c = Command::new("openssl");
    c.arg("s_client")
        .args(["-connect", &format!("{ip}:{port}")])
        .args(["-servername", host, "-verify_hostname", host])
        .arg("-CAfile")
        .arg(root)
        .arg("-showcerts");
    let ran = bounded(c, LIMIT)?;
    let Some(leaf) = first_pem(&ran.stdout) else {
        let why = ran
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no certificate served");
        return Err(format!(
            "no TLS handshake with {ip}:{port} for {host}: {}",
            why.trim()
        ));
    };
    match verify_code(&ran.stdout) {
        Some((0, _)) => {}
        Some((n, text)) => {
            let who = x509(leaf, &["-subject", "-issuer"])
                .map(|o| o.lines().map(str::trim).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            return Err(format!(
                "the certificate served for {host} at {ip}:{port} does not verify against the root: {text} (openssl verify code {n}; {who})"
            ));
        }
        None => {
            return Err(format!(
                "openssl s_client printed no verification result for {host}"
            ))
        }
    }
    dates(leaf).map_err(|e| format!("{host}: {e}"))
}

/// `openssl x509 -noout ARGS` on one PEM certificate: its output.
fn x509(leaf: &str, args: &[&str]) -> Result<String, String> {
    let tmp = std::env::temp_dir().join(format!("phx-verify.{}.leaf.pem", std::process::id()));
    std::fs::write(&tmp, leaf).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut c = Command::new("openssl");
    c.args(["x509", "-noout"]).args(args).arg("-in").arg(&tmp);
    let ran = bounded(c, LIMIT);
    let _ = std::fs::remove_file(&tmp);
    Ok(ran?.stdout)
}

fn dates(leaf: &str) -> Result<Served, String> {
    let out = x509(leaf, &["-startdate", "-enddate"])?;
    let field = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(cert_time::parse)
            .ok_or_else(|| format!("openssl x509 printed no {k}: {}", out.trim()))
    };
    Ok(Served {
        not_before: field("notBefore=")?,
        not_after: field("notAfter=")?,
    })
}

/// `curl --cacert root` to `https://host:port/path`, the name resolved to
/// `ip`: the HTTP status and the body's first kilobytes.
pub fn get(
    ip: Ipv4Addr,
    port: u16,
    host: &str,
    path: &str,
    root: &Path,
) -> Result<(u16, String), String> {
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "10", "--max-filesize", "65536"])
        .arg("--cacert")
        .arg(root)
        .args(["--resolve", &format!("{host}:{port}:{ip}")])
        .args(["-w", "\n%{http_code}"])
        .arg(format!("https://{host}:{port}{path}"));
    let ran = bounded(c, LIMIT)?;
    let (body, code) = ran.stdout.rsplit_once('\n').unwrap_or(("", &ran.stdout));
    let code: u16 = code.trim().parse().unwrap_or(0);
    if ran.code != Some(0) || code == 0 {
        let why = ran.stderr.trim();
        return Err(format!(
            "https://{host}:{port}{path} (at {ip}) did not answer: {why}"
        ));
    }
    Ok((code, body.chars().take(2048).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s_client_output() {
        let out = "CONNECTED(00000003)\n---\nCertificate chain\n -----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n    Verify return code: 62 (hostname mismatch)\n";
        assert_eq!(verify_code(out), Some((62, "hostname mismatch".into())));
        assert_eq!(
            first_pem(out),
            Some("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----")
        );
        assert_eq!(verify_code("no result"), None);
    }
}
