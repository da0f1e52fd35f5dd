//! phx-ca's command line: bad input is refused with exit 2, the JSON path,
//! and nothing on stdout; render writes guests/<id>/… and host/….

use crate::common;
use assert_cmd::Command;
use common::*;
use serde_json::json;

fn phx_ca() -> Command {
    Command::cargo_bin("phx-ca").unwrap()
}

/// Runs phx-ca on an edited copy of the example; asserts exit 2, an empty
/// stdout, and that stderr names the file and each of `paths`.
fn refused(file: &str, edit: impl FnOnce(&mut serde_json::Value), paths: &[&str]) -> String {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(file), edit);
    let out = phx_ca()
        .arg("--config-dir")
        .arg(cfg.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing is planned");
    for p in paths {
        assert!(err.contains(&format!("{file}: {p}")), "{p} not in:\n{err}");
    }
    assert!(err.contains("nothing was planned"), "{err}");
    err
}

const LXC: &str = "phoenix_lxc_configs.json";
const HYP: &str = "phoenix_hypervisor_config.json";

#[test]
fn a_service_without_a_traefik_guest() {
    refused(
        LXC,
        |v| v["lxc_configs"]["102"]["features"] = json!(["base_setup", "trusted_ca"]),
        &[
            "lxc_configs.\"110\".traefik_service",
            "lxc_configs.\"111\".traefik_service[1]",
        ],
    );
}

#[test]
fn two_step_ca_guests() {
    refused(
        LXC,
        |v| v["lxc_configs"]["110"]["features"] = json!(["step_ca"]),
        &["lxc_configs.\"110\".features: \"step_ca\""],
    );
}

#[test]
fn a_port_outside_1_to_65535() {
    for port in [json!(0), json!(70000)] {
        refused(
            LXC,
            |v| v["lxc_configs"]["111"]["traefik_service"][1]["port"] = port,
            &["lxc_configs.\"111\".traefik_service[1].port"],
        );
    }
}

#[test]
fn a_service_name_that_is_not_a_dns_label() {
    for name in ["git_lab", "a.b", "-git", "git.other.example"] {
        refused(
            LXC,
            |v| v["lxc_configs"]["110"]["traefik_service"]["name"] = json!(name),
            &["lxc_configs.\"110\".traefik_service.name"],
        );
    }
}

#[test]
fn a_missing_port() {
    refused(
        LXC,
        |v| {
            v["lxc_configs"]["110"]["traefik_service"]
                .as_object_mut()
                .unwrap()
                .remove("port");
        },
        &["lxc_configs.\"110\".traefik_service.port: (missing)"],
    );
}

#[test]
fn trusted_ca_without_a_ca() {
    refused(
        LXC,
        |v| v["lxc_configs"]["103"]["features"] = json!(["base_setup"]),
        &["lxc_configs.\"102\".features: \"trusted_ca\""],
    );
}

#[test]
fn bad_step_ca_settings() {
    refused(
        HYP,
        |v| {
            v["step_ca"]["default_tls_cert_duration"] = json!("1d");
            v["step_ca"]["ca_name"] = json!("");
            v["step_ca"]["port"] = json!(70000);
        },
        &[
            "step_ca.default_tls_cert_duration: \"1d\"",
            "step_ca.ca_name: \"\"",
            "step_ca.port: 70000",
        ],
    );
}

#[test]
fn two_backends_for_one_name() {
    refused(
        LXC,
        |v| v["lxc_configs"]["111"]["traefik_service"][0]["name"] = json!("git"),
        &["lxc_configs.\"111\".traefik_service[0]"],
    );
}

