//! cluster.fw and guest files for the upstream fixture and the example,
//! written by hand from pve-firewall's writers (save_clusterfw_conf, save_vmfw_conf)
//! and the JSON — not copied from the program's output.

use crate::common;
use common::*;
use phx_fw::planner::propose;

fn file(inv: &phx_common::Inventory, path: &str) -> String {
    propose(inv)
        .files()
        .into_iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("{path} not proposed"))
        .1
}

#[test]
fn upstream_cluster_fw() {
    let inv = load_dir(&upstream_dir());
    // shared_volumes.firewall: enabled, DROP in, ACCEPT out, 16 rules; no aliases or sets.
    // Rules with no port have no -p null (the original scripts wrote one).
    let expected = "\
[OPTIONS]

enable: 1
policy_in: DROP
policy_out: ACCEPT

[RULES]

IN ACCEPT -p tcp -dport 80 # Allow HTTP traffic to Nginx gateway
IN ACCEPT -source 10.0.0.0/24 -p icmp # Allow ICMP (ping) from internal network
IN ACCEPT -p tcp -dport 443 # Allow HTTPS traffic to Nginx gateway
IN ACCEPT -dest 10.0.0.102 -p tcp -dport 9001 # Allow Portainer agent communication
IN ACCEPT -p tcp -dport 2049 # Allow NFS traffic
IN ACCEPT -p udp -dport 2049 # Allow NFS traffic
IN ACCEPT -p tcp -dport 111 # Allow rpcbind traffic
IN ACCEPT -p udp -dport 111 # Allow rpcbind traffic
IN ACCEPT -p tcp -dport 139 # Allow Samba NetBIOS
IN ACCEPT -p tcp -dport 445 # Allow Samba SMB
IN ACCEPT -p udp -dport 137 # Allow Samba NetBIOS Name Service
IN ACCEPT -p udp -dport 138 # Allow Samba NetBIOS Datagram Service
OUT ACCEPT -source 10.0.0.0/24 -dest 0.0.0.0/0 -p udp -dport 53 # Allow outbound DNS traffic from all guests
OUT ACCEPT -source 10.0.0.0/24 -dest 0.0.0.0/0 -p tcp -dport 53 # Allow outbound DNS traffic (TCP) from all guests
IN ACCEPT -source 10.0.0.0/24 -p udp -dport 53 # Allow inbound DNS traffic from all guests
IN ACCEPT -source 10.0.0.0/24 -p tcp -dport 53 # Allow inbound DNS traffic (TCP) from all guests

";
    assert_eq!(file(&inv, "/etc/pve/firewall/cluster.fw"), expected);
}

#[test]
fn example_cluster_fw() {
    let inv = load_dir(&example_dir());
    // OPTIONS (enable, policies, then log_ratelimit), ALIASES sorted by name
    // with `# comment`, the management set, RULES in order; the rule with
    // "enable": false is written disabled with a leading '|'.
    let expected = "\
[OPTIONS]

enable: 1
policy_in: DROP
policy_out: ACCEPT
log_ratelimit: enable=1,burst=10,rate=5/second

[ALIASES]

admin_lan 10.0.0.0/24 # operators' workstations
traefik 10.0.0.12

[IPSET management]

10.0.0.0/24

[RULES]

IN ACCEPT -source admin_lan -p tcp -dport 22 # SSH from the admin LAN
IN ACCEPT -source admin_lan -p tcp -dport 8006 # Proxmox web UI from the admin LAN
IN ACCEPT -source 10.0.0.0/24 -p icmp # Ping from the LAN
IN ACCEPT -source 10.0.0.0/24 -p udp -dport 53 # DNS for guests
IN ACCEPT -source 10.0.0.0/24 -p tcp -dport 53 # DNS over TCP for guests
IN DROP -p tcp -dport 111 -log info # No rpcbind from anywhere
OUT ACCEPT -p udp -dport 53 # Upstream DNS
|IN ACCEPT -p tcp -dport 9100 # node exporter, not yet

";
    assert_eq!(file(&inv, "/etc/pve/firewall/cluster.fw"), expected);
}

#[test]
fn example_guest_files() {
    let inv = load_dir(&example_dir());
    // 102 (Traefik-Internal): no policy in the JSON, so the guest defaults DROP/ACCEPT are written.
    let expected_102 = "\
[OPTIONS]

enable: 1
policy_in: DROP
policy_out: ACCEPT

[RULES]

IN HTTPS(ACCEPT) -source 10.0.0.0/24 # TLS entry point
IN HTTP(ACCEPT) -source 10.0.0.0/24 # redirects to TLS

";
    assert_eq!(file(&inv, "/etc/pve/firewall/102.fw"), expected_102);
    let paths: Vec<String> = propose(&inv).files().into_iter().map(|(p, _)| p).collect();
    // Guests with a firewall object: 102, 103 (LXCs) and 1001 (VM); none for 900, 110, 9000, 1002.
    assert_eq!(
        paths,
        [
            "/etc/pve/firewall/cluster.fw",
            "/etc/pve/firewall/102.fw",
            "/etc/pve/firewall/103.fw",
            "/etc/pve/firewall/1001.fw"
        ]
    );
}

#[test]
fn disabled_firewall_keeps_rules_and_writes_enable_0() {
    let dir = example_with(|h| h["firewall"]["enabled"] = serde_json::json!(false));
    let inv = load_dir(dir.path());
    let text = file(&inv, "/etc/pve/firewall/cluster.fw");
    assert!(text.starts_with("[OPTIONS]\n\nenable: 0\n"), "{text}");
    assert!(
        text.contains("IN ACCEPT -source admin_lan -p tcp -dport 22 # SSH from the admin LAN\n")
    );
}

#[test]
fn plan_steps_have_no_mode_and_restart_only_as_handler() {
    let inv = load_dir(&example_dir());
    let (plan, _) = phx_fw::plan(&inv, &Default::default()).unwrap();
    let kinds: Vec<(&str, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.action.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("fw:cluster", "file"),
            ("fw:guest:102", "file"),
            ("fw:guest:103", "file"),
            ("fw:guest:1001", "file"),
            ("fw:restart", "handler")
        ]
    );
    for s in &plan.steps {
        if let phx_plan::Action::File(f) = &s.action {
            assert!(
                f.mode.is_none() && f.owner.is_none() && f.group.is_none(),
                "pmxcfs: no mode/owner on {}",
                f.path
            );
            assert_eq!(f.notify, ["fw:restart"]);
        }
        if let phx_plan::Action::Handler(h) = &s.action {
            // `pve-firewall compile` exits 0 on rule errors: it is no check.
            assert_eq!(h.argv, ["pve-firewall", "restart"]);
        }
    }
}
