//! Checks on containers' mounts that need the whole inventory: a
//! `shared_volumes` mount naming a container the LXC file does not have is
//! warned about and ignored (the original's files name containers they no
//! longer have), and a guest path another mount of the same container already
//! uses is refused (two `mpN` on one path: the second hides the first).

use super::model::{Inventory, SharedMount, SharedVolume};
use super::problems::Problems;
use super::shared_volume::mounts_in;
use std::collections::BTreeMap;

/// Warns about mounts of containers not in the LXC file; refuses a guest
/// path two mounts of one container use (zfs_volumes, mount_points and
/// shared volumes alike), naming both.
pub fn check(inv: &Inventory, p: &mut Problems) {
    for v in &inv.host.shared_volumes {
        for m in &v.mounts {
            if !inv.lxcs.contains_key(&m.ctid) {
                p.warn(format!(
                    "{}: {}: CT {} has no lxc_configs entry: its mount of {} is ignored",
                    inv.sources.hypervisor, m.at, m.ctid, v.host_path
                ));
            }
        }
    }
    for c in inv.lxcs.values() {
        // Guest path → (file, JSON path) of the first mount using it.
        let mut seen: BTreeMap<&str, (&str, String)> = BTreeMap::new();
        let lxc = inv.sources.lxc.as_str();
        let mounts = c
            .zfs_volumes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("{}.zfs_volumes[{i}].mount_point", c.path);
                (v.mount_point.as_str(), lxc, at)
            })
            .chain(c.mount_points.iter().enumerate().map(|(i, m)| {
                let at = format!("{}.mount_points[{i}].container_path", c.path);
                (m.container_path.as_str(), lxc, at)
            }))
            .chain(shared_mounts_of(inv, c.id).map(|(_, m)| {
                (
                    m.guest_path.as_str(),
                    inv.sources.hypervisor.as_str(),
                    m.at.clone(),
                )
            }));
        for (path, file, at) in mounts {
            match seen.get(path) {
                Some((first_file, first_at)) => p.push(
                    file,
                    &at,
                    format!("{path:?}"),
                    format!(
                        "a path inside CT {} that no other mount of it uses ({first_file}: {first_at} mounts there too)",
                        c.id
                    ),
                ),
                None => {
                    seen.insert(path, (file, at));
                }
            }
        }
    }
}

/// The shared volumes CT `ctid` mounts, with its mount of each.
pub fn shared_mounts_of(
    inv: &Inventory,
    ctid: u32,
) -> impl Iterator<Item = (&SharedVolume, &SharedMount)> {
    mounts_in(&inv.host.shared_volumes, ctid)
}
