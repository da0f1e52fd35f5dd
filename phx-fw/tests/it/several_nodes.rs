//! Several nodes' host.fw. pmxcfs shares /etc/pve across the cluster, so
//! every node's `/etc/pve/nodes/<node>/host.fw` is visible on each, and
//! pve-firewall on a node reads its own (`$hostfw_conf_filename`,
//! /etc/pve/local/host.fw → nodes/<its name>). `parse` prints each under
//! `firewall.hosts.<node>`, the loader takes them back, and they are
//! written to the same nodes' directories; the simulator and the guard use
//! this node's (network.hostname).

use crate::common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// cluster.fw and two nodes' host.fw.
fn two_nodes() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/pve/firewall/cluster.fw",
        "[OPTIONS]\n\nenable: 1\n\n[RULES]\n\nIN ACCEPT -source 10.0.0.0/24 -p tcp -dport 22\nIN ACCEPT -source 10.0.0.0/24 -p tcp -dport 8006\n",
    );
    write(
        root.path(),
        "/etc/pve/nodes/phoenix/host.fw",
        "[OPTIONS]\n\ntcpflags: 1\n\n[RULES]\n\nIN ACCEPT -p tcp -dport 9100 # exporter\n",
    );
    write(
        root.path(),
        "/etc/pve/nodes/pve2/host.fw",
        "[OPTIONS]\n\nenable: 0\n\n[RULES]\n\nIN DROP -source 10.0.0.66 -p tcp -dport 22\n",
    );
    root
}

fn parse(root: &Path) -> (Value, String) {
    let out = phx_fw()
        .args(["parse", "--state-root"])
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn config_with(firewall: &Value) -> tempfile::TempDir {
    example_with(|h| {
        h["firewall"] = firewall.clone();
        // These rules admit no DNS to the host: without a DNS server the
        // estate needs none, and the plan is not refused for it.
        h["dns_server"]["enabled"] = false.into();
    })
}

#[test]
fn several_nodes_round_trip_through_json() {
    let root = two_nodes();
    let (first, _) = parse(root.path());
    let hosts = &first["firewall"]["hosts"];
    assert_eq!(hosts["phoenix"]["options"]["tcpflags"], "1");
    assert_eq!(hosts["pve2"]["enabled"], false);
    assert!(first.get("hosts").is_none(), "{first}");
    // JSON → files: each node's host.fw lands in its own directory.
    let dir = config_with(&first["firewall"]);
    let out = tempfile::tempdir().unwrap();
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .arg("--state-root")
        .arg(phoenix_node().path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    for node in ["phoenix", "pve2"] {
        assert!(
            out.path()
                .join(format!("etc/pve/nodes/{node}/host.fw"))
                .is_file(),
            "{node}"
        );
    }
    let (second, warnings) = parse(out.path());
    assert!(!warnings.contains("left out"), "{warnings}");
    assert_eq!(second["firewall"], first["firewall"]);
}

#[test]
fn the_plan_names_each_nodes_file_and_simulates_this_nodes() {
    let (first, _) = parse(two_nodes().path());
    let dir = config_with(&first["firewall"]);
    let out = phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(plan.contains("\"id\":\"fw:host\""), "{plan}");
    assert!(
        plan.contains("\"id\":\"fw:host:pve2\"") && plan.contains("/etc/pve/nodes/pve2/host.fw"),
        "{plan}"
    );
    // enable_host_firewall on this node (phoenix): its host rule, not pve2's DROP.
    let sim = |from: &str, port: &str| {
        let out = phx_fw()
            .args(["simulate", "--config-dir"])
            .arg(dir.path())
            .args(["--from", from, "--to", "host", "--dport", port])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let out = sim("192.168.1.5", "9100");
    assert!(
        out.contains("ACTION: ACCEPT") && out.contains("/etc/pve/nodes/phoenix/host.fw"),
        "{out}"
    );
    let out = sim("10.0.0.66", "22");
    assert!(
        out.contains("ACTION: ACCEPT") && out.contains("cluster.fw"),
        "{out}"
    );
}

#[test]
fn this_nodes_host_fw_given_twice_is_refused() {
    let dir = example_with(|h| {
        h["firewall"]["host"] = json!({"rules": []});
        h["firewall"]["hosts"] = json!({"phoenix": {"rules": []}});
    });
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("firewall.hosts.phoenix"))
        .stderr(predicates::str::contains("one host.fw per node"));
}

#[test]
fn a_node_name_that_is_not_a_directory_name_is_refused() {
    for bad in ["../etc", "a/b", "-x", ""] {
        let dir = example_with(|h| h["firewall"]["hosts"] = json!({bad: {"rules": []}}));
        phx_fw()
            .args(["render", "--config-dir"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("a node name"));
    }
}

#[test]
fn hosts_only_in_the_cluster_firewall() {
    let (h, mut l, v) = example_docs();
    l["lxc_configs"]["102"]["firewall"]["hosts"] = json!({"pve2": {"rules": []}});
    let dir = write_docs(&h, &l, &v);
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "a hosts object only in the cluster firewall",
        ));
}

#[test]
fn host_fw_without_cluster_fw_parses_as_a_disabled_firewall() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/pve/nodes/pve2/host.fw",
        "[RULES]\n\nIN ACCEPT -p tcp -dport 22\n",
    );
    let (first, warnings) = parse(root.path());
    assert_eq!(first["firewall"]["enabled"], false);
    assert!(first["firewall"]["hosts"]["pve2"].is_object(), "{first}");
    assert!(
        warnings.contains("no /etc/pve/firewall/cluster.fw"),
        "{warnings}"
    );
    // What parse printed is configuration the loader takes.
    let dir = config_with(&first["firewall"]);
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .assert()
        .success();
}

/// pve-firewall reads /etc/pve/nodes/<nodename>/host.fw, the node's name
/// being `uname -n` without its domain (pve-common src/PVE/INotify.pm
/// nodename), not whatever network.hostname says: under a state root the
/// name is its /etc/hostname (the node's before this run).
#[test]
fn host_fw_goes_where_pve_firewall_reads_it_under_the_nodes_real_name() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "/etc/hostname", "pve-old.lan\n");
    let dir = example_with(|h| {
        h["firewall"]["host"] = json!({"rules": [
            {"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "9100"}
        ]});
    });
    let out = phx_fw()
        .arg("--config-dir")
        .arg(dir.path())
        .arg("--state-root")
        .arg(root.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("\"path\":\"/etc/pve/nodes/pve-old/host.fw\""),
        "{plan}"
    );
    assert!(!plan.contains("/etc/pve/nodes/phoenix/"), "{plan}");
    assert!(
        stderr.contains("this node is named \"pve-old\", not \"phoenix\" (network.hostname)"),
        "{stderr}"
    );
}
