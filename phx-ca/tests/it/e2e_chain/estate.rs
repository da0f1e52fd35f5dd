//! Issue 23's proof on the estate as a whole: every guest's own firewall
//! enforced in its namespace (the `.fw` files phx-fw plans, applied by
//! phx-apply into a staging root and translated by tests/e2e/fw-to-nft), the
//! CA on step_ca.port, and phx-verify run from the host. The positive half
//! is the bundled example unchanged; an HTTPS backend goes through Traefik's
//! serversTransport; the negative half closes the ACME port in the JSON.

use super::{can_run, render, run_chain_with, workspace_bin};
use phx_testkit::{edit_json, example_dir, HYP, LXC, VM};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The example copied to `dir/etc`, changed by `edit`, and rendered by
/// phx-ca and phx-dns into `dir/render`: (config, render).
fn estate(dir: &Path, edit: impl FnOnce(&Path)) -> (PathBuf, PathBuf) {
    let config = dir.join("etc");
    std::fs::create_dir_all(&config).unwrap();
    for f in [HYP, LXC, VM] {
        std::fs::copy(example_dir().join(f), config.join(f)).unwrap();
    }
    edit(&config);
    let rendered = dir.join("render");
    render(&config, &rendered);
    (config, rendered)
}

/// `phx-fw plan` on `config` with `--allow-blocked-flow` for each of `allow`.
fn fw_plan(config: &Path, allow: &[&str]) -> Output {
    let mut cmd = Command::new(workspace_bin("phx-fw"));
    cmd.arg("plan").arg("--config-dir").arg(config);
    for a in allow {
        cmd.args(["--allow-blocked-flow", a]);
    }
    cmd.output().expect("run phx-fw plan")
}

/// The firewall as it would be applied: phx-fw's plan (which must be
/// accepted) carried out by phx-apply under `dir/fw`, the root fw-to-nft reads.
fn apply_firewall(config: &Path, dir: &Path, allow: &[&str]) -> (PathBuf, String) {
    let planned = fw_plan(config, allow);
    let said = String::from_utf8_lossy(&planned.stderr).into_owned();
    assert!(planned.status.success(), "phx-fw plan refused:\n{said}");
    let plan = dir.join("fw.plan");
    std::fs::write(&plan, &planned.stdout).unwrap();
    let root = dir.join("fw");
    let applied = Command::new(workspace_bin("phx-apply"))
        .arg("--root")
        .arg(&root)
        .arg(&plan)
        .output()
        .expect("run phx-apply");
    assert!(
        applied.status.success(),
        "phx-apply failed:\n{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    (root, said)
}

/// The chain with the firewall and phx-verify; `mode` is run-ca-chain's
/// `--expect-blocked` or `--foreign-backend-cert`, or none.
fn chain(config: &Path, rendered: &Path, fw: &Path, mode: Option<&str>) -> String {
    let verify = workspace_bin("phx-verify");
    let mut more: Vec<&OsStr> = vec![
        "--firewall".as_ref(),
        fw.as_os_str(),
        "--verify".as_ref(),
        verify.as_os_str(),
    ];
    if let Some(m) = mode {
        more.push(m.as_ref());
    }
    let out = run_chain_with(config, rendered, None, &more);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "run-ca-chain failed:\n{stderr}");
    stderr
}

fn assert_verify_passed(stderr: &str, hosts: &[&str]) {
    assert!(stderr.contains("guest 103: firewall enforced"), "{stderr}");
    assert!(stderr.contains("guest 102: firewall enforced"), "{stderr}");
    for host in hosts {
        let line =
            format!("phx-verify: ok    route  https://{host}.internal.thinkheads.ai/: HTTP 200");
        assert!(stderr.contains(&line), "missing {line:?}:\n{stderr}");
    }
    assert!(
        stderr.contains("phx-verify: ok    ca     https://ca.internal.thinkheads.ai:9000/health"),
        "{stderr}"
    );
    // trust (--skip) and the host's GPU driver (the example sets no
    // nvidia_driver) are the two skipped.
    assert!(stderr.contains(" 0 failed, 2 skipped"), "{stderr}");
    assert!(
        stderr.contains("phx-verify: skip  gpu    host driver: nvidia_driver.install is not true"),
        "{stderr}"
    );
    assert!(stderr.contains("PASS: phx-verify passes"), "{stderr}");
}

/// The positive half on the bundled example as it is: its flows check
/// passes, its firewall is enforced, step-ca listens on 9000 (step_ca.port's
/// default) where CT 103's rule admits it, the chain works and phx-verify,
/// finding the CA at step_ca.port by itself, passes.
#[test]
fn the_bundled_example_with_its_firewall_enforced_serves_every_route_and_verify_passes() {
    if !can_run("e2e_chain_estate_example") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let (config, rendered) = estate(dir.path(), |_| {});
    for f in [HYP, LXC, VM] {
        assert_eq!(
            std::fs::read(config.join(f)).unwrap(),
            std::fs::read(example_dir().join(f)).unwrap(),
            "{f} is the example's, unchanged"
        );
    }
    let (fw, _) = apply_firewall(&config, dir.path(), &[]);
    let stderr = chain(&config, &rendered, &fw, None);
    assert!(stderr.contains(":9000"), "{stderr}");
    assert_verify_passed(&stderr, &["git", "grafana", "prometheus"]);
}