#[test]
fn render_writes_each_guest_and_the_host_under_out() {
    let out = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // Copies of the root appear once it has been exported.
    let export = state.path().join("mnt/pve/tank/persistent/ssl");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("phoenix_root_ca.crt"), "ROOT PEM\n").unwrap();
    phx_ca()
        .args(["render", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(state.path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let o = out.path();
    let cajson: serde_json::Value =
        serde_json::from_str(&read(o.join("guests/103/etc/step-ca/config/ca.json"))).unwrap();
    assert_eq!(
        cajson["authority"]["provisioners"],
        json!([{"type": "ACME", "name": "acme"}])
    );
    // step_ca.port's default, the original's CA address.
    assert_eq!(cajson["address"], ":9000");
    assert!(read(o.join("guests/102/etc/traefik/traefik.yml"))
        .contains("caServer: \"https://ca.internal.thinkheads.ai:9000/acme/acme/directory\"\n"));
    assert!(read(o.join("guests/102/etc/traefik/traefik.yml")).contains("certificatesDuration: 24"));
    assert!(read(o.join("guests/102/etc/traefik/dynamic/phoenix.yml"))
        .contains("Host(`grafana.internal.thinkheads.ai`)"));
    assert_eq!(
        read(o.join("guests/102/etc/traefik/phoenix-root-ca.crt")),
        "ROOT PEM\n"
    );
    assert_eq!(
        read(o.join("guests/110/usr/local/share/ca-certificates/phoenix-root-ca.crt")),
        "ROOT PEM\n"
    );
    assert_eq!(
        read(o.join("host/usr/local/share/ca-certificates/phoenix-root-ca.crt")),
        "ROOT PEM\n"
    );
}

#[test]
fn fingerprint_is_the_sha256_of_the_der_as_openssl_computes_it() {
    let openssl = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok();
    let missing = (!openssl).then(|| "openssl (the fingerprint is compared against it)".into());
    if !phx_testkit::real_component(
        "fingerprint_is_the_sha256_of_the_der_as_openssl_computes_it",
        "openssl",
        missing,
    ) {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let export = state.path().join("mnt/pve/tank/persistent/ssl");
    std::fs::create_dir_all(&export).unwrap();
    let crt = export.join("phoenix_root_ca.crt");
    let key = state.path().join("k.pem");
    let st = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=t",
            "-days",
            "1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .env("OPENSSL_CONF", "/dev/null")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let o = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&crt)
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&o.stdout)
        .split('=')
        .nth(1)
        .unwrap()
        .trim()
        .replace(':', "")
        .to_ascii_lowercase();
    let out = phx_ca()
        .args(["fingerprint", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(state.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{want}  /mnt/pve/tank/persistent/ssl/phoenix_root_ca.crt\n")
    );
}

#[test]
fn fingerprint_before_any_export_fails() {
    let state = tempfile::tempdir().unwrap();
    phx_ca()
        .args(["fingerprint", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(state.path())
        .assert()
        .code(1);
}

#[test]
fn a_ca_guest_that_does_not_start() {
    refused(
        LXC,
        |v| v["lxc_configs"]["103"]["start_at_boot"] = json!(false),
        &["lxc_configs.\"103\".start_at_boot: false"],
    );
}

/// The steps `phx-ca --config-dir examples/etc ARGS` prints, trailer left out.
fn ca_steps(args: &[&str]) -> Vec<phx_plan::Step> {
    let out = phx_ca()
        .arg("--config-dir")
        .arg(example_dir())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"kind\":\"end\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn with_guest_the_steps_of_that_guest_and_what_it_needs() {
    let all = ca_steps(&[]);
    assert!(
        all.iter().any(|s| s.action.guest().is_none()),
        "the whole plan has host steps"
    );
    let one = ca_steps(&["--guest", "110"]);
    assert!(!one.is_empty());
    // 110 clones from 900 and depends on 102, which depends on 103 (the
    // CA): their in-guest steps, a Step-CA made for 110 must issue its root.
    let closure = [110, 102, 103, 900];
    for s in &one {
        if let Some(g) = s.action.guest() {
            assert!(closure.contains(&g.id()), "{}", s.id);
        }
    }
    assert!(one
        .iter()
        .any(|s| s.action.guest().is_some_and(|g| g.id() == 110)));
    // Another guest's steps are not kept: 111 trusts the root too.
    assert!(all
        .iter()
        .any(|s| s.action.guest().is_some_and(|g| g.id() == 111)));
    assert!(!one
        .iter()
        .any(|s| s.action.guest().is_some_and(|g| g.id() == 111)));
    // The root's export from the CA guest, which 110's trust reads.
    assert!(one.iter().any(|s| s.id == "trust-host"), "{one:?}");
}
