//! The certificate chain end to end with the real programs: dnsmasq, step-ca
//! 0.19, Traefik 3.7 and python backends in private network namespaces, run
//! by `tests/e2e/run-ca-chain` (see `tests/e2e/README.md`).
//!
//! Needs root (namespaces) and the test tools (`scripts/build-step-ca`,
//! `scripts/install-traefik`, and dnsmasq, curl, openssl, python3-yaml,
//! which `.ci/run` installs). Without them the tests fail, unless
//! `PHX_SKIP_E2E=ca` skips them explicitly.

mod estate;

use phx_testkit::{copy_config, edit_json, example_dir, which, workspace as repo, LXC};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cache() -> PathBuf {
    std::env::var_os("PHX_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/phoenix-test"))
}

/// What is missing to run the chain, or None when everything is there.
fn missing_tools() -> Option<String> {
    let mut missing = Vec::new();
    for bin in ["step-ca", "traefik"] {
        if !cache().join("bin").join(bin).exists() {
            missing.push(format!(
                "{} (scripts/build-step-ca, scripts/install-traefik)",
                cache().join("bin").join(bin).display()
            ));
        }
    }
    for tool in ["dnsmasq", "curl", "openssl", "ip", "unshare", "nsenter"] {
        if which(tool).is_none() && !Path::new("/usr/sbin").join(tool).is_file() {
            missing.push(tool.to_string());
        }
    }
    let yaml = Command::new("/usr/bin/python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !yaml {
        missing.push("/usr/bin/python3 with PyYAML (python3-yaml)".to_string());
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether the chain can run here: without root or a tool it fails, unless
/// `PHX_SKIP_E2E` names `ca`.
fn can_run(test: &str) -> bool {
    let missing = if is_root() {
        missing_tools()
    } else {
        Some("root (for network and mount namespaces)".to_string())
    };
    phx_testkit::real_component(test, "ca", missing)
}

fn run_chain(render: &Path, then: Option<&Path>) -> Output {
    run_chain_with(&example_dir(), render, then, &[])
}

fn run_chain_with(
    config: &Path,
    render: &Path,
    then: Option<&Path>,
    more: &[&std::ffi::OsStr],
) -> Output {
    let mut cmd = Command::new(repo().join("tests/e2e/run-ca-chain"));
    cmd.arg("--config-dir").arg(config).arg(render).args(more);
    if let Some(t) = then {
        cmd.arg("--then").arg(t);
    }
    cmd.output().expect("run tests/e2e/run-ca-chain")
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/e2e/fixtures").join(name)
}

#[test]
fn every_route_serves_its_backend_with_a_24h_certificate_and_a_route_change_needs_no_restart() {
    if !can_run("e2e_chain") {
        return;
    }
    let out = run_chain(&fixture("example"), Some(&fixture("example-git-port-3001")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run-ca-chain failed:\n{stderr}");
    for host in ["git", "grafana", "prometheus"] {
        assert!(
            stderr.contains(&format!(
                "https://{host}.internal.thinkheads.ai/ -> phoenix e2e backend"
            )),
            "{host} not served:\n{stderr}"
        );
    }
    assert!(
        stderr
            .contains("https://git.internal.thinkheads.ai/ -> phoenix e2e backend 10.0.0.110:3001"),
        "{stderr}"
    );
    assert!(stderr.contains("Traefik is still PID"), "{stderr}");
}

/// The lifetime check is real: a CA configured for 48h certificates fails it.
#[test]
fn a_ca_issuing_48h_certificates_fails_the_chain() {
    if !can_run("e2e_chain_48h") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let copy = dir.path().join("example");
    let status = Command::new("cp")
        .arg("-r")
        .arg(fixture("example"))
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());
    let ca_json = copy.join("guests/103/etc/step-ca/config/ca.json");
    let text = std::fs::read_to_string(&ca_json).expect("the fixture's ca.json");
    assert!(
        text.contains("\"24h\""),
        "the fixture's ca.json changed shape"
    );
    std::fs::write(&ca_json, text.replace("\"24h\"", "\"48h\"")).expect("write ca.json");

    let out = run_chain(&copy, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected the chain to fail:\n{stderr}"
    );
    assert!(
        stderr.contains("more than 24h"),
        "failed for another reason:\n{stderr}"
    );
}

/// Renders `dir`'s estate the way the chain reads it: phx-ca's files and
/// phx-dns's records (phx-dns is another crate, so it is built through cargo).
fn render(config: &Path, out: &Path) {
    let ca = Command::new(env!("CARGO_BIN_EXE_phx-ca"))
        .args(["render", "--config-dir"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run phx-ca render");
    assert!(
        ca.status.success(),
        "phx-ca render failed:\n{}",
        String::from_utf8_lossy(&ca.stderr)
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let dns = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "-p",
            "phx-dns",
            "--bin",
            "phx-dns",
            "--",
            "render",
            "--config-dir",
        ])
        .arg(config)
        .arg("--out")
        .arg(out.join("host"))
        .current_dir(repo())
        .output()
        .expect("run phx-dns render");
    assert!(
        dns.status.success(),
        "phx-dns render failed:\n{}",
        String::from_utf8_lossy(&dns.stderr)
    );
}

/// The issue's proof with phx-ca's own files: render the example, run the
/// chain; change Gitea's service port in the JSON, render again, and the
/// changed route is served by the same Traefik.
#[test]
fn phx_ca_render_serves_every_route_and_a_port_change_needs_no_restart() {
    if !can_run("e2e_chain_render") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let (first, second) = (dir.path().join("render"), dir.path().join("render2"));
    let changed = copy_config(&example_dir());
    edit_json(&changed.path().join(LXC), |doc| {
        let service = &mut doc["lxc_configs"]["110"]["traefik_service"];
        assert_eq!(service["port"], 3000, "the example's Gitea service changed");
        service["port"] = 3001.into();
    });

    render(&example_dir(), &first);
    render(changed.path(), &second);
    let out = run_chain(&first, Some(&second));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run-ca-chain failed:\n{stderr}");
    assert!(
        stderr
            .contains("https://git.internal.thinkheads.ai/ -> phoenix e2e backend 10.0.0.110:3001"),
        "{stderr}"
    );
    assert!(stderr.contains("Traefik is still PID"), "{stderr}");
}

/// Another tool of the workspace, built through cargo (it is not this
/// crate's), from the target directory this test binary's phx-ca is in.
fn workspace_bin(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "-p", name, "--bin", name])
        .current_dir(repo())
        .output()
        .expect("run cargo build");
    assert!(
        built.status.success(),
        "cargo build -p {name} failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    Path::new(env!("CARGO_BIN_EXE_phx-ca")).with_file_name(name)
}
