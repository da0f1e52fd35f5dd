//! Example files in pve-firewall's format (cluster.fw and 101.fw, in
//! tests/fixtures/reference/) read, linted and simulated.
//! Expected verdicts follow pve-firewall's Firewall.pm (ruleset_generate_vm_rules, enable_host_firewall): guest IN = DHCP (not here: dhcp: 0),
//! rules (GROUP jumps into [group webserver]), policy_in DROP (guest default);
//! host IN = rules, then +management (10.20.0.0/24 + local_network alias
//! 10.10.0.0/16) on 22/8006/…, then policy_in DROP.

use phx_fw::existing::{self, Files};
use phx_fw::sim::localnet::Routes;
use phx_fw::sim::{Decider, GuestInfo, Nic, Packet, Ruleset, Topology, Verdict, Zone};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reference")
        .join(name)
}

fn read() -> Files {
    let paths = ["cluster.fw", "101.fw"].map(|n| (fixture(n), format!("/etc/pve/firewall/{n}")));
    let (files, mut problems) = existing::read(&paths).unwrap();
    existing::lint(&files, &mut problems);
    assert!(problems.is_empty(), "{problems}");
    files
}

#[test]
fn the_reference_examples_lint_clean_and_read_as_written() {
    let files = read();
    let c = files.cluster.as_ref().unwrap();
    assert!(c.fw.enabled);
    assert_eq!(
        c.fw.options.get("log_ratelimit").map(String::as_str),
        Some("enable=1,burst=10,rate=5/second")
    );
    assert_eq!(c.fw.aliases["local_network"].cidr, "10.10.0.0/16");
    assert_eq!(c.fw.ipsets["management"], ["10.20.0.0/24"]);
    assert_eq!(c.fw.groups["webserver"].len(), 2);
    assert_eq!(c.group_lines["webserver"], [22, 23]);
    let (id, g) = &files.guests[0];
    assert_eq!(*id, 101);
    assert_eq!(g.fw.options.get("dhcp").map(String::as_str), Some("0"));
    assert_eq!(g.rule_lines, [13, 14, 15, 16]);
    assert_eq!(&*g.fw.rules[0].direction, "group");
    assert_eq!(g.fw.rules[1].macro_name.as_deref(), Some("DNS"));
    assert_eq!(g.fw.rules[2].dport.as_deref(), Some("22,8000:8010"));
    assert_eq!(g.fw.rules[2].log.as_deref(), Some("info"));
}

fn ruleset() -> Ruleset<'static> {
    let files = read();
    let topo = Topology {
        host_ip: "10.10.0.2".parse().unwrap(),
        host_net: "10.10.0.0/16".parse().unwrap(),
        bridge: "vmbr0".into(),
        guests: vec![GuestInfo {
            id: 101,
            is_ct: true,
            nics: vec![Nic {
                index: 0,
                ip: Some("10.10.5.21".parse().unwrap()),
                firewall: true,
                ..Default::default()
            }],
        }],
        more_host_ips: vec![],
        corosync: vec![],
        corosync_multicast: false,
        routes: Routes::None,
        cluster_ip: None,
    };
    Ruleset::build(topo, files.cluster, files.guests)
}

fn by(d: &Decider) -> String {
    match d {
        Decider::Rule { file, line, .. } => format!("{file}:{line}"),
        Decider::Policy { file, option, .. } => format!("{file} {option}"),
        Decider::Implicit(s) if s.contains("+management") => "management".into(),
        other => other.to_string(),
    }
}

/// from zone, from IP, to zone, to IP, protocol, dport, sport, verdict, decided by.
type Row = (
    Zone,
    &'static str,
    Zone,
    &'static str,
    u8,
    Option<u16>,
    Option<u16>,
    Verdict,
    String,
);

