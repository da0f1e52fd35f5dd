//! phx-vm's test plumbing over phx-testkit: the qm (and pct) doubles on the
//! planner's and the executor's PATH, stand-in cloud images, plan + apply
//! into a temp root, and phoenix-cli run with the workspace's binaries.
#![allow(dead_code)]

use phx_apply::Report;
use phx_common::config::Inventory;
use phx_plan::Step;
pub use phx_testkit::*;
use phx_vm::{observe, Options, Planned};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// PATH with the qm and pct doubles in front.
pub fn doubles() -> &'static OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| doubles_path(&["qm", "pct", "pvesm"]))
}

/// The images the inventory's templates name, and the host directories its
/// containers bind-mount: what an operator has on the host before LetsGo.
pub fn prepare_host(dir: &Path, root: &Path) {
    put_images(dir, root);
    make_bind_sources(&load_dir(dir), root);
}

pub fn plan(inv: &Inventory, root: &Path, opts: Options) -> Planned {
    let seen = observe::observe(inv, root, Some(doubles())).unwrap();
    phx_vm::plan(inv, &seen, root, opts).unwrap_or_else(|p| panic!("{p}"))
}

pub fn run(steps: &[Step], root: &Path) -> Report {
    apply_ok(steps, root, doubles())
}

pub fn log(root: &Path, prog: &str) -> Vec<String> {
    double_log(root, prog)
}

pub fn clear_logs(root: &Path) {
    for p in ["qm", "pct", "pvesm"] {
        let _ = std::fs::remove_file(root.join(format!("{p}.log")));
    }
}

pub fn vm_conf(root: &Path, vmid: u32) -> String {
    std::fs::read_to_string(root.join(format!("etc/pve/qemu-server/{vmid}.conf"))).unwrap()
}

/// `key: value` of a VM's main section.
pub fn vm_key(root: &Path, vmid: u32, key: &str) -> Option<String> {
    conf_main_key(&vm_conf(root, vmid), key)
}

pub fn running_vms(root: &Path) -> Vec<u32> {
    running_ids(root, "qm-double")
}

/// The workspace's binaries (target/<profile>), which phoenix-cli runs.
pub fn bin_dir() -> PathBuf {
    let bins = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    for tool in ["phoenix-cli", "phx-apply", "phx-lxc", "phx-vm"] {
        assert!(
            bins.join(tool).exists(),
            "{tool} is not built in {}: run `cargo build --workspace` (or cargo test --workspace)",
            bins.display()
        );
    }
    bins
}

/// `phoenix-cli ARGS` with the workspace's binaries and the doubles on PATH.
pub fn phoenix_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new("bash")
        .arg(workspace().join("scripts/phoenix-cli"))
        .args(args)
        .env("PHX_BIN_DIR", bin_dir())
        .env("PATH", doubles())
        .output()
        .unwrap()
}

/// The example's VMs converged into a fresh root (phx-vm alone: no
/// container is made); the config dir and the root.
pub fn converged() -> (tempfile::TempDir, tempfile::TempDir) {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let inv = load_dir(cfg.path());
    run(
        &plan(&inv, root.path(), Options::default()).plan.steps,
        root.path(),
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
    (cfg, root)
}
