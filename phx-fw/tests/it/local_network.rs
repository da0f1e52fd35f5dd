//! `local_network` derived as pve-firewall derives it. Each case cites the
//! Perl it follows: PVE::Firewall `local_network()` (the first route of the
//! node's table, in the kernel's order, whose mask is in PVE::Network's
//! `ipv4_mask_hash_localnet` — /8 to /32 — and which holds the node's
//! address; none: 127.0.0.0/8 in `compile`), and `compile` (an alias
//! `local_network` in cluster.fw wins; the derived network joins
//! +management). The same derivation feeds the simulator and the guard.

use crate::common;
use common::*;
use phx_fw::sim::localnet::{self, Routes};
use serde_json::json;
use std::net::Ipv4Addr;

const NODE: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 13);

/// `ip -j route` with these destinations, in order.
fn ip_j(dsts: &[&str]) -> String {
    let list: Vec<_> = dsts
        .iter()
        .map(|d| json!({"dst": d, "dev": "vmbr0"}))
        .collect();
    serde_json::to_string(&list).unwrap()
}

const PROC_HEADER: &str =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

#[test]
fn derived_from_the_routes_as_local_network_does() {
    // (routes file, expected local_network, what it follows)
    let cases: Vec<(String, &str, &str)> = vec![
        (
            ip_j(&["default", "10.0.0.0/24"]),
            "10.0.0.0/24",
            "local_network(): the default route's mask 0.0.0.0 is not in the table",
        ),
        (
            ip_j(&["default", "10.0.0.0/16", "10.0.0.0/24"]),
            "10.0.0.0/16",
            "local_network(): the first route in the kernel's order, not the longest",
        ),
        (
            ip_j(&["10.0.0.0/7", "10.0.0.0/24"]),
            "10.0.0.0/24",
            "ipv4_mask_hash_localnet: a /7 mask is not in the table",
        ),
        (
            ip_j(&["192.168.1.0/24", "10.0.0.13"]),
            "10.0.0.13/32",
            "ipv4_mask_hash_localnet has 255.255.255.255 (/32): a host route counts",
        ),
        (
            ip_j(&["default", "192.168.1.0/24"]),
            "127.0.0.0/8",
            "compile: local_network() || '127.0.0.0/8'",
        ),
        (
            format!(
                "{PROC_HEADER}vmbr0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\nvmbr0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            ),
            "10.0.0.0/24",
            "read_proc_net_route: hex little-endian Destination and Mask",
        ),
        (
            format!(
                "{PROC_HEADER}eth1\t000010AC\t00000000\t0001\t0\t0\t0\t0000F0FF\t0\t0\t0\nvmbr0\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
            ),
            "10.0.0.0/16",
            "read_proc_net_route: 172.16.0.0/12 does not hold the node; 10.0.0.0/16 does",
        ),
    ];
    for (text, want, follows) in cases {
        let routes = localnet::parse(&text).unwrap_or_else(|e| panic!("{follows}: {e}"));
        let (net, _, warn) =
            localnet::derive(&Routes::Node(routes), NODE, "10.0.0.0/24".parse().unwrap());
        assert_eq!(net.to_string(), want, "{follows}");
        assert_eq!(warn, None, "{follows}");
    }
}

#[test]
fn a_route_file_that_is_neither_format_is_refused() {
    assert!(localnet::parse("hello\n1 2 3\n").is_err());
    assert!(localnet::parse("[{\"dst\": \"nope\"}]").is_err());
    assert!(localnet::parse("{\"dst\": \"default\"}").is_err());
}

/// The running machine's routes without the node's address: not the node;
/// the node's own network stands in, and the operator is told.
#[test]
fn machine_routes_without_the_node_warn() {
    let routes = localnet::parse(&ip_j(&["default", "172.17.0.0/16"])).unwrap();
    let (net, _, warn) = localnet::derive(
        &Routes::Machine(routes),
        NODE,
        "10.0.0.0/24".parse().unwrap(),
    );
    assert_eq!(net.to_string(), "10.0.0.0/24");
    assert!(warn.unwrap().contains("--routes"));
}

fn routes_file(dsts: &[&str]) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), ip_j(dsts)).unwrap();
    f
}

