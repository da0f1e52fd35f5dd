//! An end-to-end run over a tree of real-format files
//! (tests/fixtures/tree: cluster.fw with aliases, IP sets, a nomatch entry
//! and two security groups; the node's host.fw and another node's (pve2,
//! whose rules must never apply here); four guest files; the
//! guests' confs, two CTs with two NICs (one on a third bridge) and their
//! MACs; a corosync.conf double; the node's /etc/network/interfaces with
//! more bridge addresses; a /proc/net/route double for local_network),
//! read with `simulate --state-root` and asked 100+ packets in one `--batch`.
//!
//! Every expected verdict is written from Proxmox's rules, not from the
//! program; each case names the Perl function (src/PVE/Firewall.pm unless
//! said) whose behaviour it follows. "policy" means the chain's policy
//! decided, "implicit" a rule pve-firewall adds itself.
//! Host: 10.0.0.13 (the example configuration), node `phoenix`.

use crate::common;
use common::*;
use std::path::PathBuf;

fn tree() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tree")
}

/// The line of `text` in a file of the tree: expectations name rules by
/// what they say, and the line is looked up, not guessed.
fn at(file: &str, text: &str) -> String {
    let body = std::fs::read_to_string(tree().join(file.trim_start_matches('/'))).unwrap();
    let n = body
        .lines()
        .position(|l| l == text || l.starts_with(&format!("{text} #")))
        .unwrap_or_else(|| panic!("{text:?} not in {file}"))
        + 1;
    format!("{file}:{n}:")
}

const CLUSTER: &str = "/etc/pve/firewall/cluster.fw";
const HOST: &str = "/etc/pve/nodes/phoenix/host.fw";
const CT201: &str = "/etc/pve/firewall/201.fw";
const VM202: &str = "/etc/pve/firewall/202.fw";
const CT204: &str = "/etc/pve/firewall/204.fw";

struct Case {
    query: String,
    verdict: &'static str,
    /// A prefix of the "decided by" column: `FILE:LINE:`, `policy FILE`, `implicit`.
    by: String,
    follows: &'static str,
}

fn case(query: &str, verdict: &'static str, by: String, follows: &'static str) -> Case {
    Case {
        query: query.to_string(),
        verdict,
        by,
        follows,
    }
}

fn policy(file: &str, option: &str) -> String {
    format!("{file}: {option}:")
}

fn implicit() -> String {
    "implicit:".to_string()
}

