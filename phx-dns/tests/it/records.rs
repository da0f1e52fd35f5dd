//! What the generated files contain, checked against expectations written by
//! hand from the JSON (the upstream fixture, the example, small inventories).

use crate::common;
use common::*;
use serde_json::json;
use std::collections::BTreeMap;

fn files(out: &phx_dns::Output) -> (&str, &str) {
    assert_eq!(out.files[0].0, "/etc/dnsmasq.d/phoenix.conf");
    assert_eq!(out.files[1].0, "/etc/phoenix/dns/hosts");
    (&out.files[0].1, &out.files[1].1)
}

/// name -> ip, failing on a name that appears twice.
fn forward(hosts: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (ip, name) in hosts_lines(hosts) {
        assert!(m.insert(name.clone(), ip).is_none(), "{name} appears twice");
    }
    m
}

/// The first name of each address (the one dnsmasq answers PTR queries with).
fn reverse(hosts: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (ip, name) in hosts_lines(hosts) {
        m.entry(ip).or_insert(name);
    }
    m
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn conf_lines(conf: &str) -> Vec<&str> {
    conf.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn upstream_fixture_records() {
    let out = phx_dns::build(&load_dir(&upstream_dir()), &Default::default())
        .unwrap_or_else(|p| panic!("{p}"));
    let (conf, hosts) = files(&out);
    let (fwd, ptr) = upstream_expected();
    let expected: BTreeMap<String, String> =
        fwd.into_iter().map(|(n, i)| (n, i.to_string())).collect();
    assert_eq!(forward(hosts), expected);
    let rev = reverse(hosts);
    for (ip, name) in ptr {
        assert_eq!(rev[ip], name, "PTR of {ip}");
    }
    assert!(
        !rev.contains_key("10.0.0.101"),
        "Portainer's own address lost its name to the explicit record"
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("vms[1].dns_records[0]")
                && w.contains("10.0.0.153")
                && w.contains("10.0.0.101")),
        "{:?}",
        out.warnings
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);

    // No dns_server object: Google's resolvers, as in the original system.
    assert_eq!(
        conf_lines(conf),
        vec![
            "listen-address=127.0.0.1,10.0.0.13",
            "bind-interfaces",
            "no-resolv",
            "domain-needed",
            "bogus-priv",
            "local=/phoenix.thinkheads.ai/",
            "server=8.8.8.8",
            "server=8.8.4.4",
            "addn-hosts=/etc/phoenix/dns/hosts",
        ]
    );
}

#[test]
fn example_records() {
    let out = phx_dns::build(&load_dir(&example_dir()), &Default::default())
        .unwrap_or_else(|p| panic!("{p}"));
    let (conf, hosts) = files(&out);
    let (fwd, ptr) = example_expected();
    let expected: BTreeMap<String, String> =
        fwd.into_iter().map(|(n, i)| (n, i.to_string())).collect();
    assert_eq!(forward(hosts), expected);
    let rev = reverse(hosts);
    for (ip, name) in ptr {
        assert_eq!(rev[ip], name, "PTR of {ip}");
    }
    let lines = conf_lines(conf);
    assert!(
        lines.contains(&"server=9.9.9.9") && lines.contains(&"server=149.112.112.112"),
        "{conf}"
    );
    assert!(
        !conf.contains("8.8.8.8"),
        "configured upstreams replace the default"
    );
    assert!(lines.contains(&"local=/internal.thinkheads.ai/"));
    // The wildcard record is the only address= line; plain records never use it.
    let address: Vec<&&str> = lines.iter().filter(|l| l.starts_with("address=")).collect();
    assert_eq!(
        address,
        vec![&"address=/apps.internal.thinkheads.ai/10.0.0.12"]
    );
    assert!(
        !hosts.contains("apps.internal"),
        "a wildcard is not a hosts entry"
    );
}

#[test]
fn ca_follows_the_step_ca_feature_and_dns_name() {
    let mut hyp = small_hypervisor();
    hyp["step_ca"] = json!({"dns_name": "pki.t.example"});
    let mut ca = lxc("Vault", "10.0.0.77");
    ca["features"] = json!(["step_ca"]);
    let dir = write_config(
        &hyp,
        &json!({"lxc_configs": {"250": ca, "103": lxc("other", "10.0.0.10")}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    let fwd = forward(&out.files[1].1);
    assert_eq!(fwd["pki.t.example"], "10.0.0.77");
    assert!(!fwd.contains_key("ca.t.example"));
    assert_eq!(fwd["other.t.example"], "10.0.0.10");
}

#[test]
fn no_ca_guest_no_ca_record() {
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"200": lxc("a", "10.0.0.20")}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    assert_eq!(
        forward(&out.files[1].1),
        map(&[("a.t.example", "10.0.0.20")])
    );
}

#[test]
fn wildcard_wins_over_a_derived_name_below_it() {
    let mut b = lxc("b", "10.0.0.21");
    b["dns_records"] = json!([{"hostname": "*.t.example", "ip": "10.0.0.21"}]);
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"200": lxc("a", "10.0.0.20"), "201": b}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    let fwd = forward(&out.files[1].1);
    // a.t.example -> .20 would beat the wildcard in dnsmasq (hosts files win); explicit must win.
    assert!(!fwd.contains_key("a.t.example"), "{fwd:?}");
    assert_eq!(
        fwd["b.t.example"], "10.0.0.21",
        "same address as the wildcard: kept for its PTR"
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("a.t.example") && w.contains("dns_records[0]")),
        "{:?}",
        out.warnings
    );
    assert!(out.files[0].1.contains("\naddress=/t.example/10.0.0.21\n"));
}

#[test]
fn qualified_service_names_are_not_doubled_and_duplicates_collapse() {
    let mut proxy = lxc("proxy", "10.0.0.12");
    proxy["features"] = json!(["traefik"]);
    let mut a = lxc("a", "10.0.0.20");
    a["traefik_service"] = json!([{"name": "git.t.example", "port": 3000}, {"name": "wiki"}]);
    let mut b = lxc("b", "10.0.0.21");
    b["traefik_service"] = json!({"name": "wiki", "port": 80});
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"102": proxy, "200": a, "201": b}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    let fwd = forward(&out.files[1].1);
    assert_eq!(fwd["git.t.example"], "10.0.0.12");
    assert_eq!(fwd["wiki.t.example"], "10.0.0.12");
    assert_eq!(reverse(&out.files[1].1)["10.0.0.12"], "proxy.t.example");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn derived_name_clash_keeps_the_ca_and_warns() {
    // A guest named "ca" wants ca.t.example too; the CA's name comes first.
    let mut ca = lxc("step", "10.0.0.10");
    ca["features"] = json!(["step_ca"]);
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"103": ca, "200": lxc("CA", "10.0.0.30")}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    assert_eq!(forward(&out.files[1].1)["ca.t.example"], "10.0.0.10");
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("lxc_configs.\"200\".name") && w.contains("10.0.0.30")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn record_outside_every_subnet_is_a_warning() {
    let mut a = lxc("a", "10.0.0.20");
    a["dns_records"] = json!([{"hostname": "far.t.example", "ip": "192.168.7.7"}, {"hostname": "near.t.example", "ip": "10.0.0.99"}]);
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"200": a}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("lxc_configs.\"200\".dns_records[0]")
            && out.warnings[0].contains("192.168.7.7"),
        "{:?}",
        out.warnings
    );
    assert_eq!(forward(&out.files[1].1)["far.t.example"], "192.168.7.7");
}