#[test]
fn packets_through_the_reference_examples() {
    use Verdict::*;
    let rs = ruleset();
    let g101 = Zone::Guest(101);
    let ip101 = "10.10.5.21";
    let host = "10.10.0.2";
    let c = "/etc/pve/firewall/cluster.fw";
    let g = "/etc/pve/firewall/101.fw";
    #[rustfmt::skip]
    let table: Vec<Row> = vec![
        // GROUP webserver -i net0 → [group webserver] IN HTTPS(ACCEPT), line 22 of cluster.fw.
        (Zone::Outside, "192.168.1.1", g101, ip101, 6, Some(443), None, Accept, format!("{c}:22")),
        // Group's second rule (line 23): 9100 from 10.10.0.0/16 only.
        (Zone::Outside, "10.10.1.1", g101, ip101, 6, Some(9100), None, Accept, format!("{c}:23")),
        (Zone::Outside, "192.168.1.1", g101, ip101, 6, Some(9100), None, Drop, format!("{g} policy_in")),
        // DNS macro (udp 53 and tcp 53) from 10.10.0.0/16: line 14.
        (Zone::Outside, "10.10.1.1", g101, ip101, 17, Some(53), None, Accept, format!("{g}:14")),
        (Zone::Outside, "192.168.1.1", g101, ip101, 17, Some(53), None, Drop, format!("{g} policy_in")),
        // 22,8000:8010 from anywhere: line 15.
        (Zone::Outside, "192.168.1.1", g101, ip101, 6, Some(8005), None, Accept, format!("{g}:15")),
        (Zone::Outside, "192.168.1.1", g101, ip101, 6, Some(8011), None, Drop, format!("{g} policy_in")),
        // dhcp: 0 — a DHCP reply is not implicitly accepted.
        (Zone::Outside, "10.10.0.1", g101, ip101, 17, Some(68), Some(67), Drop, format!("{g} policy_in")),
        // OUT DROP -dest 192.168.0.0/16: line 16; elsewhere the guest's policy_out ACCEPT.
        (g101, ip101, Zone::Outside, "192.168.3.3", 6, Some(80), None, Drop, format!("{g}:16")),
        (g101, ip101, Zone::Outside, "1.1.1.1", 6, Some(80), None, Accept, format!("{g} policy_out")),
        // Host: management set and local_network alias accept SSH after the (non-matching) rules.
        (Zone::Outside, "10.20.0.5", Zone::Host, host, 6, Some(22), None, Accept, "management".into()),
        (Zone::Outside, "10.10.9.9", Zone::Host, host, 6, Some(8006), None, Accept, "management".into()),
        (Zone::Outside, "10.30.0.5", Zone::Host, host, 6, Some(22), None, Drop, format!("{c} policy_in")),
        // 8080 is no management port.
        (Zone::Outside, "10.20.0.5", Zone::Host, host, 6, Some(8080), None, Drop, format!("{c} policy_in")),
        // Guest to host: 101's OUT policy ACCEPT, then host IN via local_network.
        (g101, ip101, Zone::Host, host, 6, Some(22), None, Accept, "management".into()),
    ];
    let mut failures = Vec::new();
    for (fz, fip, tz, tip, proto, dport, sport, verdict, decided) in table {
        let p = Packet {
            src: fip.parse().unwrap(),
            dst: tip.parse().unwrap(),
            proto,
            dport,
            sport,
            icmp_type: None,
            ..Default::default()
        };
        let a = rs.simulate(fz, tz, &p);
        if a.verdict != verdict || by(&a.decider) != decided {
            failures.push(format!(
                "{fip}->{tip} {proto}/{dport:?}: got {} by {}, expected {verdict} by {decided}",
                a.verdict,
                by(&a.decider)
            ));
        }
    }
    // Ping to the host from anywhere: cluster.fw line 18 (echo-request only).
    let ping = |t: &str| Packet {
        src: "10.30.0.5".parse().unwrap(),
        dst: host.parse().unwrap(),
        proto: 1,
        dport: None,
        sport: None,
        icmp_type: Some(t.into()),
        ..Default::default()
    };
    let a = rs.simulate(Zone::Outside, Zone::Host, &ping("echo-request"));
    assert_eq!((a.verdict, by(&a.decider)), (Accept, format!("{c}:18")));
    let a = rs.simulate(Zone::Outside, Zone::Host, &ping("timestamp-request"));
    assert_eq!(
        (a.verdict, by(&a.decider)),
        (Drop, format!("{c} policy_in"))
    );
    // time-exceeded is vital ICMP: the DROP policy accepts it.
    assert_eq!(
        rs.simulate(Zone::Outside, Zone::Host, &ping("time-exceeded"))
            .verdict,
        Accept
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn lockout_partition_counts_the_management_set_and_local_network() {
    let rs = ruleset();
    let admin = phx_fw::ipv4set::Ipv4Set::from_net(&"10.0.0.0/8".parse().unwrap());
    let parts = rs.host_in_partition(22, &admin);
    let accepted: Vec<String> = parts
        .iter()
        .filter(|p| p.1 == Verdict::Accept)
        .map(|p| p.0.describe())
        .collect();
    // +management = 10.20.0.0/24 ∪ 10.10.0.0/16; the rest of 10/8 meets policy_in DROP.
    assert_eq!(accepted, ["10.10.0.0/16, 10.20.0.0/24"]);
    assert!(parts
        .iter()
        .any(|p| p.1 == Verdict::Drop && matches!(p.2, Decider::Policy { .. })));
}
