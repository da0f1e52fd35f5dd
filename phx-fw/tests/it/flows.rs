//! The estate's flows through the proposed firewall: listed and open for
//! the bundled example, the original's files and HEAD-style services; one
//! blocked variant per kind of flow, each refused at the deciding rule or
//! policy with its file and line; `--allow-blocked-flow` accepting one.

use crate::common::*;
use predicates::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

/// The example with its three documents changed by `f`.
fn estate(f: impl FnOnce(&mut Value, &mut Value, &mut Value)) -> tempfile::TempDir {
    let (mut h, mut l, mut v) = example_docs();
    f(&mut h, &mut l, &mut v);
    write_docs(&h, &l, &v)
}

/// `phx-fw flows --json`: (exit code, the flows by name).
fn flows(dir: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = phx_fw()
        .args(["flows", "--json", "--config-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap(), list.as_array().unwrap().clone())
}

fn names(list: &[Value]) -> Vec<&str> {
    list.iter().map(|f| f["name"].as_str().unwrap()).collect()
}

fn all_open(list: &[Value]) {
    let closed: Vec<&Value> = list.iter().filter(|f| f["open"] != true).collect();
    assert!(closed.is_empty(), "blocked: {closed:#?}");
}

#[test]
fn the_example_lists_every_flow_and_all_are_open() {
    let (code, list) = flows(&example_dir(), &[]);
    assert_eq!(code, 0);
    all_open(&list);
    let names = names(&list);
    for expected in [
        "traefik->ca:acme",
        "ca->traefik:http-01",
        "ca->host:dns/udp",
        "ca->host:dns/tcp",
        "traefik->gitea:git",
        "traefik->monitoring:grafana",
        "traefik->monitoring:prometheus",
        "gitea->host:dns/udp",
        "portainer->host:dns/tcp",
        "gitea->ca:trust",
        "portainer->ca:trust",
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    let acme = &list[0];
    assert_eq!(acme["name"], "traefik->ca:acme");
    assert_eq!(acme["port"], 9000, "step_ca.port's default");
    assert_eq!(acme["to"], json!({"guest": 103, "ip": "10.0.0.10"}));
    assert!(acme["decided_by"]
        .as_str()
        .unwrap()
        .starts_with("/etc/pve/firewall/103.fw:"));
    // The plan goes through.
    phx_fw()
        .arg("--config-dir")
        .arg(example_dir())
        .env_remove("SSH_CLIENT")
        .assert()
        .success();
}

#[test]
fn the_original_files_flows_are_open() {
    let (code, list) = flows(&upstream_dir(), &[]);
    assert_eq!(code, 0);
    all_open(&list);
    assert!(names(&list).contains(&"traefik->ca:acme"), "{list:#?}");
}

/// HEAD's shape: Portainer (VM 1001) routed on its TLS port 9443 and the CA
/// on 9000, both HTTPS, and a declared flow.
#[test]
fn head_style_https_services_and_a_declared_flow_are_open() {
    let dir = estate(|h, l, v| {
        l["lxc_configs"]["103"]["traefik_service"] =
            json!({"name": "ca-ui", "port": 9000, "scheme": "https"});
        v["vms"][1]["traefik_service"] =
            json!({"name": "portainer-ui", "port": 9443, "scheme": "https"});
        h["flows"] = json!([{"from": "host", "to": 1001, "proto": "tcp", "port": 9443,
            "why": "the host's health check reaches Portainer"}]);
        v["vms"][1]["firewall"]["rules"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.13", "proto": "tcp", "port": "9443"}));
    });
    let (code, list) = flows(dir.path(), &[]);
    assert_eq!(code, 0);
    all_open(&list);
    let names = names(&list);
    for expected in [
        "traefik->ca:ca-ui",
        "traefik->portainer:portainer-ui",
        "host->portainer:tcp/9443",
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    let declared = list.iter().find(|f| f["kind"] == "declared").unwrap();
    assert_eq!(declared["why"], "the host's health check reaches Portainer");
}

/// The plan is refused (exit 2, nothing planned); stderr holds each of `expected`.
fn refused(dir: &Path, expected: &[&str]) -> String {
    let out = phx_fw()
        .arg("--config-dir")
        .arg(dir)
        .env_remove("SSH_CLIENT")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing is planned");
    for e in expected {
        assert!(err.contains(e), "{e:?} not in:\n{err}");
    }
    err
}

#[test]
fn a_closed_acme_port_is_refused_at_the_cas_policy() {
    // The CA's one rule admits 9001 instead of step_ca.port.
    let dir = estate(|_, l, _| {
        l["lxc_configs"]["103"]["firewall"]["rules"][0]["port"] = json!("9001");
    });
    refused(
        dir.path(),
        &[
            "phoenix_lxc_configs.json: lxc_configs.\"103\".firewall.default_input_policy: \"DROP\" (policy_in): flow traefik->ca:acme open (tcp 10.0.0.12 -> 10.0.0.10:9000",
            "Traefik asks step-ca's ACME directory https://ca.internal.thinkheads.ai:9000/acme/acme/directory",
            "DROPped by /etc/pve/firewall/103.fw:4: policy_in: DROP (policy)",
            "--allow-blocked-flow traefik->ca:acme",
        ],
    );
}

#[test]
fn a_blocked_http_01_validation_is_refused_at_its_rule() {
    let dir = estate(|_, l, _| {
        l["lxc_configs"]["102"]["firewall"]["rules"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"type": "in", "action": "DROP", "source": "10.0.0.10", "proto": "tcp", "port": "80", "comment": "no CA"}));
    });
    refused(
        dir.path(),
        &[
            "phoenix_lxc_configs.json: lxc_configs.\"102\".firewall.rules[0]: \"IN DROP -source 10.0.0.10 -p tcp -dport 80 # no CA\" (/etc/pve/firewall/102.fw:9): flow ca->traefik:http-01 open",
            "over HTTP-01 on Traefik's port 80",
        ],
    );
}

#[test]
fn dns_closed_on_the_host_is_refused_at_the_clusters_policy() {
    let dir = estate(|h, _, _| {
        // The guests' DNS rule admits 5353 instead.
        h["firewall"]["global_firewall_rules"][3]["port"] = json!("5353");
    });
    refused(
        dir.path(),
        &[
            "phoenix_hypervisor_config.json: firewall.default_input_policy: \"DROP\" (policy_in): flow ca->host:dns/udp open (udp 10.0.0.10 -> 10.0.0.13:53",
            "step-ca resolves the names it validates",
            "flow gitea->host:dns/udp open",
            "DROPped by /etc/pve/firewall/cluster.fw:4: policy_in: DROP (policy)",
        ],
    );
}

#[test]
fn a_rejected_backend_is_refused_at_its_rule() {
    let dir = estate(|_, l, _| {
        l["lxc_configs"]["111"]["firewall"] = json!({"enabled": true, "rules": [
            {"type": "in", "action": "REJECT", "proto": "tcp", "port": "9090", "comment": "closed"}
        ]});
    });
    refused(
        dir.path(),
        &[
            "lxc_configs.\"111\".firewall.rules[0]: \"IN REJECT -p tcp -dport 9090 # closed\" (/etc/pve/firewall/111.fw:",
            "flow traefik->monitoring:prometheus open (tcp 10.0.0.12 -> 10.0.0.111:9090",
            "Traefik forwards https://prometheus.internal.thinkheads.ai/ to its backend http://10.0.0.111:9090; it is REJECTed",
        ],
    );
}

#[test]
fn a_trusting_guest_cut_off_from_the_ca_is_refused_at_its_out_policy() {
    let dir = estate(|_, l, _| {
        l["lxc_configs"]["110"]["firewall"] = json!({"enabled": true,
            "default_output_policy": "DROP",
            "rules": [{"type": "out", "action": "ACCEPT", "dest": "10.0.0.13", "proto": "udp", "port": "53"},
                      {"type": "out", "action": "ACCEPT", "dest": "10.0.0.13", "proto": "tcp", "port": "53"}]});
    });
    refused(
        dir.path(),
        &[
            "phoenix_lxc_configs.json: lxc_configs.\"110\".firewall.default_output_policy: \"DROP\" (policy_out): flow gitea->ca:trust open (tcp 10.0.0.110 -> 10.0.0.10:9000",
            "Gitea trusts the internal CA",
            "DROPped by /etc/pve/firewall/110.fw:5: policy_out: DROP (policy)",
        ],
    );
}

#[test]
fn a_declared_flow_blocked_is_refused_naming_why() {
    let dir = estate(|h, _, _| {
        h["flows"] = json!([{"from": "Traefik-Internal", "to": "Portainer", "proto": "tcp", "port": 9000,
            "why": "Portainer's agent API"}]);
    });
    refused(
        dir.path(),
        &[
            "phoenix_vm_configs.json: vms[1].firewall.default_input_policy: \"DROP\" (policy_in): flow traefik->portainer:tcp/9000 open (tcp 10.0.0.12 -> 10.0.0.101:9000; from ",
            "phoenix_hypervisor_config.json: flows[0]): Portainer's agent API",
            "/etc/pve/firewall/1001.fw:4: policy_in: DROP (policy)",
        ],
    );
}

#[test]
fn allow_blocked_flow_accepts_one_with_a_warning_on_every_run() {
    let dir = estate(|_, l, _| {
        l["lxc_configs"]["102"]["firewall"]["rules"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"type": "in", "action": "DROP", "source": "10.0.0.10", "proto": "tcp", "port": "80"}));
    });
    refused(dir.path(), &["flow ca->traefik:http-01 open"]);
    for _ in 0..2 {
        phx_fw()
            .arg("--config-dir")
            .arg(dir.path())
            .args(["--allow-blocked-flow", "ca->traefik:http-01"])
            .env_remove("SSH_CLIENT")
            .assert()
            .success()
            .stdout(predicate::str::contains("fw:cluster"))
            .stderr(predicate::str::contains(
                "warning: --allow-blocked-flow: flow ca->traefik:http-01 (step-ca validates",
            ))
            .stderr(predicate::str::contains(
                "is accepted blocked: DROP by /etc/pve/firewall/102.fw:9:",
            ));
    }
    // `flows` says it too, and exits 0 only with the allowance.
    let (code, list) = flows(dir.path(), &[]);
    assert_eq!(code, 1);
    let blocked: Vec<&str> = list
        .iter()
        .filter(|f| f["open"] == false)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(blocked, ["ca->traefik:http-01"]);
    let (code, list) = flows(dir.path(), &["--allow-blocked-flow", "ca->traefik:http-01"]);
    assert_eq!(code, 0);
    assert!(list.iter().any(|f| f["allowed"] == true));
}

#[test]
fn an_allowance_naming_no_flow_is_refused() {
    phx_fw()
        .arg("--config-dir")
        .arg(example_dir())
        .args(["--allow-blocked-flow", "traefik->ca:acmee"])
        .env_remove("SSH_CLIENT")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--allow-blocked-flow: \"traefik->ca:acmee\": the name of one of the estate's flows: traefik->ca:acme,"));
}

