//! What the machine has: the confs of the containers in the inventory (read
//! directly, never `pct config`), and one `pct list` for running state.

use crate::conf::{self, Conf};
use phx_common::config::Inventory;
use phx_common::fsutil::{read_optional, under_root};
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

/// Rows of `pct list` (`VMID Status Lock Name`) whose status is `running`.
pub fn parse_list(out: &str) -> HashSet<u32> {
    out.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let id = f.next()?.parse::<u32>().ok()?;
            (f.next()? == "running").then_some(id)
        })
        .collect()
}

/// `pct list`'s output (see `phx_common::probe::list`).
pub fn pct_list(state_root: &Path, path: Option<&OsStr>) -> std::io::Result<String> {
    phx_common::probe::list("pct", state_root, path)
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
        let p = under_root(state_root, &conf_path(ctid));
        if let Some(text) =
            read_optional(&p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?
        {
            o.confs.insert(ctid, conf::parse(&text));
        }
    }
    for c in inv.lxcs.values() {
        for m in &c.mount_points {
            if under_root(state_root, &m.host_path).exists() {
                o.host_paths.insert(m.host_path.clone());
            }
        }
    }
    match pct_list(state_root, path) {
        Ok(out) => {
            o.pct_calls += 1;
            o.running = parse_list(&out);
            if state_root != Path::new("/") {
                o.notes.push(format!(
                    "running state is from `pct list` ({}, run with PHX_ROOT={}), not from files under the state root; on a live host that is the live host's running state",
                    on_path("pct", path).map_or_else(|| "pct".to_string(), |p| p.display().to_string()),
                    state_root.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && state_root != Path::new("/") => {
            o.notes.push(format!(
                "pct is not on PATH: planning offline against {} with every container taken as stopped",
                state_root.display()
            ));
        }
        Err(e) => anyhow::bail!("running `pct list` for the containers' running state: {e}"),
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_rows() {
        let out = "VMID       Status     Lock         Name                \n101        running                 dns01               \n102        stopped    backup       web                 \n900        running    snapshot     base                \n";
        let r = parse_list(out);
        assert!(r.contains(&101) && r.contains(&900));
        assert!(!r.contains(&102));
        assert!(parse_list("").is_empty());
    }
}
