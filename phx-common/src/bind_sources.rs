//! Which containers' bind-mount sources (`mount_points[].host_path`)
//! phx-storage makes. phx-storage plans them from this and phx-lxc accepts a
//! missing source only when this says phx-storage makes it, so the two can
//! never disagree (tools never depend on each other).
//!
//! phx-storage makes a source only under a place storage owns: the
//! `mount_point_base` where the original kept persistent volumes, or a
//! dataset's mount (`mountpoint`, else `/<pool>/<name>`). Anywhere else the directory is the
//! operator's (`/etc/ssl`, `/srv/…`): making it, and handing it to an
//! unprivileged container's root (100000), could take a host directory from
//! the host, so it must exist already.

use crate::config::Inventory;
use std::collections::BTreeMap;

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
        for m in &c.mount_points {
            out.entry(&m.host_path)
                .or_insert_with(|| (is_below(&m.host_path, &roots), Vec::new()))
                .1
                .push(*id);
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
    }
}