fn simulate(dir: &std::path::Path, routes: &std::path::Path, from: &str) -> String {
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(dir)
        .arg("--routes")
        .arg(routes)
        .args(["--from", from, "--to", "host", "--dport", "8006"])
        .output()
        .unwrap();
    phx_testkit::stdout_of(out)
}

/// The example with no rule for 22/8006: only +management lets them in.
fn without_management_rules(alias: Option<&str>) -> tempfile::TempDir {
    example_with(|h| {
        h["network"]["default_subnet"] = json!("10.0.0.0/16");
        let fw = &mut h["firewall"];
        let rules = fw["global_firewall_rules"].as_array_mut().unwrap();
        rules.retain(|r| r["port"] != json!("22") && r["port"] != json!("8006"));
        if let Some(a) = alias {
            fw["aliases"]["local_network"] = json!(a);
        }
    })
}

#[test]
fn simulate_and_guard_take_management_from_the_routes() {
    let dir = without_management_rules(None);
    let wide = routes_file(&["default", "10.0.0.0/16", "10.0.0.0/24"]);
    let narrow = routes_file(&["default", "10.0.0.0/24"]);
    // local_network(): 10.0.0.0/16 is first, so 10.0.5.9 is in +management.
    let out = simulate(dir.path(), wide.path(), "10.0.5.9");
    assert!(
        out.contains("ACTION: ACCEPT") && out.contains("10.0.0.0/16"),
        "{out}"
    );
    let out = simulate(dir.path(), narrow.path(), "10.0.5.9");
    assert!(out.contains("ACTION: DROP"), "{out}");
    // The guard (default_subnet 10.0.0.0/16) asks the same ruleset.
    let plan = |routes: &std::path::Path| {
        phx_fw()
            .arg("--config-dir")
            .arg(dir.path())
            .arg("--routes")
            .arg(routes)
            .env_remove("SSH_CLIENT")
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(plan(wide.path()), Some(0));
    assert_eq!(plan(narrow.path()), Some(2));
}

#[test]
fn the_alias_overrides_the_routes() {
    // compile: `if ($cluster_conf->{aliases}->{local_network})` — the routes are not asked.
    let dir = without_management_rules(Some("10.0.0.0/16"));
    let narrow = routes_file(&["default", "10.0.0.0/24"]);
    let out = simulate(dir.path(), narrow.path(), "10.0.5.9");
    assert!(
        out.contains("ACTION: ACCEPT") && out.contains("10.0.0.0/16 (local_network alias)"),
        "{out}"
    );
}

#[test]
fn no_cluster_option_sets_it() {
    // $cluster_option_properties has no local_network: only the alias does.
    let dir = example_with(|h| {
        h["firewall"]["options"] = json!({"local_network": "10.0.0.0/16"});
    });
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("firewall.options.local_network"));
}

#[test]
fn the_node_address_is_its_cluster_address() {
    // local_network(): `my $ip = PVE::Cluster::remote_node_ip($nodename)` —
    // the node's address in the cluster (corosync link 0), not necessarily
    // network.address.
    let root = tempfile::tempdir().unwrap();
    let put = |path: &str, text: &str| {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put("etc/pve/firewall/cluster.fw", "[OPTIONS]\n\nenable: 1\n");
    put(
        "etc/pve/corosync.conf",
        "nodelist {\n  node {\n    name: phoenix\n    nodeid: 1\n    ring0_addr: 10.99.0.13\n  }\n}\n",
    );
    put(
        "proc/net/route",
        &format!(
            "{PROC_HEADER}vmbr0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\neno3\t0000630A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        ),
    );
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(root.path())
        .args(["--from", "10.99.0.50", "--to", "host", "--dport", "8006"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ACTION: ACCEPT") && text.contains("local_network 10.99.0.0/24"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
