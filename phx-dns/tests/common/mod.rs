//! Helpers shared by phx-dns's integration tests.
#![allow(dead_code)]

use phx_common::config::{load, Input, Inventory};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const HYP: &str = "phoenix_hypervisor_config.json";
pub const LXC: &str = "phoenix_lxc_configs.json";
pub const VM: &str = "phoenix_vm_configs.json";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn upstream_dir() -> PathBuf {
    repo().join("tests/fixtures/phoenix-upstream")
}

pub fn example_dir() -> PathBuf {
    repo().join("examples/etc")
}

pub fn load_dir(dir: &Path) -> Inventory {
    load(&Input::Dir(dir.to_path_buf()))
        .unwrap_or_else(|p| panic!("{} does not load:\n{p}", dir.display()))
}

/// Copies the three files of `src` into a fresh temp dir, to edit them.
pub fn copy_config(src: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in [HYP, LXC, VM] {
        if src.join(f).exists() {
            std::fs::copy(src.join(f), d.path().join(f)).unwrap();
        }
    }
    d
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v = read_json(path);
    edit(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

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

/// The first `prog` on PATH.
pub fn which(prog: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(prog))
        .find(|f| f.is_file())
}
