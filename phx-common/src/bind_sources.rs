//! Containers' bind mounts — each one's `mount_points` and the
//! `shared_volumes` that name it — and which of their sources phx-storage
//! makes. phx-storage plans them from this, phx-lxc mounts [`of`] each
//! container and accepts a missing source only when this says phx-storage
//! makes it, so the two can never disagree (tools never depend on each other).
//!
//! phx-storage makes a source only under a place storage owns: the
//! `mount_point_base` where the original kept persistent volumes, or a
//! dataset's mount (`mountpoint`, else `/<pool>/<name>`). Anywhere else the directory is the
//! operator's (`/etc/ssl`, `/srv/…`): making it, and handing it to an
//! unprivileged container's root (100000), could take a host directory from
//! the host, so it must exist already.

use crate::config::model::{Host, Lxc, SharedMount};
use crate::config::shared_volume::mounts_in;
use crate::config::Inventory;
use std::collections::BTreeMap;

/// One bind mount of a container.
#[derive(Debug, Clone, Copy)]
pub struct Bind<'a> {
    pub host_path: &'a str,
    pub container_path: &'a str,
    pub read_only: bool,
    /// The mode the JSON gives the source, if any.
    pub mode: Option<u32>,
    pub origin: Origin<'a>,
}

/// Where a [`Bind`] is declared.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// The container's `mount_points[i]` (LXC file).
    MountPoint(usize),
    /// A `shared_volumes` entry's mount of it (hypervisor file).
    Shared(&'a SharedMount),
}

impl Bind<'_> {
    /// The file and JSON path that name its source, for messages.
    pub fn source_at(&self, inv: &Inventory, c: &Lxc) -> (String, String) {
        match self.origin {
            Origin::MountPoint(i) => (
                inv.sources.lxc.clone(),
                format!("{}.mount_points[{i}].host_path", c.path),
            ),
            // The mount naming the container: its volume's host_path is beside it.
            Origin::Shared(m) => (inv.sources.hypervisor.clone(), m.at.clone()),
        }
    }
}

/// Container `c`'s bind mounts: its `mount_points`, then the shared volumes
/// that name it, in file order.
pub fn of<'a>(host: &'a Host, c: &'a Lxc) -> impl Iterator<Item = Bind<'a>> {
    let own = c.mount_points.iter().enumerate().map(|(i, m)| Bind {
        host_path: &m.host_path,
        container_path: &m.container_path,
        read_only: m.read_only,
        mode: m.mode,
        origin: Origin::MountPoint(i),
    });
    let shared = mounts_in(&host.shared_volumes, c.id).map(|(v, m)| Bind {
        host_path: &v.host_path,
        container_path: &m.guest_path,
        read_only: false,
        mode: v.mode,
        origin: Origin::Shared(m),
    });
    own.chain(shared)
}

/// Who makes the sources [`made_by_storage`] lists, for messages.
pub const MAKER: &str = "phx-storage (`phoenix-cli setup storage`, run before the guests)";

/// The directories under which phx-storage makes bind sources.
pub fn storage_roots(inv: &Inventory) -> Vec<String> {
    let mut roots = vec![inv.host.mount_point_base.clone()];
    roots.extend(inv.host.zfs_datasets.iter().map(|d| d.mount_dir()));
    roots
}

/// True when `path` is strictly below one of `roots` (a root itself is a
/// mount point or the base, never a source to make).
fn is_below(path: &str, roots: &[String]) -> bool {
    roots.iter().any(|r| {
        path.strip_prefix(r.trim_end_matches('/'))
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
    })
}

/// Every bind source of the inventory → the containers mounting it, in
/// container order; `made` says whether phx-storage makes it.
pub fn all(inv: &Inventory) -> BTreeMap<&str, (bool, Vec<u32>)> {
    let roots = storage_roots(inv);
    let mut out: BTreeMap<&str, (bool, Vec<u32>)> = BTreeMap::new();
    for (id, c) in &inv.lxcs {
        for b in of(&inv.host, c) {
            let e = out
                .entry(b.host_path)
                .or_insert_with(|| (is_below(b.host_path, &roots), Vec::new()));
            // A container mounting one source twice owns it once.
            if e.1.last() != Some(id) {
                e.1.push(*id);
            }
        }
    }
    out
}

/// The bind sources phx-storage makes → the containers mounting them.
pub fn made_by_storage(inv: &Inventory) -> BTreeMap<&str, Vec<u32>> {
    all(inv)
        .into_iter()
        .filter_map(|(p, (made, ids))| made.then_some((p, ids)))
        .collect()
}

/// Whether phx-storage makes the bind source `path`.
pub fn storage_makes(inv: &Inventory, path: &str) -> bool {
    is_below(path, &storage_roots(inv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_strictly_below_a_root() {
        let roots = vec!["/mnt/pve".to_string(), "/tank/data".to_string()];
        assert!(is_below("/mnt/pve/tank/ssl", &roots));
        assert!(is_below("/tank/data/x", &roots));
        assert!(!is_below("/mnt/pve", &roots));
        assert!(!is_below("/mnt/pve/", &roots));
        assert!(!is_below("/mnt/pvex/ssl", &roots));
        assert!(!is_below("/etc/ssl", &roots));
        assert!(!is_below("/tank/database", &roots));
    }

    #[test]
    fn the_upstream_fixture_s_sources_are_all_made() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/phoenix-upstream");
        let inv = crate::config::load(&crate::config::Input::Dir(dir)).unwrap();
        let made = made_by_storage(&inv);
        assert_eq!(
            made.get("/mnt/pve/quickOS/lxc-persistent-data/103/ssl"),
            Some(&vec![101, 102])
        );
        assert_eq!(made.len(), all(&inv).len());
        // A shared volume is a bind source of the containers it names that
        // exist (CT 954 of ssl_certs does not).
        assert_eq!(
            made.get("/mnt/pve/quickOS/shared-prod-data/ssl"),
            Some(&vec![910])
        );
        assert!(!made.contains_key("/mnt/pve/fastData/shared-bulk-data/vllm_models"));
        let ct910: Vec<(&str, &str)> = of(&inv.host, &inv.lxcs[&910])
            .map(|b| (b.host_path, b.container_path))
            .collect();
        assert_eq!(ct910, [("/mnt/pve/quickOS/shared-prod-data/ssl", "/certs")]);
    }
}
