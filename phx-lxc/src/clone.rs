//! Where a clone's volumes land. pve-container's clone (src/PVE/API2/LXC.pm,
//! clone_vm) full-copies every volume of the source (rootfs and each volume
//! `mpN`): with `--storage S` every one of them onto S (LXC.pm:2201
//! `$target_storage = $storage // $source_storage`), without it each onto
//! the storage it is on. `--storage` is therefore passed only when the
//! source has no volume mount: then it moves just the rootfs, in the one
//! copy the clone makes anyway. A source with volume mounts is cloned
//! without `--storage`, so its mounts stay on their own storages (a
//! persistent-data volume must not land on the rootfs storage), and a
//! rootfs wanted elsewhere is then moved with `pct move-volume ID rootfs S
//! --delete 1` (LXC.pm:2479 move_volume: a stopped container without
//! snapshots, which a fresh clone is; the copy the clone made is freed).
//! Either way the clone reads each volume at the snapshot (copy_volume
//! with `$snapname`), so what the source's storages must support is the
//! same: the snapshot exists on them already.

use crate::diff::Final;
use std::collections::BTreeMap;

/// How one clone is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Way {
    /// `--storage` for `pct clone`.
    pub storage: Option<String>,
    /// The storage `pct move-volume ID rootfs` moves the rootfs to after
    /// the clone.
    pub move_rootfs: Option<String>,
    /// Where each volume of the clone is once made (and moved).
    pub volumes: BTreeMap<String, String>,
}

/// How to clone `base` (the source as the clone gets it) for a rootfs on
/// `want`.
pub(crate) fn way(base: &Final, want: &str) -> Way {
    let has_volume_mounts = base.volumes.keys().any(|k| k != "rootfs");
    let src_root = base.volumes.get("rootfs").map(String::as_str);
    let mut volumes = base.volumes.clone();
    if !has_volume_mounts {
        volumes.insert("rootfs".to_string(), want.to_string());
        return Way {
            storage: Some(want.to_string()),
            move_rootfs: None,
            volumes,
        };
    }
    let move_rootfs = (src_root != Some(want)).then(|| want.to_string());
    volumes.insert("rootfs".to_string(), want.to_string());
    Way {
        storage: None,
        move_rootfs,
        volumes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(vols: &[(&str, &str)]) -> Final {
        Final {
            volumes: vols
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Final::default()
        }
    }

    #[test]
    fn without_volume_mounts_storage_moves_the_rootfs_in_the_clone() {
        let w = way(&src(&[("rootfs", "local-lvm")]), "fast");
        assert_eq!(w.storage.as_deref(), Some("fast"));
        assert_eq!(w.move_rootfs, None);
        assert_eq!(w.volumes["rootfs"], "fast");
    }

    #[test]
    fn volume_mounts_stay_on_their_storage_and_the_rootfs_is_moved() {
        let s = src(&[("rootfs", "local-lvm"), ("mp0", "tank-persistent")]);
        let w = way(&s, "fast");
        assert_eq!(w.storage, None);
        assert_eq!(w.move_rootfs.as_deref(), Some("fast"));
        assert_eq!(w.volumes["mp0"], "tank-persistent");
        assert_eq!(w.volumes["rootfs"], "fast");
        // Already where it is wanted: nothing to move.
        let w = way(&s, "local-lvm");
        assert_eq!((w.storage, w.move_rootfs), (None, None));
    }
}
