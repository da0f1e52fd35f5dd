//! Helpers shared by phx-dns's integration tests.
#![allow(dead_code)]

pub use phx_testkit::*;
use serde_json::Value;

/// A small hypervisor document: domain `t.example`, host 10.0.0.13/24.
pub fn small_hypervisor() -> Value {
    serde_json::json!({
        "domain_name": "t.example",
        "network": {"interfaces": {"name": "vmbr0", "address": "10.0.0.13/24", "gateway": "10.0.0.1"}}
    })
}

/// Writes the documents into a temp dir (the VM document only when given).
pub fn write_config(hyp: &Value, lxc: &Value, vm: Option<&Value>) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(HYP), serde_json::to_vec_pretty(hyp).unwrap()).unwrap();
    std::fs::write(d.path().join(LXC), serde_json::to_vec_pretty(lxc).unwrap()).unwrap();
    if let Some(vm) = vm {
        std::fs::write(d.path().join(VM), serde_json::to_vec_pretty(vm).unwrap()).unwrap();
    }
    d
}

/// An LXC entry with a static IP in 10.0.0.0/24.
pub fn lxc(name: &str, ip: &str) -> Value {
    serde_json::json!({"name": name, "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": format!("{ip}/24"), "gw": "10.0.0.1"}})
}

/// `(ip, name)` pairs of a rendered hosts file, in file order (comments skipped).
pub fn hosts_lines(hosts: &str) -> Vec<(String, String)> {
    hosts
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let (ip, name) = (
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
            );
            assert!(it.next().is_none(), "one name per line: {l:?}");
            (ip, name)
        })
        .collect()
}

/// `(name, address)` of every exact record, and `(address, PTR name)` of some.
pub type Expected = (Vec<(String, &'static str)>, Vec<(&'static str, String)>);

/// Expected records of the upstream fixture, written by hand from its JSON:
/// `(name, address)`, and the PTR name of each address that has one.
pub fn upstream_expected() -> Expected {
    let d = "phoenix.thinkheads.ai";
    let fwd = vec![
        // every guest with a static IP, name lower-cased and made DNS-safe
        (format!("copy-base.{d}"), "10.0.0.200"),
        (format!("copy-cuda12-8.{d}"), "10.0.0.201"),
        (format!("copy-vllm-gpux2.{d}"), "10.0.0.220"),
        (format!("copy-vllm-gpu0.{d}"), "10.0.0.221"),
        (format!("copy-vllm-gpu1.{d}"), "10.0.0.222"),
        (format!("granite-embedding.{d}"), "10.0.0.141"),
        (format!("granite-3-3-8b-fp8.{d}"), "10.0.0.142"),
        (format!("nginx-phoenix.{d}"), "10.0.0.153"),
        (format!("ollama-gpu0.{d}"), "10.0.0.155"),
        (format!("llamacpp-gpu0.{d}"), "10.0.0.157"),
        (format!("step-ca.{d}"), "10.0.0.10"),
        (format!("traefik-internal.{d}"), "10.0.0.12"),
        // no step_ca.dns_name: ca.<domain> -> the step_ca guest (CTID 103)
        (format!("ca.{d}"), "10.0.0.10"),
        // VM 1001's explicit record wins over its own address 10.0.0.101
        (format!("portainer.{d}"), "10.0.0.153"),
        // VM 1002: explicit record and own name agree
        (format!("drphoenix.{d}"), "10.0.0.102"),
    ];
    let ptr = vec![
        ("10.0.0.10", format!("step-ca.{d}")),
        ("10.0.0.12", format!("traefik-internal.{d}")),
        ("10.0.0.153", format!("nginx-phoenix.{d}")),
        ("10.0.0.102", format!("drphoenix.{d}")),
        ("10.0.0.142", format!("granite-3-3-8b-fp8.{d}")),
        ("10.0.0.200", format!("copy-base.{d}")),
    ];
    (fwd, ptr)
}

/// Expected records of the bundled example, written by hand from its JSON.
pub fn example_expected() -> Expected {
    let d = "internal.thinkheads.ai";
    let fwd = vec![
        (format!("base-template.{d}"), "10.0.0.200"),
        (format!("step-ca.{d}"), "10.0.0.10"),
        (format!("traefik-internal.{d}"), "10.0.0.12"),
        (format!("gitea.{d}"), "10.0.0.110"),
        (format!("monitoring.{d}"), "10.0.0.111"),
        (format!("builder.{d}"), "10.0.0.102"),
        // step_ca.dns_name -> the step_ca guest
        (format!("ca.{d}"), "10.0.0.10"),
        // traefik_service names -> the traefik guest (CTID 102)
        (format!("git.{d}"), "10.0.0.12"),
        (format!("grafana.{d}"), "10.0.0.12"),
        (format!("prometheus.{d}"), "10.0.0.12"),
        // VM 1001's explicit record wins over its own address
        (format!("portainer.{d}"), "10.0.0.12"),
    ];
    let ptr = vec![
        ("10.0.0.10", format!("step-ca.{d}")),
        ("10.0.0.12", format!("traefik-internal.{d}")),
        ("10.0.0.110", format!("gitea.{d}")),
        ("10.0.0.111", format!("monitoring.{d}")),
        ("10.0.0.102", format!("builder.{d}")),
    ];
    (fwd, ptr)
}
