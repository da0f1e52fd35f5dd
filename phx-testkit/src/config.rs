//! The repository's configurations, and temp copies of them to edit.

use phx_common::config::{load, Input, Inventory};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub use phx_common::config::load::{HYPERVISOR_FILE as HYP, LXC_FILE as LXC, VM_FILE as VM};

/// The workspace's top directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("phx-testkit lives in the workspace")
        .to_path_buf()
}

/// The original system's real files, which Phoenix must accept unchanged.
pub fn upstream_dir() -> PathBuf {
    workspace().join("tests/fixtures/phoenix-upstream")
}

/// The bundled example configuration.
pub fn example_dir() -> PathBuf {
    workspace().join("examples/etc")
}

/// A fresh Proxmox node's files: the preview root's seed.
pub fn example_state() -> PathBuf {
    workspace().join("examples/state")
}

/// Loads a configuration directory that must be valid.
pub fn load_dir(dir: &Path) -> Inventory {
    load(&Input::Dir(dir.to_path_buf())).unwrap_or_else(|p| panic!("{p}"))
}

/// A temp copy of a configuration directory, to edit.
pub fn copy_config(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [HYP, LXC, VM] {
        let from = src.join(name);
        if from.exists() {
            std::fs::copy(&from, dir.path().join(name)).unwrap();
        }
    }
    dir
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Rewrites a JSON file through `edit`.
pub fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v = read_json(path);
    edit(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// The example's three documents, to edit in memory.
pub fn example_docs() -> (Value, Value, Value) {
    let d = example_dir();
    (
        read_json(&d.join(HYP)),
        read_json(&d.join(LXC)),
        read_json(&d.join(VM)),
    )
}

/// Writes three documents into a temp configuration directory.
pub fn write_docs(hyp: &Value, lxc: &Value, vm: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, doc) in [(HYP, hyp), (LXC, lxc), (VM, vm)] {
        std::fs::write(
            dir.path().join(name),
            serde_json::to_string_pretty(doc).unwrap(),
        )
        .unwrap();
    }
    dir
}

/// The example with its hypervisor document changed by `f`.
pub fn example_with(f: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let (mut h, l, v) = example_docs();
    f(&mut h);
    write_docs(&h, &l, &v)
}

/// The first `prog` on the process's PATH.
pub fn which(prog: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}
