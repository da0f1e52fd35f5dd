//! The lockout guard compiles only the rules that can decide host IN for
//! tcp to the management ports (`sim::Scope::HostInTcp`). Whatever it
//! leaves out, its answer must be the whole ruleset's: these rules are of
//! every sort the scope treats differently.

use crate::common;
use common::*;
use phx_fw::ipv4set::Ipv4Set;
use phx_fw::lockout::MANAGEMENT_PORTS;
use phx_fw::planner::{guard_ruleset, propose, validate};
use phx_fw::sim::localnet::Routes;
use phx_fw::sim::{Scope, Verdict};
use serde_json::json;

fn mixed_rules() -> tempfile::TempDir {
    example_with(|h| {
        let fw = &mut h["firewall"];
        fw["ipsets"]["blk"] = json!(["10.0.0.64/26", "!10.0.0.96/27"]);
        fw["groups"]["gate"] = json!([
            {"type": "in", "action": "DROP", "source": "10.0.0.20", "proto": "tcp", "port": "22"},
            {"type": "out", "action": "DROP", "proto": "tcp", "port": "8006"},
            {"type": "in", "action": "REJECT", "source": "10.0.0.21", "proto": "udp", "port": "8006"}
        ]);
        let mixed = [
            json!({"type": "out", "action": "DROP", "proto": "tcp", "port": "22"}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.5", "proto": "udp", "port": "22"}),
            json!({"type": "in", "action": "REJECT", "source": "+blk", "proto": "tcp", "port": "8000:8010"}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.9", "proto": "tcp", "port": "23"}),
            json!({"type": "in", "action": "DROP", "macro": "SSH", "source": "10.0.0.10"}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.11"}),
            json!({"type": "group", "action": "gate"}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.12", "proto": "tcp", "port": "22", "sport": "1000:2000"}),
            json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.13", "proto": "tcp", "port": "22", "sport": "1000"}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.14", "proto": "tcp", "enable": false}),
            json!({"type": "in", "action": "DROP", "source": "10.0.0.15", "proto": "icmp"}),
            json!({"type": "in", "action": "REJECT", "source": "10.0.0.16", "proto": "tcp", "port": "20:30"}),
        ];
        let rules = fw["global_firewall_rules"].as_array_mut().unwrap();
        for (i, r) in mixed.into_iter().enumerate() {
            rules.insert(i, r);
        }
    })
}

#[test]
fn the_guards_ruleset_answers_as_the_whole_ruleset() {
    let dir = mixed_rules();
    let inv = load_dir(dir.path());
    validate(&inv).unwrap_or_else(|p| panic!("{p}"));
    let whole = propose(&inv).ruleset(&inv);
    let guard = guard_ruleset(&inv, propose(&inv).docs, Routes::None);
    assert_eq!(guard.scope(), &Scope::HostInTcp(MANAGEMENT_PORTS.to_vec()));
    let admin: ipnet::Ipv4Net = "10.0.0.0/16".parse().unwrap();
    for sources in [Ipv4Set::full(), Ipv4Set::from_net(&admin)] {
        for port in MANAGEMENT_PORTS {
            let want = whole.host_in_partition(port, &sources);
            assert_eq!(guard.host_in_partition(port, &sources), want, "tcp/{port}");
            // The rules above decide parts of it, not only the policy.
            let denied = want.iter().filter(|(_, v, _)| *v != Verdict::Accept);
            assert!(denied.count() >= 3, "tcp/{port}: {want:?}");
        }
    }
}

#[test]
#[should_panic(expected = "cannot simulate")]
fn the_guards_ruleset_refuses_to_simulate() {
    let inv = load_dir(&example_dir());
    let guard = guard_ruleset(&inv, propose(&inv).docs, Routes::None);
    guard.simulate(
        phx_fw::sim::Zone::Outside,
        phx_fw::sim::Zone::Host,
        &phx_fw::sim::Packet::default(),
    );
}
