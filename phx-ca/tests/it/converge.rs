//! phx-ca's plan applied through the executor's in-guest steps to containers
//! of the pct double, whose `pct exec` really runs the commands in each
//! container's own root: the guest programs there are doubles (apt-get,
//! systemctl, step, update-ca-certificates, curl, wget).

use crate::common;
use common::*;
use phx_apply::Status;

const EXPORT: &str = "mnt/pve/tank/persistent/ssl/phoenix_root_ca.crt";
const TRUST: &str = "usr/local/share/ca-certificates/phoenix-root-ca.crt";

#[test]
fn first_run_builds_everything_and_the_second_changes_nothing() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    let steps = plan(cfg.path());
    let first = run(&steps, r);
    let ch = changed(&first);
    for id in [
        "ca-install",
        "ca-init",
        "ca-json",
        "ca-start",
        "ca-export-root",
        "trust-host",
        "trust-host-update",
        "trust-102",
        "trust-102-update",
        "trust-110",
        "trust-111",
        "trust-1001",
        "trust-1001-update",
        "traefik-install",
        "traefik-static",
        "traefik-routes",
        "traefik-start",
    ] {
        assert!(ch.contains(&id), "{id} should have changed: {ch:?}");
    }
    // The service was started by its start step, not restarted by the handler.
    assert!(
        !ch.contains(&"ca-restart") && !ch.contains(&"traefik-restart"),
        "{ch:?}"
    );

    let ca = rootfs(r, 103);
    let root_pem = read(ca.join("etc/step-ca/certs/root_ca.crt"));
    assert!(root_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(read(r.join(EXPORT)), root_pem, "exported root");
    assert_eq!(read(r.join(TRUST)), root_pem, "host trust");
    for ct in [102, 110, 111] {
        assert_eq!(read(rootfs(r, ct).join(TRUST)), root_pem, "trust in {ct}");
        assert_eq!(
            read(rootfs(r, ct).join("etc/ssl/certs/ca-certificates.crt")),
            root_pem,
            "bundle in {ct}"
        );
    }
    // VM 1001 (trusted_ca), through its guest agent: the same file and bundle.
    let vm = vm_rootfs(r, 1001);
    assert_eq!(read(vm.join(TRUST)), root_pem, "trust in VM 1001");
    assert_eq!(
        read(vm.join("etc/ssl/certs/ca-certificates.crt")),
        root_pem,
        "bundle in VM 1001"
    );
    assert_eq!(
        read(rootfs(r, 102).join("etc/traefik/phoenix-root-ca.crt")),
        root_pem
    );
    // Only the root left the CA guest: no key anywhere under the export.
    let export_dir = r.join(EXPORT).parent().unwrap().to_path_buf();
    let exported: Vec<_> = std::fs::read_dir(&export_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        exported,
        vec![std::ffi::OsString::from("phoenix_root_ca.crt")]
    );

    // ca.json: Phoenix's settings merged in, the JWK key material kept.
    let cajson: serde_json::Value =
        serde_json::from_str(&read(ca.join("etc/step-ca/config/ca.json"))).unwrap();
    assert_eq!(
        cajson["dnsNames"],
        serde_json::json!(["ca.internal.thinkheads.ai", "10.0.0.10"])
    );
    assert_eq!(
        cajson["authority"]["claims"]["defaultTLSCertDuration"],
        "24h"
    );
    let provs = cajson["authority"]["provisioners"].as_array().unwrap();
    assert_eq!(provs.len(), 2, "{provs:?}");
    assert_eq!(provs[0]["name"], "admin@internal.thinkheads.ai");
    assert_eq!(provs[0]["encryptedKey"], "double-encrypted-key-material");
    assert_eq!(
        provs[1],
        serde_json::json!({"type": "ACME", "name": "acme"})
    );
    // Passwords exist inside the guest only, 0600.
    use std::os::unix::fs::PermissionsExt;
    let pw = ca.join("etc/step-ca/secrets/password.txt");
    assert_eq!(
        std::fs::metadata(&pw).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(read(pw).len(), 64);
    assert!(read(rootfs(r, 102).join("etc/traefik/dynamic/phoenix.yml"))
        .contains("url: \"http://10.0.0.110:3000\""));

    let logs = double_logs(r);
    let vm_logs = read(vm.join("var/log/phx-doubles.log"));
    let pct_before = pct_log(r);
    let qm_before = qm_log(r);
    let second = run(&steps, r);
    assert_eq!(
        changed(&second),
        Vec::<&str>::new(),
        "second run changes nothing"
    );
    assert!(second.handlers_fired().is_empty());
    assert_eq!(
        double_logs(r),
        logs,
        "no guest program changed anything in the second run"
    );
    let again = &pct_log(r)[pct_before.len()..];
    for word in [
        "phx-write",
        "phx-rewrite",
        "phx-meta",
        "phx-secret",
        "restart",
        "apt-get",
        " init ",
        "install",
    ] {
        let hits: Vec<&str> = again
            .lines()
            .filter(|l| l.contains(word) && !l.contains("phx-installed"))
            .collect();
        assert!(hits.is_empty(), "second run ran {word:?}: {hits:#?}");
    }
    // In the VM only the agent's ping and the read-back of the file ran.
    assert_eq!(read(vm.join("var/log/phx-doubles.log")), vm_logs);
    let qm_again = &qm_log(r)[qm_before.len()..];
    let not_guards: Vec<&str> = qm_again
        .lines()
        .filter(|l| l.contains("guest exec") && !l.contains("phx-probe"))
        .collect();
    assert!(
        not_guards.is_empty(),
        "second run in VM 1001: {not_guards:#?}"
    );
    assert!(qm_again.contains("guest cmd 1001 ping"), "{qm_again}");
    // And a check of the converged estate agrees.
    let check = run_with(&steps, r, true, true);
    assert_eq!(check.count(Status::Changed), 0);
}

#[test]
fn a_route_change_rewrites_the_watched_file_and_restarts_nothing() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    run(&plan(cfg.path()), r);
    edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        v["lxc_configs"]["110"]["traefik_service"]["port"] = serde_json::json!(3001);
    });
    let logs = double_logs(r);
    let rep = run(&plan(cfg.path()), r);
    assert_eq!(changed(&rep), vec!["traefik-routes"]);
    assert_eq!(double_logs(r), logs, "no restart, no reload");
    assert!(read(rootfs(r, 102).join("etc/traefik/dynamic/phoenix.yml"))
        .contains("url: \"http://10.0.0.110:3001\""));
}