fn table() -> Vec<Case> {
    let mut t = vec![
        // ---- host IN (enable_host_firewall: host.fw rules, then cluster.fw rules)
        case(
            "10.0.0.5 host tcp 22",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source admin -p tcp -dport 22"),
            "enable_host_firewall",
        ),
        case(
            "10.0.0.66 host tcp 22",
            "DROP",
            at(HOST, "IN DROP -source 10.0.0.66 -p tcp -dport 22"),
            "enable_host_firewall: host rules first",
        ),
        case(
            "172.16.1.1 host tcp 8006",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source +webclients -p tcp -dport 8006"),
            "ipt_gen_src_or_dst_match (+set)",
        ),
        case(
            "10.0.0.50 host tcp 8006",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source +webclients -p tcp -dport 8006"),
            "IP set entry dc/monitor resolves the cluster alias",
        ),
        case(
            "192.168.1.5 host tcp 8006",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "ruleset_add_chain_policy",
        ),
        case(
            "192.168.1.5 host icmp icmp-type=echo-request",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -p icmp -dport echo-request"),
            "ipt_rule_to_cmds: -p icmp -dport NAME is --icmp-type",
        ),
        case(
            "192.168.1.5 host icmp icmp-type=host-unreachable",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "the host-unreachable rule is limited to 10.0.0.0/24",
        ),
        case(
            "10.0.0.5 host icmp icmp-type=host-unreachable",
            "ACCEPT",
            at(
                CLUSTER,
                "IN ACCEPT -source 10.0.0.0/24 -p icmp -dport host-unreachable",
            ),
            "ipt_rule_to_cmds",
        ),
        case(
            "10.0.0.5 host icmp icmp-type=3/1",
            "ACCEPT",
            at(
                CLUSTER,
                "IN ACCEPT -source 10.0.0.0/24 -p icmp -dport host-unreachable",
            ),
            "host-unreachable is type 3 code 1",
        ),
        case(
            "10.0.0.5 host icmp icmp-type=network-unreachable",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "3/0 is not host-unreachable (3/1)",
        ),
        case(
            "10.0.0.5 host icmp icmp-type=fragmentation-needed",
            "ACCEPT",
            implicit(),
            "PVEFW-Drop accepts fragmentation-needed",
        ),
        case(
            "10.0.0.5 host icmp icmp-type=ttl-zero-during-transit",
            "ACCEPT",
            implicit(),
            "PVEFW-Drop accepts time-exceeded (every code)",
        ),
        case(
            "192.168.1.5 host tcp 9999",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "verify_rule: dport requires proto; rules with errors are skipped",
        ),
        case(
            "10.0.0.5 host tcp 111",
            "DROP",
            at(CLUSTER, "IN DROP -p tcp -dport 111 -log info"),
            "enable_host_firewall",
        ),
        case(
            "192.168.1.5 host tcp 9100",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "a disabled rule (|) is not compiled",
        ),
        case(
            "10.0.0.50 host tcp 9100",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source monitor -p tcp -dport 9100"),
            "ruleset_add_group_rule / generate_group_rules",
        ),
        case(
            "10.0.0.5 host udp 53",
            "ACCEPT",
            at(CLUSTER, "IN DNS(ACCEPT) -source admin"),
            "$apply_macro in a group",
        ),
        case(
            "203.0.113.5 host tcp 22",
            "DROP",
            implicit(),
            "ruleset_chain_add_input_filters: blacklist",
        ),
        case(
            "203.0.113.7 host tcp 22",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "ipset nomatch entry: !203.0.113.7 is not blacklisted",
        ),
        case(
            "10.0.0.5 host tcp 8006",
            "ACCEPT",
            implicit(),
            "enable_host_firewall: +management on 8006",
        ),
        case(
            "10.0.0.5 host tcp 3128",
            "ACCEPT",
            implicit(),
            "enable_host_firewall: +management on 3128",
        ),
        case(
            "192.168.50.5 host tcp 8080 iface=vmbr1",
            "ACCEPT",
            at(HOST, "IN ACCEPT -i vmbr1 -source dmz -p tcp -dport 8080"),
            "-i in host rules (iface_in)",
        ),
        case(
            "192.168.50.5 host tcp 8080",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "the -i vmbr1 rule does not match on vmbr0",
        ),
        case(
            "vmbr1/eno2 host tcp 8080 source=192.168.50.5",
            "ACCEPT",
            at(HOST, "IN ACCEPT -i vmbr1 -source dmz -p tcp -dport 8080"),
            "FirewallSimulator: a vmbr1 port reaches the host with iface_in vmbr1",
        ),
        case(
            "224.0.0.5 host udp 5000",
            "DROP",
            implicit(),
            "ruleset_chain_add_input_filters: PVEFW-smurfs (multicast source)",
        ),
        case(
            "10.0.0.255 ct201 tcp 80",
            "DROP",
            implicit(),
            "PVEFW-smurfs before the guest's rules (broadcast source)",
        ),
        case(
            "192.168.50.5 192.168.50.1 tcp 8080 iface=vmbr1",
            "ACCEPT",
            at(HOST, "IN ACCEPT -i vmbr1 -source dmz -p tcp -dport 8080"),
            "the node's vmbr1 address (/etc/network/interfaces) is the host's",
        ),
        case(
            "192.168.50.5 192.168.50.1 tcp 22",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "a packet to any node address meets host IN",
        ),
        case(
            "172.16.5.9 host udp 53",
            "ACCEPT",
            at(HOST, "IN ACCEPT -source 172.16.5.0/24 -p udp -dport 53"),
            "enable_host_firewall",
        ),
        case(
            "10.0.0.14 host udp 5405",
            "ACCEPT",
            implicit(),
            "corosync: a peer's ring0 to ours",
        ),
        case(
            "10.99.0.14 10.99.0.13 udp 5404",
            "ACCEPT",
            implicit(),
            "corosync: ring1 to ring1; 10.99.0.13 is the node's too",
        ),
        case(
            "10.99.0.14 10.0.0.13 udp 5405",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "corosync: accepted only on the same link",
        ),
        case(
            "10.0.0.77 host udp 5405",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "corosync: not a node's ring address",
        ),
        case(
            "192.168.1.5 host udp 5000 dsttype=broadcast",
            "DROP",
            implicit(),
            "PVEFW-Drop: --dst-type BROADCAST is dropped silently",
        ),
        case(
            "192.168.1.5 host igmp",
            "ACCEPT",
            implicit(),
            "enable_host_firewall: -p igmp",
        ),
        case(
            "nfvm host tcp 22",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "FirewallSimulator: nfvm is a bridge port, source 100.100.1.2",
        ),
        // ---- host OUT
        case(
            "host 1.1.1.1 tcp 25",
            "REJECT",
            at(CLUSTER, "OUT REJECT -p tcp -dport 25"),
            "enable_host_firewall (OUT)",
        ),
        case(
            "host 1.1.1.1 tcp 443",
            "ACCEPT",
            policy(CLUSTER, "policy_out"),
            "policy_out ACCEPT",
        ),
        case(
            "host 10.0.0.14 udp 5405",
            "ACCEPT",
            implicit(),
            "corosync OUT to a peer",
        ),
        // ---- guest 201: CT, net0 10.0.0.21 and net1 192.168.50.21, both firewall=1
        case(
            "192.168.1.5 ct201 tcp 80",
            "ACCEPT",
            at(CLUSTER, "IN HTTP(ACCEPT)"),
            "GROUP web -i net0 (ruleset_generate_vm_rules)",
        ),
        case(
            "192.168.1.5 ct201 tcp 443",
            "ACCEPT",
            at(CLUSTER, "IN HTTPS(ACCEPT)"),
            "ruleset_add_group_rule",
        ),
        case(
            "192.168.1.5 ct201 tcp 22",
            "DROP",
            policy(CT201, "policy_in"),
            "generate_tap_rules_direction: policy_in",
        ),
        case(
            "10.0.0.5 ct201 tcp 22",
            "ACCEPT",
            at(CT201, "IN SSH(ACCEPT) -source admin"),
            "guest rules see cluster aliases",
        ),
        case(
            "192.168.50.5 ct201i1 tcp 5432",
            "ACCEPT",
            at(CT201, "IN ACCEPT -i net1 -source dmz -p tcp -dport 5432"),
            "-i net1 on NIC 1",
        ),
        case(
            "192.168.50.5 ct201 tcp 5432",
            "DROP",
            policy(CT201, "policy_in"),
            "ruleset_generate_vm_rules: next if iface ne netid",
        ),
        case(
            "192.168.50.5 ct201i1 tcp 80",
            "DROP",
            policy(CT201, "policy_in"),
            "GROUP web -i net0 is not on net1",
        ),
        case(
            "192.168.1.5 ct201 udp 68 67",
            "DROP",
            policy(CT201, "policy_in"),
            "ruleset_create_vm_chain: dhcp: 0",
        ),
        case(
            "ct201 10.0.0.22 tcp 5432",
            "DROP",
            at(CT201, "OUT DROP -dest db -p tcp -dport 5432"),
            "guest alias db",
        ),
        case(
            "ct201 1.1.1.1 tcp 443",
            "ACCEPT",
            at(CLUSTER, "OUT ACCEPT -p tcp -dport 443"),
            "GROUP web jumps from OUT too (GROUP-web-OUT)",
        ),
        case(
            "ct201 1.1.1.1 tcp 8443",
            "ACCEPT",
            policy(CT201, "policy_out"),
            "policy_out ACCEPT",
        ),
        case(
            "ct201 outside tcp 443 source=10.0.0.99",
            "DROP",
            implicit(),
            "ipfilter: 1 without a set: only the CT's own address",
        ),
        case(
            "ct201i1 outside udp 53",
            "DROP",
            at(CT201, "OUT DROP -i net1 -p udp -dport 53"),
            "-i net1 (OUT)",
        ),
        case(
            "ct201 outside udp 53",
            "ACCEPT",
            policy(CT201, "policy_out"),
            "net0 is not net1",
        ),
        case(
            "ct201i1 outside tcp 443 source=192.168.50.99",
            "ACCEPT",
            policy(CT201, "policy_out"),
            "ipfilter-net1 allows 192.168.50.0/24",
        ),
        case(
            "ct201i1 outside tcp 443 source=10.0.0.99",
            "DROP",
            implicit(),
            "ipfilter-net1 drops other sources",
        ),
        case(
            "ct201 host tcp 22",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source admin -p tcp -dport 22"),
            "guest OUT, then host IN",
        ),
        // ---- guest 202: VM, net0 10.0.0.22 (cloud-init ipconfig0), policy_in REJECT
        case(
            "ct201 vm202 tcp 5433",
            "REJECT",
            policy(VM202, "policy_in"),
            "bridged: 201 OUT then 202 IN, no host chain",
        ),
        case(
            "ct201 vm202 tcp 5432",
            "DROP",
            at(CT201, "OUT DROP -dest db -p tcp -dport 5432"),
            "the sender's OUT chain comes first",
        ),
        case(
            "10.0.0.50 vm202 tcp 5432",
            "ACCEPT",
            at(VM202, "IN ACCEPT -source +appclients -p tcp -dport 5432"),
            "guest IP set",
        ),
        case(
            "192.168.1.5 vm202 tcp 5432",
            "REJECT",
            policy(VM202, "policy_in"),
            "ruleset_add_chain_policy REJECT",
        ),
        case(
            "192.168.1.5 vm202 icmp",
            "ACCEPT",
            at(VM202, "IN ACCEPT -p icmp"),
            "any ICMP",
        ),
        case(
            "192.168.1.5 vm202 udp 137",
            "DROP",
            implicit(),
            "PVEFW-Reject drops SMB noise silently",
        ),
        case(
            "vm202 host tcp 22",
            "ACCEPT",
            at(CLUSTER, "IN ACCEPT -source admin -p tcp -dport 22"),
            "guest OUT policy ACCEPT, then host IN",
        ),
        // ---- guest 203: its NIC has no firewall=1, so its enabled file does nothing
        case(
            "192.168.1.5 ct203 tcp 22",
            "ACCEPT",
            implicit(),
            "a NIC without firewall=1 is not filtered",
        ),
        // ---- guest 204: two NICs on two bridges (net1 on vmbr2), both filtered,
        // each with its own MAC; the tree's /proc/net/route double gives local_network.
        case(
            "192.168.60.5 ct204i1 tcp 3306",
            "ACCEPT",
            at(CT204, "IN ACCEPT -i net1 -p tcp -dport 3306"),
            "ruleset_generate_vm_rules: a rule with -i netN is on that NIC's chain only",
        ),
        case(
            "192.168.60.5 ct204 tcp 3306",
            "DROP",
            policy(CT204, "policy_in"),
            "ruleset_generate_vm_rules: `next if $rule->{iface} ne $netid` on net0",
        ),
        case(
            "ct204i1 host tcp 9090",
            "ACCEPT",
            at(HOST, "IN ACCEPT -i vmbr2 -p tcp -dport 9090"),
            "enable_host_firewall: -i is the bridge net1 is plugged into (vmbr2)",
        ),
        case(
            "ct204 host tcp 9090",
            "DROP",
            policy(CLUSTER, "policy_in"),
            "enable_host_firewall: net0 arrives on vmbr0, not vmbr2",
        ),
        case(
            "ct204 outside tcp 443 source-mac=BC:24:11:20:40:99",
            "DROP",
            implicit(),
            "ruleset_create_vm_chain: -m mac ! --mac-source (macfilter on by default)",
        ),
        case(
            "ct204 outside tcp 443 source-mac=bc:24:11:20:40:00",
            "ACCEPT",
            at(CT204, "OUT ACCEPT -i net0 -p tcp -dport 443"),
            "ruleset_create_vm_chain: the NIC's own MAC passes (any case)",
        ),
        case(
            "ct204i1 outside udp 53 source-mac=BC:24:11:20:40:00",
            "DROP",
            implicit(),
            "ruleset_create_vm_chain: each NIC's chain has its own MAC (net0's is foreign on net1)",
        ),
        case(
            "ct204 outside udp 67 68 source-mac=BC:24:11:20:40:99",
            "ACCEPT",
            implicit(),
            "ruleset_create_vm_chain: the DHCP request accept comes before the MAC filter",
        ),
        case(
            "ct204i1 outside udp 53 source=192.168.60.25",
            "ACCEPT",
            at(CT204, "OUT ACCEPT -i net1 -p udp -dport 53"),
            "ruleset_create_vm_chain: source in ipfilter-net1",
        ),
        case(
            "ct204i1 outside udp 53 source=192.168.60.99",
            "DROP",
            implicit(),
            "ruleset_create_vm_chain: ! --match-set ipfilter-net1 src -j DROP",
        ),
        case(
            "ct204 outside udp 53 source=10.0.0.99",
            "DROP",
            policy(CT204, "policy_out"),
            "generate_tap_rules_direction: net0 has no ipfilter set (ipfilter off)",
        ),
        case(
            "vm202 outside tcp 443 source-mac=BC:24:11:20:20:99",
            "ACCEPT",
            policy(VM202, "policy_out"),
            "ruleset_create_vm_chain: macfilter: 0 adds no MAC rule",
        ),
        case(
            "ct201 outside tcp 443 source-mac=BC:24:11:20:10:99",
            "DROP",
            implicit(),
            "ruleset_create_vm_chain: macfilter defaults to on",
        ),
        case(
            "ct203 outside tcp 443 source-mac=BC:24:11:20:30:99",
            "ACCEPT",
            implicit(),
            "generate_tap_rules_direction: a NIC without firewall=1 has no tap chain",
        ),
        // ---- nfvm: a bridge port without firewall (FirewallSimulator)
        case(
            "nfvm ct201 tcp 80",
            "ACCEPT",
            at(CLUSTER, "IN HTTP(ACCEPT)"),
            "FirewallSimulator: nfvm",
        ),
        case(
            "outside nfvm tcp 80",
            "ACCEPT",
            implicit(),
            "bridged between two unfiltered ports",
        ),
    ];
    // Sweeps: every tcp port 1..=60 and a few more from a stranger is dropped by
    // policy_in, except the rule on 111 and the SMB ports dropped silently.
    for port in (1..=60).chain([111, 135, 139, 445, 8006, 8080]) {
        let by = match port {
            // pve2's host.fw accepts 111, but a node reads only its own
            // ($hostfw_conf_filename = /etc/pve/local/host.fw).
            111 => at(CLUSTER, "IN DROP -p tcp -dport 111 -log info"),
            135 | 139 | 445 => implicit(),
            _ => policy(CLUSTER, "policy_in"),
        };
        t.push(case(
            &format!("192.168.1.5 host tcp {port}"),
            "DROP",
            by,
            "ruleset_add_chain_policy",
        ));
    }
    // From the admin LAN: +management covers 8006, 5900:5999, 3128, 22, 60000:60050.
    for port in [
        22, 3128, 5900, 5950, 5999, 6000, 8006, 8007, 60000, 60050, 60051,
    ] {
        let (verdict, by) = match port {
            22 => (
                "ACCEPT",
                at(CLUSTER, "IN ACCEPT -source admin -p tcp -dport 22"),
            ),
            3128 | 5900..=5999 | 8006 | 60000..=60050 => ("ACCEPT", implicit()),
            _ => ("DROP", policy(CLUSTER, "policy_in")),
        };
        t.push(case(
            &format!("10.0.0.7 host tcp {port}"),
            verdict,
            by,
            "enable_host_firewall: management ports",
        ));
    }
    t
}

