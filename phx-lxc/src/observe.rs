//! What the machine has: the confs of the containers in the inventory (read
//! directly, never `pct config`), and one `pct list` for running state.

use crate::conf::Conf;
use phx_common::config::Inventory;
use phx_common::fsutil::under_root;
use phx_common::guest_conf::{self, PCT};
use phx_common::probe;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::Path;

pub fn conf_path(ctid: u32) -> String {
    format!("/etc/pve/lxc/{ctid}.conf")
}

#[derive(Debug, Default, Clone)]
pub struct Observed {
    /// Containers that exist, by CTID (only those in the inventory are read).
    pub confs: HashMap<u32, Conf>,
    pub running: HashSet<u32>,
    /// Bind-mount host paths of the inventory that exist.
    pub host_paths: HashSet<String>,
    /// pct calls made while observing.
    pub pct_calls: usize,
    /// Things the operator should know (e.g. pct missing offline).
    pub notes: Vec<String>,
}

/// The first `name` on PATH, for messages.
fn on_path(name: &str, path: Option<&OsStr>) -> Option<std::path::PathBuf> {
    let path = path
        .map(OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// What the containers look like now. `path` is the PATH `pct` is looked up
/// in (`None`: the process's).
pub fn observe(
    inv: &Inventory,
    state_root: &Path,
    path: Option<&OsStr>,
) -> anyhow::Result<Observed> {
    let mut o = Observed::default();
    for &ctid in inv.lxcs.keys() {
        if let Some(conf) = guest_conf::read(state_root, &conf_path(ctid), PCT)? {
            o.confs.insert(ctid, conf);
        }
    }
    for c in inv.lxcs.values() {
        for m in &c.mount_points {
            if under_root(state_root, &m.host_path).exists() {
                o.host_paths.insert(m.host_path.clone());
            }
        }
    }
    let running = probe::running("pct", "container", state_root, path, 1)?;
    o.pct_calls = running.calls;
    o.running = running.ids;
    o.notes = running.notes;
    if o.pct_calls > 0 && state_root != Path::new("/") {
        o.notes.push(format!(
            "running state is from `pct list` ({}, run with PHX_ROOT={}), not from files under the state root; on a live host that is the live host's running state",
            on_path("pct", path).map_or_else(|| "pct".to_string(), |p| p.display().to_string()),
            state_root.display()
        ));
    }
    Ok(o)
}
