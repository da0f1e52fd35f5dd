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
