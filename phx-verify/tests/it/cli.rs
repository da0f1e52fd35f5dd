//! The command line's contract: exit 2 and nothing on stdout for bad input,
//! exit 1 with every failing check named, `--json` one document.

use assert_cmd::Command;
use phx_testkit::example_dir;
use std::net::UdpSocket;

/// A loopback UDP port nobody listens on: queries are refused at once.
fn closed_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_bad_configuration_is_exit_2_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("phx-verify")
        .unwrap()
        .arg("--config-dir")
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

#[test]
fn every_unanswered_name_and_the_missing_root_are_named_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let server = format!("127.0.0.1:{}", closed_port());
    let out = Command::cargo_bin("phx-verify")
        .unwrap()
        .arg("--config-dir")
        .arg(example_dir())
        .args([
            "--dns-server",
            &server,
            "--skip",
            "trust",
            "--json",
            "--root-cert",
        ])
        .arg(dir.path().join("no-root.crt"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let checks = doc["checks"].as_array().unwrap();
    let failed: Vec<(&str, &str)> = checks
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| (c["kind"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    for name in [
        "ca.internal.thinkheads.ai",
        "git.internal.thinkheads.ai",
        "builder.internal.thinkheads.ai",
    ] {
        assert!(
            failed.contains(&("dns", name)),
            "{name} not failed: {failed:?}"
        );
    }
    let ca_name = checks
        .iter()
        .find(|c| c["kind"] == "dns" && c["name"] == "ca.internal.thinkheads.ai")
        .unwrap();
    assert_eq!(
        ca_name["detail"],
        format!("{server} refused the query: no DNS server listens there")
    );
    for route in ["git", "grafana", "prometheus"] {
        let what = format!("https://{route}.internal.thinkheads.ai/");
        let check = checks
            .iter()
            .find(|c| c["name"] == what.as_str())
            .expect("each route checked");
        assert_eq!(check["status"], "failed");
        assert!(
            check["detail"].as_str().unwrap().contains("no-root.crt"),
            "{check}"
        );
    }
    assert!(
        failed.contains(&("ca", "https://ca.internal.thinkheads.ai:9000/health")),
        "{failed:?}"
    );
    assert_eq!(doc["failed"].as_u64().unwrap() as usize, failed.len());
    // Trust, skipped on request, and the host's GPU driver: the example
    // sets no nvidia_driver.
    assert_eq!(doc["skipped"], 2, "{checks:?}");
    assert!(checks.iter().any(|c| c["kind"] == "gpu"
        && c["status"] == "skipped"
        && c["detail"] == "nvidia_driver.install is not true"));
    assert_eq!(doc["ok"], 0);
}

/// The CA is looked for where the configuration puts it (step_ca.port),
/// and `--ca-port` overrides that.
#[test]
fn the_ca_port_is_step_ca_port_unless_overridden() {
    let cfg = phx_testkit::copy_config(&example_dir());
    phx_testkit::edit_json(&cfg.path().join(phx_testkit::HYP), |doc| {
        doc["step_ca"]["port"] = 9443.into();
    });
    let ca_line = |more: &[&str]| {
        let out = Command::cargo_bin("phx-verify")
            .unwrap()
            .arg("--config-dir")
            .arg(cfg.path())
            .args(["--skip", "dns", "--skip", "routes", "--skip", "trust"])
            .args(["--root-cert", "/nonexistent/root.crt"])
            .args(more)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stdout
            .lines()
            .find(|l| l.starts_with("FAIL  ca "))
            .unwrap_or_else(|| panic!("{stdout}"))
            .to_string()
    };
    assert!(
        ca_line(&[]).contains("https://ca.internal.thinkheads.ai:9443/health"),
        "{}",
        ca_line(&[])
    );
    assert!(
        ca_line(&["--ca-port", "8443"]).contains("https://ca.internal.thinkheads.ai:8443/health"),
        "{}",
        ca_line(&["--ca-port", "8443"])
    );
}
