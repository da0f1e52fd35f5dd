//! Packets through the example's rules, with verdicts written from the
//! Proxmox semantics (pve-firewall's ruleset_generate_vm_rules), not from the program:
//! - host IN: user rules (cluster.fw) first, then +management (IP set
//!   `management` 10.0.0.0/24 + local_network, here the host's 10.0.0.0/24)
//!   on tcp 8006, 5900:5999, 3128, 22, 60000:60050, then policy_in DROP;
//! - host OUT: rules, then local_network on 8006/22/5900:5999/3128, then policy_out ACCEPT;
//! - a guest is filtered only when its .fw has enable: 1 (and its NIC firewall=1);
//!   guest IN: DHCP replies, rules, policy_in; guest OUT: DHCP, rules, policy_out;
//! - guest → host crosses the guest's OUT chain and then host IN.
//!
//! Line numbers come from the hand-written golden files (tests/golden.rs):
//! cluster.fw rules start at line 19; each example guest file's first rule is line 9.

use crate::common;
use common::*;
use phx_fw::planner::propose;
use phx_fw::sim::{resolve_endpoint, Decider, Packet, Verdict};

struct Case {
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    dport: Option<u16>,
    sport: Option<u16>,
    verdict: Verdict,
    /// `file:line`, `policy FILE OPTION`, or `implicit WORD` / `none`.
    by: &'static str,
}

fn case(
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    dport: Option<u16>,
    verdict: Verdict,
    by: &'static str,
) -> Case {
    Case {
        from,
        to,
        proto,
        dport,
        sport: None,
        verdict,
        by,
    }
}

