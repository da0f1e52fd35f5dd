//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use phx_common::config::{load, Input, Inventory};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn example_dir() -> PathBuf {
    workspace().join("examples/etc")
}

pub fn upstream_dir() -> PathBuf {
    workspace().join("tests/fixtures/phoenix-upstream")
}

pub fn load_dir(dir: &Path) -> Inventory {
    load(&Input::Dir(dir.to_path_buf())).unwrap_or_else(|p| panic!("{p}"))
}

pub const HYP: &str = "phoenix_hypervisor_config.json";
pub const LXC: &str = "phoenix_lxc_configs.json";
pub const VM: &str = "phoenix_vm_configs.json";

/// The example's three documents.
pub fn example_docs() -> (Value, Value, Value) {
    let read = |n: &str| {
        serde_json::from_str(&std::fs::read_to_string(example_dir().join(n)).unwrap()).unwrap()
    };
    (read(HYP), read(LXC), read(VM))
}

/// Writes three documents into a fresh temp dir.
pub fn write_docs(h: &Value, l: &Value, v: &Value) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, doc) in [(HYP, h), (LXC, l), (VM, v)] {
        std::fs::write(d.path().join(n), serde_json::to_string_pretty(doc).unwrap()).unwrap();
    }
    d
}

/// The example with its hypervisor document changed by `f`.
pub fn example_with(f: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let (mut h, l, v) = example_docs();
    f(&mut h);
    write_docs(&h, &l, &v)
}

pub fn phx_fw() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("phx-fw").unwrap()
}