#[test]
fn bad_declared_flows_are_refused_with_their_paths() {
    let dir = estate(|h, _, _| {
        h["flows"] = json!([
            {"from": "host", "to": "nosuch", "proto": "tcp", "port": 1, "why": "x"},
            {"from": 102, "to": "host", "proto": "icmp", "port": 70000, "why": " "},
            {"from": "host", "to": "host", "proto": "udp", "port": 5, "why": "x"},
            {"to": 103, "proto": "tcp", "port": 9000, "why": "x", "note": 1}
        ]);
    });
    refused(
        dir.path(),
        &[
            "phoenix_hypervisor_config.json: flows[1].proto: \"icmp\": \"tcp\" or \"udp\"",
            "flows[1].port: 70000: an integer from 1 to 65535",
            "flows[1].why: \" \": a non-empty reason",
            "flows[3].from: (missing)",
            "flows[3].note",
        ],
    );
    // The ends are checked against the guests once the file itself is sound.
    let dir = estate(|h, _, _| {
        h["flows"] = json!([
            {"from": "host", "to": "nosuch", "proto": "tcp", "port": 1, "why": "x"},
            {"from": "host", "to": "host", "proto": "udp", "port": 5, "why": "x"},
            {"from": 9000, "to": "host", "proto": "udp", "port": 5, "why": "x"}
        ]);
    });
    refused(
        dir.path(),
        &[
            "phoenix_hypervisor_config.json: flows[0].to: \"nosuch\": \"host\", or the ID or name of a guest",
            "flows[1].to: host: another machine than `from`",
            "flows[2].from: 9000: a guest with a static IPv4 address",
        ],
    );
}