#[test]
fn a_static_change_restarts_traefik_and_a_ca_setting_restarts_the_ca() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    run(&plan(cfg.path()), r);
    edit_json(&cfg.path().join("phoenix_hypervisor_config.json"), |v| {
        v["step_ca"]["default_tls_cert_duration"] = serde_json::json!("12h");
        v["step_ca"]["dns_name"] = serde_json::json!("pki.internal.thinkheads.ai");
        v["step_ca"]["port"] = serde_json::json!(8443);
    });
    let rep = run(&plan(cfg.path()), r);
    let mut ch = changed(&rep);
    ch.sort();
    assert_eq!(
        ch,
        vec!["ca-json", "ca-restart", "traefik-restart", "traefik-static"]
    );
    let log = read(rootfs(r, 103).join("var/log/phx-doubles.log"));
    assert_eq!(
        log.matches("step ca init").count(),
        1,
        "the PKI is never made twice: {log}"
    );
    assert!(read(rootfs(r, 102).join("etc/traefik/traefik.yml"))
        .contains("https://pki.internal.thinkheads.ai:8443/acme/acme/directory"));
    // The port moves the CA's listening address with the ACME URL.
    let ca_json: serde_json::Value =
        serde_json::from_str(&read(rootfs(r, 103).join("etc/step-ca/config/ca.json"))).unwrap();
    assert_eq!(ca_json["address"], ":8443");
}

#[test]
fn a_new_root_reaches_the_host_and_every_trusting_guest_in_one_run() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    let steps = plan(cfg.path());
    run(&steps, r);
    // The CA was rebuilt by hand: its root is another certificate now.
    let other = read(rootfs(r, 103).join("etc/step-ca/certs/intermediate_ca.crt"));
    std::fs::write(rootfs(r, 103).join("etc/step-ca/certs/root_ca.crt"), &other).unwrap();
    let mut ch = changed(&run(&steps, r))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    ch.sort();
    let want = [
        "ca-export-root",
        "traefik-restart",
        "traefik-root-ca",
        "trust-1001",
        "trust-1001-update",
        "trust-102",
        "trust-102-update",
        "trust-110",
        "trust-110-update",
        "trust-111",
        "trust-111-update",
        "trust-host",
        "trust-host-update",
    ];
    assert_eq!(ch, want);
    for ct in [102, 110, 111] {
        assert_eq!(read(rootfs(r, ct).join(TRUST)), other);
    }
    assert_eq!(read(vm_rootfs(r, 1001).join(TRUST)), other);
    assert_eq!(read(r.join(TRUST)), other);
}

#[test]
fn guest_file_repairs_mode_and_content_drift() {
    let cfg = copy_config(&example_dir());
    let root = estate(cfg.path());
    let r = root.path();
    let steps = plan(cfg.path());
    run(&steps, r);
    use std::os::unix::fs::PermissionsExt;
    let unit = rootfs(r, 103).join("etc/systemd/system/step-ca.service");
    std::fs::set_permissions(&unit, std::fs::Permissions::from_mode(0o600)).unwrap();
    let routes = rootfs(r, 102).join("etc/traefik/dynamic/phoenix.yml");
    std::fs::write(&routes, "edited by hand\n").unwrap();
    let check = run_with(&steps, r, true, true);
    let mut ch = changed(&check);
    ch.sort();
    // The unit's handlers would fire too, as for any changed host file.
    assert_eq!(
        ch,
        vec![
            "ca-daemon-reload",
            "ca-restart",
            "ca-unit",
            "traefik-routes"
        ]
    );
    let diff = check
        .outcomes
        .iter()
        .find(|o| o.id == "traefik-routes")
        .unwrap()
        .diff
        .clone()
        .unwrap();
    assert!(
        diff.contains("-edited by hand") && diff.contains("ct102:/etc/traefik/dynamic/phoenix.yml"),
        "{diff}"
    );
    assert_eq!(
        read(routes.clone()),
        "edited by hand\n",
        "--check changes nothing"
    );
    let rep = run(&steps, r);
    let mut ch = changed(&rep);
    ch.sort();
    // A unit whose mode drifted is put right; systemd is reloaded for it.
    assert_eq!(
        ch,
        vec![
            "ca-daemon-reload",
            "ca-restart",
            "ca-unit",
            "traefik-routes"
        ]
    );
    assert_eq!(
        std::fs::metadata(&unit).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(read(routes).starts_with("# Written by Phoenix"));
}
