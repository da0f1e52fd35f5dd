//! What the machine has: the confs of the containers in the inventory (read
//! directly, never `pct config`), and one `pct list` for running state.

use crate::KIND;
use phx_common::config::Inventory;
use phx_common::guest_storage;
use phx_common::guests;
use phx_plan::fsutil::under_root;
use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::path::Path;

pub fn conf_path(ctid: u32) -> String {
    KIND.conf_path(ctid)
}

/// The flock pct and the API hold while they change CT `ctid`'s conf
/// (pve-container src/PVE/LXC/Config.pm:53 config_file_lock:
/// `$lockdir/pve-config-${vmid}.lock`, `$lockdir` = /run/lock/lxc). Phoenix
/// writes a conf holding it too, rather than through `pct set`, because the
/// raw `lxc.*` lines it edits are no `pct set` option.
pub fn conf_lock(ctid: u32) -> phx_plan::ConfLock {
    phx_plan::ConfLock {
        lock_file: format!("/run/lock/lxc/pve-config-{ctid}.lock"),
        guest: format!("CT {ctid}"),
    }
}

/// What only phx-lxc looks at.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// Bind-mount host paths of the inventory that exist.
    pub host_paths: HashSet<String>,
    /// Template files of the inventory (`phx_common::fetch`'s paths) that exist.
    pub templates: HashSet<String>,
    /// What each storage may hold (storage.cfg under the state root, the
    /// JSON's datasets over it).
    pub contents: guest_storage::Contents,
    /// Each storage's type (storage.cfg, the JSON's datasets over it), for
    /// the names pct gives volumes (crate::one_volume).
    pub kinds: crate::one_volume::Kinds,
    /// The `subvol-*` volumes found on each zfspool storage (the datasets
    /// at its mount point), when zfs_volumes names repeat: pct
    /// never reuses their numbers (crate::one_volume).
    pub on_storage: crate::one_volume::OnStorage,
    /// The node's NVIDIA device nodes, read when a container has a
    /// `gpu_assignment` (crate::gpu).
    pub gpu_nodes: crate::gpu::HostNodes,
    /// The NVIDIA runfiles of the inventory the host keeps
    /// (phx_common::gpu::runfile_path), pushed into a golden template.
    pub host_files: HashSet<String>,
}

pub type Observed = guests::Observed<Sources>;

/// Each storage's type: the node's storage.cfg, then the JSON's datasets
/// (phx-storage registers them before the guests are planned); and where
/// each zfspool keeps its subvolumes (pve-storage
/// src/PVE/Storage/ZFSPoolPlugin.pm:185: `mountpoint`, else `/<pool>`).
fn kinds(
    inv: &Inventory,
    state_root: &Path,
) -> anyhow::Result<(crate::one_volume::Kinds, BTreeMap<String, String>)> {
    let file = under_root(state_root, phx_common::storage_cfg::PATH);
    let text = phx_plan::fsutil::read_optional(&file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?
        .unwrap_or_default();
    let mut kinds = crate::one_volume::Kinds::new();
    let mut dirs = BTreeMap::new();
    for e in phx_common::storage_cfg::parse(&text).map_err(anyhow::Error::msg)? {
        if e.kind == "zfspool" {
            let dir = e
                .get("mountpoint")
                .map(str::to_string)
                .or_else(|| e.get("pool").map(|p| format!("/{p}")));
            if let Some(dir) = dir {
                dirs.insert(e.id.clone(), dir);
            }
        }
        kinds.insert(e.id, e.kind);
    }
    for d in &inv.host.zfs_datasets {
        if let Some(t) = &d.storage_type {
            if t == "zfspool" {
                dirs.entry(d.storage_id()).or_insert_with(|| d.mount_dir());
            }
            kinds.insert(d.storage_id(), t.clone());
        }
    }
    Ok((kinds, dirs))
}

/// The `subvol-<ctid>-disk-<n>` directories in each zfspool's mount point.
fn volumes_on(
    dirs: &BTreeMap<String, String>,
    state_root: &Path,
) -> anyhow::Result<crate::one_volume::OnStorage> {
    let mut out = crate::one_volume::OnStorage::new();
    for (id, dir) in dirs {
        let at = under_root(state_root, dir);
        let entries = match std::fs::read_dir(&at) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => anyhow::bail!("reading {}: {e}", at.display()),
        };
        for e in entries {
            let name = e?.file_name().to_string_lossy().into_owned();
            if name.starts_with("subvol-") {
                out.entry(id.clone()).or_default().push(name);
            }
        }
    }
    Ok(out)
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
    let mut o: Observed = guests::observe(KIND, inv.lxcs.keys().copied(), state_root, path)?;
    o.own.contents =
        guest_storage::Contents::read(&inv.host, state_root).map_err(anyhow::Error::msg)?;
    let (kinds, dirs) = kinds(inv, state_root)?;
    o.own.kinds = kinds;
    if !crate::one_volume::names(inv).is_empty() {
        o.own.on_storage = volumes_on(&dirs, state_root)?;
    }
    if inv.lxcs.values().any(|c| !c.gpus.is_empty()) {
        o.own.gpu_nodes = crate::gpu::HostNodes::observe(state_root)?;
    }
    for c in inv.lxcs.values() {
        if let Some(url) = inv.nvidia_for(c).runfile_url {
            let p = phx_common::gpu::runfile_path(url);
            if under_root(state_root, &p).is_file() {
                o.own.host_files.insert(p);
            }
        }
        if let Some(t) = phx_common::fetch::fetched_template(&inv.host, c).and_then(|t| t.path()) {
            if under_root(state_root, &t).is_file() {
                o.own.templates.insert(t);
            }
        }
        for b in phx_common::bind_sources::of(&inv.host, c) {
            if under_root(state_root, b.host_path).exists() {
                o.own.host_paths.insert(b.host_path.to_string());
            }
        }
    }
    if o.calls > 0 && state_root != Path::new("/") {
        o.notes.push(format!(
            "running state is from `pct list` ({}, run with PHX_ROOT={}), not from files under the state root; on a live host that is the live host's running state",
            on_path("pct", path).map_or_else(|| "pct".to_string(), |p| p.display().to_string()),
            state_root.display()
        ));
    }
    Ok(o)
}