#[test]
fn a_real_format_tree_answers_every_packet_as_proxmox_would() {
    let cases = table();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let batch: String = cases.iter().map(|c| format!("{}\n", c.query)).collect();
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(tree())
        .args(["--batch", "-"])
        .write_stdin(batch)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The rule pve-firewall skips is named, with its line.
    assert!(stderr.contains("cluster.fw: line 34"), "{stderr}");
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), cases.len());
    let mut wrong = Vec::new();
    for (c, a) in cases.iter().zip(&answers) {
        let (verdict, by) = a.split_once('\t').unwrap();
        if verdict != c.verdict || !by.starts_with(&c.by) {
            wrong.push(format!(
                "{}: expected {} by {} ({}), got {verdict} by {by}",
                c.query, c.verdict, c.by, c.follows
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn exit_status_says_whether_the_packet_passes() {
    let run = |args: &[&str]| {
        phx_fw()
            .args(["simulate", "--exit-status", "--config-dir"])
            .arg(example_dir())
            .arg("--state-root")
            .arg(tree())
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        run(&["--from", "10.0.0.5", "--to", "host", "--dport", "22"]),
        Some(0)
    );
    assert_eq!(
        run(&["--from", "192.168.1.5", "--to", "host", "--dport", "22"]),
        Some(1)
    );
    assert_eq!(
        run(&[
            "--from",
            "ct201",
            "--to",
            "outside",
            "--source",
            "10.0.0.99",
            "--dport",
            "443"
        ]),
        Some(1)
    );
    assert_eq!(
        run(&[
            "--from",
            "192.168.50.5",
            "--to",
            "ct201",
            "--iface",
            "net1",
            "--dport",
            "5432"
        ]),
        Some(0)
    );
}

/// parse → JSON → files → parse: the same JSON, every construct of the tree
/// (groups, host.fw, nomatch entries, alias and rule comments, disabled rules).
#[test]
fn the_tree_round_trips_through_json() {
    let parse = |root: &std::path::Path| -> (serde_json::Value, String) {
        let out = phx_fw()
            .args(["parse", "--state-root"])
            .arg(root)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (serde_json::from_slice(&out.stdout).unwrap(), stderr)
    };
    // The rule pve-firewall does not compile is left out, its line named.
    let (first, warnings) = parse(&tree());
    assert!(
        warnings.contains("/etc/pve/firewall/cluster.fw: line 34: \"9999\"")
            && warnings.contains("left out of the JSON"),
        "{warnings}"
    );
    let rules = first["firewall"]["global_firewall_rules"]
        .as_array()
        .unwrap();
    assert!(!rules.iter().any(|r| r["port"] == "9999"), "{rules:?}");
    assert_eq!(rules.len(), 8);

    assert_eq!(
        first["firewall"]["groups"]["infra"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        first["firewall"]["hosts"]["phoenix"]["options"]["tcpflags"],
        "1"
    );
    assert_eq!(
        first["firewall"]["hosts"]["pve2"]["rules"][0]["comment"],
        "pve2 only: never phoenix's"
    );
    assert_eq!(first["firewall"]["ipsets"]["blacklist"][1], "!203.0.113.7");
    assert_eq!(
        first["firewall"]["aliases"]["admin"]["comment"],
        "admin LAN"
    );
    // JSON → files: the JSON becomes configuration and is rendered.
    let (mut h, mut l, v) = example_docs();
    h["firewall"] = first["firewall"].clone();
    let guests = l["lxc_configs"].as_object_mut().unwrap();
    let template = guests.values().next().unwrap().clone();
    for (id, fw) in first["guests"].as_object().unwrap() {
        let mut g = template.clone();
        g["firewall"] = fw.clone();
        g["name"] = serde_json::json!(format!("guest{id}"));
        g["network_config"]["ip"] =
            serde_json::json!(format!("10.0.9.{}/24", id.parse::<u32>().unwrap() - 100));
        g["network_config"]["gw"] = serde_json::json!("10.0.9.1");
        g.as_object_mut().unwrap().remove("mac_address");
        guests.insert(id.clone(), g);
    }
    let dir = write_docs(&h, &l, &v);
    let out = tempfile::tempdir().unwrap();
    let r = phx_fw()
        .args(["render", "--config-dir"])
        .arg(dir.path())
        .arg("--state-root")
        .arg(phoenix_node().path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (second, warnings) = parse(out.path());
    assert!(!warnings.contains("left out"), "{warnings}");
    assert_eq!(second["firewall"], first["firewall"]);
    for (id, fw) in first["guests"].as_object().unwrap() {
        assert_eq!(&second["guests"][id], fw, "guest {id}");
    }
}