#[test]
fn example_packet_table() {
    use Verdict::*;
    let table = [
        // Admin LAN to the host: the first two rules.
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(22),
            Accept,
            "/etc/pve/firewall/cluster.fw:19",
        ),
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(8006),
            Accept,
            "/etc/pve/firewall/cluster.fw:20",
        ),
        // Outside the admin LAN and the local network: nothing accepts, policy_in DROP.
        case(
            "192.168.1.5",
            "host",
            "tcp",
            Some(22),
            Drop,
            "policy /etc/pve/firewall/cluster.fw policy_in",
        ),
        case(
            "outside",
            "host",
            "tcp",
            Some(8006),
            Drop,
            "policy /etc/pve/firewall/cluster.fw policy_in",
        ),
        // SPICE proxy 3128 has no user rule: the implicit +management accept covers the LAN only.
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(3128),
            Accept,
            "implicit management",
        ),
        case(
            "192.168.1.5",
            "host",
            "tcp",
            Some(3128),
            Drop,
            "policy /etc/pve/firewall/cluster.fw policy_in",
        ),
        // rpcbind is dropped by rule 6 (line 24), even from the LAN.
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(111),
            Drop,
            "/etc/pve/firewall/cluster.fw:24",
        ),
        // The disabled node-exporter rule (line 26) does not match: policy.
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(9100),
            Drop,
            "policy /etc/pve/firewall/cluster.fw policy_in",
        ),
        // DNS for guests: lines 22 (udp) and 23 (tcp).
        case(
            "10.0.0.50",
            "host",
            "udp",
            Some(53),
            Accept,
            "/etc/pve/firewall/cluster.fw:22",
        ),
        case(
            "10.0.0.50",
            "host",
            "tcp",
            Some(53),
            Accept,
            "/etc/pve/firewall/cluster.fw:23",
        ),
        // Ping (echo-request) from the LAN: line 21; from elsewhere: policy (echo-request is not vital ICMP).
        case(
            "10.0.0.50",
            "host",
            "icmp",
            None,
            Accept,
            "/etc/pve/firewall/cluster.fw:21",
        ),
        case(
            "192.168.1.5",
            "host",
            "icmp",
            None,
            Drop,
            "policy /etc/pve/firewall/cluster.fw policy_in",
        ),
        // Host OUT: upstream DNS by line 25; anything else by policy_out ACCEPT.
        case(
            "host",
            "1.1.1.1",
            "udp",
            Some(53),
            Accept,
            "/etc/pve/firewall/cluster.fw:25",
        ),
        case(
            "host",
            "1.1.1.1",
            "tcp",
            Some(443),
            Accept,
            "policy /etc/pve/firewall/cluster.fw policy_out",
        ),
        // Step-CA (ct103, 10.0.0.10): 9000 from 10.0.0.0/24 by its line 9; nothing else comes in.
        case(
            "10.0.0.50",
            "ct103",
            "tcp",
            Some(9000),
            Accept,
            "/etc/pve/firewall/103.fw:9",
        ),
        case(
            "192.168.1.5",
            "ct103",
            "tcp",
            Some(9000),
            Drop,
            "policy /etc/pve/firewall/103.fw policy_in",
        ),
        // Guests get no implicit management rule: SSH to the CA from the LAN is dropped.
        case(
            "10.0.0.50",
            "103",
            "tcp",
            Some(22),
            Drop,
            "policy /etc/pve/firewall/103.fw policy_in",
        ),
        // Traefik (ct102, 10.0.0.12): macros HTTPS (tcp 443) and HTTP (tcp 80) from the LAN.
        case(
            "10.0.0.50",
            "ct102",
            "tcp",
            Some(443),
            Accept,
            "/etc/pve/firewall/102.fw:9",
        ),
        case(
            "10.0.0.50",
            "10.0.0.12",
            "tcp",
            Some(80),
            Accept,
            "/etc/pve/firewall/102.fw:10",
        ),
        case(
            "10.0.0.50",
            "ct102",
            "tcp",
            Some(8080),
            Drop,
            "policy /etc/pve/firewall/102.fw policy_in",
        ),
        case(
            "10.0.0.50",
            "ct102",
            "udp",
            Some(443),
            Drop,
            "policy /etc/pve/firewall/102.fw policy_in",
        ),
        // Portainer (vm1001): 9443 only from Traefik; Traefik's OUT policy is ACCEPT.
        case(
            "ct102",
            "vm1001",
            "tcp",
            Some(9443),
            Accept,
            "/etc/pve/firewall/1001.fw:9",
        ),
        case(
            "10.0.0.50",
            "vm1001",
            "tcp",
            Some(9443),
            Drop,
            "policy /etc/pve/firewall/1001.fw policy_in",
        ),
        // Builder (vm1002) and the template CT 900 have no firewall object: nothing filters them.
        case("192.168.1.5", "vm1002", "tcp", Some(22), Accept, "none"),
        case("10.0.0.50", "10.0.0.200", "tcp", Some(5432), Accept, "none"),
        // Host to Step-CA: host OUT only has its policy ACCEPT, so 103.fw line 9 (10.0.0.0/24 on 9000) is what decides.
        case(
            "host",
            "ct103",
            "tcp",
            Some(9000),
            Accept,
            "/etc/pve/firewall/103.fw:9",
        ),
        // Source ports: a DNS reply (udp sport 53) nobody accepts is noise the DROP policy
        // discards silently; the same packet without sport 53 is dropped by the policy itself.
        Case {
            sport: Some(53),
            ..case(
                "192.168.1.5",
                "host",
                "udp",
                Some(40000),
                Drop,
                "implicit noise",
            )
        },
        Case {
            sport: Some(5353),
            ..case(
                "192.168.1.5",
                "host",
                "udp",
                Some(40000),
                Drop,
                "policy /etc/pve/firewall/cluster.fw policy_in",
            )
        },
        // A DHCP reply (udp 67 → 68) into Traefik (dhcp not 0) is accepted before its rules;
        // from another source port it is not a DHCP reply and meets 102.fw's policy_in.
        Case {
            sport: Some(67),
            ..case(
                "10.0.0.1",
                "ct102",
                "udp",
                Some(68),
                Accept,
                "implicit dhcp",
            )
        },
        Case {
            sport: Some(1067),
            ..case(
                "10.0.0.1",
                "ct102",
                "udp",
                Some(68),
                Drop,
                "policy /etc/pve/firewall/102.fw policy_in",
            )
        },
        // Step-CA to the host's web UI: 103 OUT policy ACCEPT, then host IN rule line 20 (10.0.0.10 is in admin_lan).
        case(
            "ct103",
            "host",
            "tcp",
            Some(8006),
            Accept,
            "/etc/pve/firewall/cluster.fw:20",
        ),
    ];
    let inv = load_dir(&example_dir());
    let rs = propose(&inv).ruleset(&inv);
    let mut failures = Vec::new();
    for c in &table {
        let (fz, fip) = resolve_endpoint(&rs, c.from, true).unwrap();
        let (tz, tip) = resolve_endpoint(&rs, c.to, false).unwrap();
        let proto = phx_fw::sim::query_proto(c.proto).unwrap();
        let icmp_type = (c.proto == "icmp").then(|| "echo-request".to_string());
        let a = rs.simulate(
            fz,
            tz,
            &Packet {
                src: fip,
                dst: tip,
                proto,
                dport: c.dport,
                sport: c.sport,
                icmp_type,
                ..Default::default()
            },
        );
        let by = match &a.decider {
            Decider::Rule { file, line, .. } => format!("{file}:{line}"),
            Decider::Policy { file, option, .. } => format!("policy {file} {option}"),
            Decider::Implicit(s) if s.contains("+management") => "implicit management".to_string(),
            Decider::Implicit(s) if s.contains("no firewall chain") => "none".to_string(),
            Decider::Implicit(s) if s.contains("DHCP") => "implicit dhcp".to_string(),
            Decider::Implicit(s) if s.contains("noise") => "implicit noise".to_string(),
            other => format!("other {other}"),
        };
        if a.verdict != c.verdict || by != c.by {
            failures.push(format!(
                "{} -> {} {} {:?} sport {:?}: got {} by {by}, expected {} by {}",
                c.from, c.to, c.proto, c.dport, c.sport, a.verdict, c.verdict, c.by
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn dhcp_reply_to_a_guest_is_implicitly_accepted() {
    let inv = load_dir(&example_dir());
    let rs = propose(&inv).ruleset(&inv);
    let (tz, tip) = resolve_endpoint(&rs, "ct103", false).unwrap();
    let p = Packet {
        src: "10.0.0.1".parse().unwrap(),
        dst: tip,
        proto: 17,
        dport: Some(68),
        sport: Some(67),
        icmp_type: None,
        ..Default::default()
    };
    let a = rs.simulate(phx_fw::sim::Zone::Outside, tz, &p);
    assert_eq!(a.verdict, Verdict::Accept);
    assert!(
        matches!(a.decider, Decider::Implicit(ref s) if s.contains("DHCP")),
        "{}",
        a.decider
    );
}

#[test]
fn reject_policy_answers_reject_but_drops_noise_silently() {
    // policy_in REJECT: a packet nobody accepts is REJECTed; a DNS reply
    // (udp sport 53) is noise and silently DROPped (pve-firewall's Firewall.pm, ruleset_generate_vm_rules and enable_host_firewall).
    let dir = example_with(|h| h["firewall"]["default_input_policy"] = serde_json::json!("REJECT"));
    let inv = load_dir(dir.path());
    let rs = propose(&inv).ruleset(&inv);
    let host = inv.host.network.address.addr();
    let src = "192.168.1.5".parse().unwrap();
    let tcp = Packet {
        src,
        dst: host,
        proto: 6,
        dport: Some(9999),
        sport: Some(40000),
        icmp_type: None,
        ..Default::default()
    };
    assert_eq!(
        rs.simulate(phx_fw::sim::Zone::Outside, phx_fw::sim::Zone::Host, &tcp)
            .verdict,
        Verdict::Reject
    );
    let dns_reply = Packet {
        src,
        dst: host,
        proto: 17,
        dport: Some(40000),
        sport: Some(53),
        icmp_type: None,
        ..Default::default()
    };
    assert_eq!(
        rs.simulate(
            phx_fw::sim::Zone::Outside,
            phx_fw::sim::Zone::Host,
            &dns_reply
        )
        .verdict,
        Verdict::Drop
    );
}

#[test]
fn disabled_cluster_firewall_accepts_everything() {
    let dir = example_with(|h| h["firewall"]["enabled"] = serde_json::json!(false));
    let inv = load_dir(dir.path());
    let rs = propose(&inv).ruleset(&inv);
    let (tz, tip) = resolve_endpoint(&rs, "ct103", false).unwrap();
    let p = Packet {
        src: "192.168.1.5".parse().unwrap(),
        dst: tip,
        proto: 6,
        dport: Some(22),
        sport: None,
        icmp_type: None,
        ..Default::default()
    };
    let a = rs.simulate(phx_fw::sim::Zone::Outside, tz, &p);
    assert_eq!(a.verdict, Verdict::Accept);
    assert!(matches!(a.decider, Decider::Disabled(_)));
}

#[test]
fn cli_simulate_names_the_rule() {
    phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .args([
            "--from",
            "10.0.0.50",
            "--to",
            "host",
            "--proto",
            "tcp",
            "--dport",
            "111",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("ACTION: DROP"))
        .stdout(predicates::str::contains(
            "decided by: /etc/pve/firewall/cluster.fw:24: IN DROP -p tcp -dport 111 -log info",
        ));
}

#[test]
fn cli_simulate_existing_files_under_state_root() {
    // A hand-written cluster.fw on "the host": 8006 is REJECTed by its line 7.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("etc/pve/firewall");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cluster.fw"),
        "[OPTIONS]\n\nenable: 1\n\n[RULES]\n\nIN REJECT -p tcp -dport 8006\n",
    )
    .unwrap();
    phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(root.path())
        .args(["--from", "10.0.0.50", "--to", "host", "--dport", "8006"])
        .assert()
        .success()
        .stdout(predicates::str::contains("ACTION: REJECT"))
        .stdout(predicates::str::contains(
            "/etc/pve/firewall/cluster.fw:7: IN REJECT -p tcp -dport 8006",
        ));
}

#[test]
fn cli_batch_answers_one_line_per_query() {
    let q = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(q.path(), "# from to proto dport\n10.0.0.50 host tcp 22\n192.168.1.5 host tcp 22\nct102 vm1001 tcp 9443\n").unwrap();
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--batch")
        .arg(q.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let verdicts: Vec<&str> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(verdicts, ["ACCEPT", "DROP", "ACCEPT"]);
}

/// One packet from `from` to the host through the example changed by `f`.
fn to_host(
    f: impl FnOnce(&mut serde_json::Value),
    from: &str,
    proto: u8,
    dport: Option<u16>,
    icmp_type: Option<&str>,
) -> phx_fw::sim::Answer {
    let dir = example_with(f);
    let inv = load_dir(dir.path());
    let rs = propose(&inv).ruleset(&inv);
    let (fz, fip) = resolve_endpoint(&rs, from, true).unwrap();
    rs.simulate(
        fz,
        phx_fw::sim::Zone::Host,
        &Packet {
            src: fip,
            dst: inv.host.network.address.addr(),
            proto,
            dport,
            sport: Some(40000),
            icmp_type: icmp_type.map(str::to_string),
            ..Default::default()
        },
    )
}

fn insert_rule(h: &mut serde_json::Value, rule: serde_json::Value) {
    h["firewall"]["global_firewall_rules"]
        .as_array_mut()
        .unwrap()
        .insert(0, rule);
}

/// ipset hash:net decides by the most specific entry: in
/// [10.0.0.0/24, !10.0.0.0/16] 10.0.0.50 matches the /24, 10.0.1.5 only the
/// nomatch /16 (so not the set).
#[test]
fn ipset_nomatch_is_decided_by_the_most_specific_entry() {
    let with_set = |entries: serde_json::Value| {
        move |h: &mut serde_json::Value| {
            h["firewall"]["ipsets"]["blk"] = entries;
            insert_rule(
                h,
                serde_json::json!({"type": "in", "action": "DROP", "source": "+blk", "proto": "tcp", "port": "22"}),
            );
        }
    };
    let a = to_host(
        with_set(serde_json::json!(["10.0.0.0/24", "!10.0.0.0/16"])),
        "10.0.0.50",
        6,
        Some(22),
        None,
    );
    assert_eq!(a.verdict, Verdict::Drop, "{}", a.decider);
    assert!(
        matches!(&a.decider, Decider::Rule { text, .. } if text == "IN DROP -source +blk -p tcp -dport 22"),
        "{}",
        a.decider
    );
    // A nomatch /25 inside a match /16: 10.0.0.50 is excluded, 10.0.0.200 is in.
    let set = serde_json::json!(["10.0.0.0/16", "!10.0.0.0/25"]);
    let a = to_host(with_set(set.clone()), "10.0.0.50", 6, Some(22), None);
    assert_eq!(a.verdict, Verdict::Accept, "{}", a.decider);
    let a = to_host(with_set(set), "10.0.0.200", 6, Some(22), None);
    assert_eq!(a.verdict, Verdict::Drop, "{}", a.decider);
}

/// The legacy numeric ICMP form `-p icmp -dport 8` (pve-firewall's Firewall.pm, verify_rule) matches
/// ICMP type 8, echo-request; `-dport 0` is echo-reply and does not.
#[test]
fn legacy_numeric_icmp_rules_match_their_type() {
    for (n, t, verdict) in [
        ("8", "echo-request", Verdict::Accept),
        ("0", "echo-request", Verdict::Drop),
        ("0", "echo-reply", Verdict::Accept),
        ("11", "time-exceeded", Verdict::Accept),
        ("3", "destination-unreachable", Verdict::Accept),
    ] {
        let a = to_host(
            |h| {
                insert_rule(
                    h,
                    serde_json::json!({"type": "in", "action": "ACCEPT", "source": "192.168.1.0/24", "proto": "icmp", "port": n}),
                )
            },
            "192.168.1.5",
            1,
            None,
            Some(t),
        );
        assert_eq!(a.verdict, verdict, "-dport {n} / {t}: {}", a.decider);
        if verdict == Verdict::Accept {
            assert!(
                matches!(&a.decider, Decider::Rule { line: 19, .. }),
                "-dport {n} / {t}: {}",
                a.decider
            );
        }
    }
}