fn problems_of(lxcs: serde_json::Value) -> Vec<String> {
    let dir = write_config(
        &small_hypervisor(),
        &json!({ "lxc_configs": lxcs }),
        Some(&json!({ "vms": [] })),
    );
    match phx_dns::build(&load_dir(dir.path()), &Default::default()) {
        Ok(_) => panic!("expected problems"),
        Err(p) => p.list.iter().map(|x| x.to_string()).collect(),
    }
}

#[test]
fn service_without_a_traefik_guest_is_an_error() {
    let mut a = lxc("a", "10.0.0.20");
    a["traefik_service"] = json!({"name": "git"});
    let p = problems_of(json!({"200": a}));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("lxc_configs.\"200\".traefik_service") && p[0].contains("traefik"),
        "{p:?}"
    );
}

#[test]
fn two_traefik_guests_are_an_error() {
    let mut a = lxc("a", "10.0.0.20");
    a["traefik_service"] = json!({"name": "git"});
    a["features"] = json!(["traefik"]);
    let mut b = lxc("b", "10.0.0.21");
    b["features"] = json!(["traefik"]);
    let p = problems_of(json!({"200": a, "201": b}));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("lxc_configs.\"201\".features") && p[0].contains("lxc_configs.\"200\""),
        "{p:?}"
    );
}

#[test]
fn all_digit_top_label_is_an_error() {
    let mut a = lxc("a", "10.0.0.20");
    a["dns_records"] = json!([{"hostname": "host.10", "ip": "10.0.0.5"}]);
    let p = problems_of(json!({"200": a}));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("lxc_configs.\"200\".dns_records[0]") && p[0].contains("\"host.10\""),
        "{p:?}"
    );
}

#[test]
fn disabled_plans_removal_only() {
    let mut hyp = small_hypervisor();
    hyp["dns_server"] = json!({"enabled": false});
    let dir = write_config(
        &hyp,
        &json!({"lxc_configs": {"200": lxc("a", "10.0.0.20")}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    let kinds: Vec<(&str, &str)> = out
        .plan
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.action.kind()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("dns:conf", "absent"),
            ("dns:records", "absent"),
            ("dns:restart", "handler")
        ]
    );
    assert_eq!(out.notes.len(), 1);
    assert!(out.notes[0].contains("/etc/dnsmasq.d/phoenix.conf"));
}

#[test]
fn upstream_pointing_at_ourselves_is_an_error() {
    let mut hyp = small_hypervisor();
    hyp["dns_server"] = json!({"upstream_servers": ["9.9.9.9", "10.0.0.13"]});
    let dir = write_config(
        &hyp,
        &json!({"lxc_configs": {}}),
        Some(&json!({ "vms": [] })),
    );
    let p: Vec<String> = match phx_dns::build(&load_dir(dir.path()), &Default::default()) {
        Ok(_) => panic!("a forwarding loop must be refused"),
        Err(p) => p.list.iter().map(|x| x.to_string()).collect(),
    };
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("dns_server.upstream_servers[1]: \"10.0.0.13\""),
        "{p:?}"
    );
}

#[test]
fn a_service_named_like_a_guest_wins_with_a_warning() {
    let mut proxy = lxc("proxy", "10.0.0.12");
    proxy["features"] = json!(["traefik"]);
    let mut git = lxc("git", "10.0.0.20");
    git["traefik_service"] = json!({"name": "git", "port": 3000});
    let dir = write_config(
        &small_hypervisor(),
        &json!({"lxc_configs": {"102": proxy, "200": git}}),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns::build(&load_dir(dir.path()), &Default::default()).unwrap();
    let fwd = forward(&out.files[1].1);
    // Users reach the service through Traefik; the guest's own name yields.
    assert_eq!(fwd["git.t.example"], "10.0.0.12");
    assert!(
        out.warnings.iter().any(|w| w.contains("git.t.example")
            && w.contains("guest 200")
            && w.contains("Traefik service git")),
        "{:?}",
        out.warnings
    );
}