/// The example with Prometheus (CT 111, port 9090) on `scheme: https`,
/// rendered; its route goes through the `phoenix-root` serversTransport.
fn https_estate(dir: &Path) -> (PathBuf, PathBuf) {
    let (config, rendered) = estate(dir, |cfg| {
        edit_json(&cfg.join(LXC), |doc| {
            let svc = &mut doc["lxc_configs"]["111"]["traefik_service"][1];
            assert_eq!(svc["name"], "prometheus", "the example's services changed");
            svc["scheme"] = "https".into();
        });
    });
    let dynamic =
        std::fs::read_to_string(rendered.join("guests/102/etc/traefik/dynamic/phoenix.yml"))
            .expect("the rendered dynamic file");
    assert!(dynamic.contains("https://10.0.0.111:9090"), "{dynamic}");
    assert!(dynamic.contains("phoenix-root"), "{dynamic}");
    (config, rendered)
}

/// An HTTPS backend whose TLS server's certificate the estate's CA issued
/// for its IP: Traefik reaches it through the serversTransport (the
/// exported root) and phx-verify's route check passes through it.
#[test]
fn an_https_backend_is_reached_through_the_servers_transport_and_verify_passes() {
    if !can_run("e2e_chain_estate_https") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let (config, rendered) = https_estate(dir.path());
    let (fw, _) = apply_firewall(&config, dir.path(), &[]);
    let stderr = chain(&config, &rendered, &fw, None);
    assert!(
        stderr.contains(
            "https://prometheus.internal.thinkheads.ai/ -> phoenix e2e backend 10.0.0.111:9090 over TLS"
        ),
        "{stderr}"
    );
    assert_verify_passed(&stderr, &["git", "grafana", "prometheus"]);
}

/// The same backend with a self-signed certificate: the serversTransport
/// verifies, so Traefik answers 500 on that route, and phx-verify fails
/// naming it while the HTTP routes pass.
#[test]
fn an_https_backend_the_estates_root_does_not_sign_is_refused_and_verify_names_its_route() {
    if !can_run("e2e_chain_estate_https_foreign") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let (config, rendered) = https_estate(dir.path());
    let (fw, _) = apply_firewall(&config, dir.path(), &[]);
    let stderr = chain(&config, &rendered, &fw, Some("--foreign-backend-cert"));
    assert!(
        stderr.contains("https://prometheus.internal.thinkheads.ai/ -> HTTP 500"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "phx-verify: FAIL  route  https://prometheus.internal.thinkheads.ai/: HTTP 500 for prometheus"
        ),
        "{stderr}"
    );
    for host in ["git", "grafana"] {
        let line =
            format!("phx-verify: ok    route  https://{host}.internal.thinkheads.ai/: HTTP 200");
        assert!(stderr.contains(&line), "missing {line:?}:\n{stderr}");
    }
}

/// The negative half: CT 103's rule moved off step_ca.port (9000 -> 9001)
/// in the JSON. phx-fw refuses the plan naming the flow and the policy that
/// drops it with file and line; with the refusal bypassed on purpose, the
/// applied firewall drops Traefik's ACME requests and phx-verify fails
/// naming every route and the CA.
#[test]
fn with_the_acme_port_closed_in_the_json_the_plan_is_refused_and_once_forced_verify_fails() {
    if !can_run("e2e_chain_estate_closed") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let (config, rendered) = estate(dir.path(), |cfg| {
        edit_json(&cfg.join(LXC), |doc| {
            let rules = &mut doc["lxc_configs"]["103"]["firewall"]["rules"];
            assert_eq!(rules[0]["port"], "9000", "the example's CA rule changed");
            assert_eq!(rules.as_array().map(Vec::len), Some(1));
            rules[0]["port"] = "9001".into();
        });
    });
    let refused = fw_plan(&config, &[]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(refused.stdout.is_empty(), "nothing planned");
    // Closing the port also blocks the trusting guests' flows to the CA.
    let blocked = [
        "traefik->ca:acme",
        "gitea->ca:trust",
        "monitoring->ca:trust",
        "portainer->ca:trust",
    ];
    let (fw, warned) = apply_firewall(&config, dir.path(), &blocked);
    let fw_file = std::fs::read_to_string(fw.join("etc/pve/firewall/103.fw")).unwrap();
    let line = fw_file
        .lines()
        .position(|l| l == "policy_in: DROP")
        .expect("103.fw has policy_in: DROP")
        + 1;
    let acme = said
        .lines()
        .find(|l| l.contains("flow traefik->ca:acme open"))
        .unwrap_or_else(|| panic!("the ACME flow not named:\n{said}"));
    assert!(
        acme.contains(&format!(
            "{}: lxc_configs.\"103\".firewall.default_input_policy",
            config.join(LXC).display()
        )) && acme.contains(&format!(
            "DROPped by /etc/pve/firewall/103.fw:{line}: policy_in: DROP (policy)"
        )) && acme.contains("--allow-blocked-flow traefik->ca:acme"),
        "{acme}"
    );
    assert!(
        warned.contains("warning: --allow-blocked-flow: flow traefik->ca:acme")
            && warned.contains(&format!(
                "is accepted blocked: DROP by /etc/pve/firewall/103.fw:{line}"
            )),
        "{warned}"
    );

    let stderr = chain(&config, &rendered, &fw, Some("--expect-blocked"));
    assert!(stderr.contains("the ACME flow is blocked"), "{stderr}");
    for host in ["git", "grafana", "prometheus"] {
        let line = format!("phx-verify: FAIL  route  https://{host}.internal.thinkheads.ai/: ");
        assert!(stderr.contains(&line), "missing {line:?}:\n{stderr}");
    }
    assert!(
        stderr.contains("phx-verify: FAIL  ca     https://ca.internal.thinkheads.ai:9000/health"),
        "{stderr}"
    );
}
