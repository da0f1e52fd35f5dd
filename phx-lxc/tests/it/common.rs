//! phx-lxc's test plumbing over phx-testkit: the pct double on the planner's
//! and the executor's PATH, plan + apply into a temp root.
#![allow(dead_code)]

use phx_apply::Report;
use phx_common::config::Inventory;
use phx_lxc::{observe, Options, Planned};
use phx_plan::Step;
pub use phx_testkit::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the pct double in front, for the planner's `pct list` and the
/// executor's commands alike.
pub fn pct_path() -> &'static OsString {
    static PATH: OnceLock<OsString> = OnceLock::new();
    PATH.get_or_init(|| doubles_path(&["pct"]))
}

pub fn plan(inv: &Inventory, root: &Path, opts: Options) -> Planned {
    let seen = observe::observe(inv, root, Some(pct_path())).unwrap();
    phx_lxc::plan(inv, &seen, opts).unwrap_or_else(|p| panic!("{p}"))
}

/// Applies `steps` into `root`. A golden template's features run inside it
/// before its snapshot, so every container starts with the guest-program
/// doubles (apt-get, locale-gen…) in its root.
pub fn run(steps: &[Step], root: &Path) -> Report {
    install_guest_doubles(root);
    apply_ok(steps, root, pct_path())
}

pub fn log(root: &Path) -> Vec<String> {
    double_log(root, "pct")
}

pub fn clear_log(root: &Path) {
    let _ = std::fs::remove_file(root.join("pct.log"));
}

/// Plans and applies the inventory in `dir` into `root` (empty or not).
pub fn converge(dir: &Path, root: &Path) -> Inventory {
    let inv = load_dir(dir);
    make_bind_sources(&inv, root);
    register_datasets(&inv, root);
    nvidia_nodes(root, &[0, 1]);
    let p = plan(&inv, root, Options::default());
    run(&p.plan.steps, root);
    inv
}

pub fn conf_text(root: &Path, ctid: u32) -> String {
    std::fs::read_to_string(root.join(format!("etc/pve/lxc/{ctid}.conf"))).unwrap()
}

/// `key: value` of the main section (up to the first `[` line).
pub fn main_key(root: &Path, ctid: u32, key: &str) -> Option<String> {
    conf_main_key(&conf_text(root, ctid), key)
}

pub fn running(root: &Path) -> Vec<u32> {
    running_ids(root, "pct-double")
}

/// Edits `phoenix_lxc_configs.json` in a copied config dir.
pub fn edit_lxc(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    edit_json(&dir.join(LXC), f);
}
