//! `traefik_service.scheme` and `insecure_skip_verify`: an HTTPS backend is
//! reached over TLS verified against the exported root; one served by
//! another CA only when the JSON says so, with a warning on every run.
//!
//! The YAML's shape is Traefik's documented dynamic configuration
//! (routing-configuration/http/load-balancing/serverstransport:
//! `http.serversTransports.<name>.rootCAs` / `insecureSkipVerify`, and
//! `http.services.<s>.loadBalancer.serversTransport: <name>`); no Traefik
//! runs here (the e2e chain's HTTPS backend is another brief's).

use crate::common::*;
use assert_cmd::Command;
use serde_json::json;
use std::path::Path;

const LXC: &str = "phoenix_lxc_configs.json";

/// `phx-ca render` of `cfg`: (the dynamic file, stderr).
fn render(cfg: &Path) -> (String, String) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::cargo_bin("phx-ca")
        .unwrap()
        .args(["render", "--config-dir"])
        .arg(cfg)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{err}");
    let dynamic = out
        .path()
        .join("guests/102/etc/traefik/dynamic/phoenix.yml");
    (std::fs::read_to_string(dynamic).unwrap(), err)
}

/// The example with Grafana (CT 111) served over HTTPS, as `extra` says.
fn grafana_https(extra: serde_json::Value) -> tempfile::TempDir {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(LXC), |v| {
        let grafana = &mut v["lxc_configs"]["111"]["traefik_service"][0];
        assert_eq!(grafana["name"], "grafana", "the example's CT 111 changed");
        grafana["scheme"] = json!("https");
        for (k, x) in extra.as_object().unwrap() {
            grafana[k] = x.clone();
        }
    });
    cfg
}

#[test]
fn http_is_the_default_and_needs_no_transport() {
    let (dynamic, err) = render(&example_dir());
    assert!(
        dynamic.contains("url: \"http://10.0.0.110:3000\""),
        "{dynamic}"
    );
    assert!(!dynamic.contains("serversTransport"), "{dynamic}");
    assert!(!err.contains("insecure_skip_verify"), "{err}");
}

#[test]
fn an_https_backend_is_verified_against_the_exported_root() {
    let cfg = grafana_https(json!({}));
    let (dynamic, err) = render(cfg.path());
    let expected = "\
    grafana:
      loadBalancer:
        servers:
          - url: \"https://10.0.0.111:3000\"
        serversTransport: \"phoenix-root\"
";
    assert!(dynamic.contains(expected), "{dynamic}");
    let transports = "\
  serversTransports:
    phoenix-root:
      rootCAs:
        - \"/etc/traefik/phoenix-root-ca.crt\"
";
    assert!(dynamic.ends_with(transports), "{dynamic}");
    // The other routes stay plain HTTP, with no transport.
    assert!(
        dynamic.contains("url: \"http://10.0.0.111:9090\""),
        "{dynamic}"
    );
    assert_eq!(dynamic.matches("serversTransport:").count(), 1, "{dynamic}");
    assert!(!err.contains("insecure_skip_verify"), "{err}");
}

#[test]
fn another_cas_backend_is_unverified_only_when_written_and_warned_about() {
    let cfg = grafana_https(json!({"insecure_skip_verify": true}));
    let (dynamic, err) = render(cfg.path());
    assert!(
        dynamic.contains("serversTransport: \"phoenix-insecure\"\n"),
        "{dynamic}"
    );
    assert!(
        dynamic.ends_with("    phoenix-insecure:\n      insecureSkipVerify: true\n"),
        "{dynamic}"
    );
    assert!(!dynamic.contains("phoenix-root:"), "{dynamic}");
    assert!(
        err.contains(&format!(
            "{LXC}: lxc_configs.\"111\".traefik_service[0].insecure_skip_verify: true: Traefik does not verify"
        )),
        "{err}"
    );
    // On every run: the plan says it too.
    let plan = Command::cargo_bin("phx-ca")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg.path())
        .output()
        .unwrap();
    assert!(plan.status.success());
    assert!(String::from_utf8_lossy(&plan.stderr).contains("insecure_skip_verify: true"));
}

/// Exit 2, nothing on stdout, and `expected` on stderr.
fn refused(edit: serde_json::Value, expected: &str) {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(LXC), |v| {
        let svc = &mut v["lxc_configs"]["110"]["traefik_service"];
        for (k, x) in edit.as_object().unwrap() {
            svc[k] = x.clone();
        }
    });
    let out = Command::cargo_bin("phx-ca")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains(expected), "{expected} not in:\n{err}");
}

#[test]
fn a_bad_scheme_is_refused() {
    refused(
        json!({"scheme": "HTTPS"}),
        &format!(
            "{LXC}: lxc_configs.\"110\".traefik_service.scheme: \"HTTPS\": \"http\" or \"https\""
        ),
    );
}

#[test]
fn skipping_verification_without_tls_is_refused() {
    refused(
        json!({"insecure_skip_verify": true}),
        &format!("{LXC}: lxc_configs.\"110\".traefik_service.insecure_skip_verify: true: true only with \"scheme\": \"https\" (scheme is http, the default"),
    );
    refused(
        json!({"scheme": "https", "insecure_skip_verify": "yes"}),
        &format!("{LXC}: lxc_configs.\"110\".traefik_service.insecure_skip_verify: \"yes\""),
    );
}
