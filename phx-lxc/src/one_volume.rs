//! `zfs_volumes` entries with the same `name` are one volume: the first
//! container in the planner's order that names it (the one made first)
//! allocates it as pct does (`STORAGE:SIZE`), every later one mounts that
//! volume by its volume ID. pct allows a container to mount another's
//! volume: it only refuses to resize it ("can't resize mount point owned by
//! another container", pve-container src/PVE/API2/LXC.pm:2386) and never
//! frees it with the mounting container ("ignore deletion of '$volume', CT
//! $vmid isn't the owner!", src/PVE/LXC.pm:1019) — so no bind mount of the
//! volume's host path is needed.
//!
//! When the owner is made or given the volume by the same plan, its volume
//! ID is not known while planning: it is the name pct will give it, worked
//! out the way pve-storage picks it — the lowest `disk-N` not used by that
//! container on that storage (src/PVE/Storage/Plugin.pm:970
//! get_next_vm_diskname, per storage through its list_images), `subvol-`
//! on a zfspool, `<ct>/vm-…raw` on a directory storage, `vm-` otherwise
//! (pve-container src/PVE/LXC.pm:2581 alloc_disk) — following pct's order
//! of allocation: rootfs then mp0, mp1… at create (foreach_volume), each
//! copied volume at clone, a moved rootfs, then new mounts of `pct set` in
//! key order (src/PVE/LXC/Config.pm:1340 `sort keys %$param`).

use crate::conf::Conf;
use crate::desired::{Desired, Source};
use phx_common::config::Inventory;
use phx_common::fast_hash::{FastMap, FastSet};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A volume mounted in place of a new one: its name, owner and volume ID.
pub(crate) type Mounted = (String, u32, String);

/// The `zfs_volumes` names more than one container uses.
pub(crate) fn names(inv: &Inventory) -> FastSet<String> {
    let mut count: FastMap<&str, u32> = FastMap::default();
    for c in inv.lxcs.values() {
        for v in &c.zfs_volumes {
            *count.entry(v.name.as_str()).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Storage ID → its type (`zfspool`, `dir`, `lvmthin`…), as far as known.
pub type Kinds = BTreeMap<String, String>;
/// Storage ID → names of the volumes found on it (`subvol-801-disk-0`).
pub type OnStorage = BTreeMap<String, Vec<String>>;

/// The owner of each shared name and its volume, as the planner goes.
#[derive(Debug, Default)]
pub(crate) struct Owners {
    /// name → (owner, its volume ID; None until the owner was planned).
    owners: HashMap<String, (u32, Option<String>)>,
}

impl Owners {
    /// The owners that exist already: for each shared name, the first
    /// container (by ID) whose conf mounts a volume of its own at that
    /// entry's mount point. The volume is theirs whatever the planner's
    /// order says, so a container added later never allocates a second one.
    pub(crate) fn existing(
        inv: &Inventory,
        confs: &HashMap<u32, Conf>,
        names: &FastSet<String>,
    ) -> Self {
        let mut owners = HashMap::new();
        if names.is_empty() {
            return Owners { owners };
        }
        for c in inv.lxcs.values() {
            let Some(conf) = confs.get(&c.id) else {
                continue;
            };
            for v in c.zfs_volumes.iter().filter(|v| names.contains(&v.name)) {
                if owners.contains_key(&v.name) {
                    continue;
                }
                let own = conf.indexed("mp").into_iter().find_map(|n| {
                    let value = conf.effective(&format!("mp{n}"))?;
                    let at = value
                        .split(',')
                        .any(|p| p == format!("mp={}", v.mount_point));
                    let volid = value.split(',').next()?;
                    (at && disk_number(volid, c.id).is_some()).then(|| volid.to_string())
                });
                if let Some(volid) = own {
                    owners.insert(v.name.clone(), (c.id, Some(volid)));
                }
            }
        }
        Owners { owners }
    }

    /// Replaces each volume of `d` that an earlier container owns by that
    /// container's volume; `d`'s container becomes the owner of the names
    /// no one owns yet. Returns the volumes it mounts, and the names whose owner
    /// has no volume to share.
    /// Only `names` (those more than one container uses) are looked at.
    pub(crate) fn take(
        &mut self,
        d: &mut Desired,
        names: &FastSet<String>,
    ) -> (Vec<Mounted>, Vec<(String, u32)>) {
        let (mut mounted, mut unshared) = (Vec::new(), Vec::new());
        for m in &mut d.mounts {
            let Source::Volume { name, .. } = &m.source else {
                continue;
            };
            if !names.contains(name) {
                continue;
            }
            match self.owners.get(name) {
                Some((owner, Some(volid))) if *owner != d.ctid => {
                    mounted.push((name.clone(), *owner, volid.clone()));
                    m.source = Source::OfAnother {
                        volid: volid.clone(),
                        owner: *owner,
                    };
                }
                // The owner has no volume of that name to share (a bind
                // mount at its path): this container gets its own.
                Some((owner, None)) if *owner != d.ctid => unshared.push((name.clone(), *owner)),
                Some(_) => {}
                None => {
                    self.owners.insert(name.clone(), (d.ctid, None));
                }
            }
        }
        (mounted, unshared)
    }

    /// The owner's volume of `name`, once its steps are planned.
    pub(crate) fn record(&mut self, name: &str, ctid: u32, volid: String) {
        if let Some(o) = self.owners.get_mut(name) {
            if o.0 == ctid {
                o.1 = Some(volid);
            }
        }
    }

    /// Whether container `ctid` owns `name`.
    pub(crate) fn owns(&self, name: &str, ctid: u32) -> bool {
        self.owners.get(name).is_some_and(|o| o.0 == ctid)
    }
}

/// The volume IDs pct gives container `ctid`'s new volumes.
#[derive(Debug, Default)]
pub(crate) struct Alloc<'a> {
    ctid: u32,
    kinds: Option<&'a Kinds>,
    /// Storage → `disk-N` numbers in use by this container.
    used: BTreeMap<String, BTreeSet<u32>>,
    /// Volume key (`rootfs`, `mpN`) → (storage, N).
    at: BTreeMap<String, (String, u32)>,
}

impl<'a> Alloc<'a> {
    /// Starting from the volumes of `conf` (none for a new container) and
    /// those of this container found on the storages: pve-storage lists a
    /// storage's volumes, not the conf's, so a left-over volume keeps its
    /// number taken.
    pub(crate) fn new(
        ctid: u32,
        kinds: &'a Kinds,
        conf: Option<&Conf>,
        on_storage: &OnStorage,
    ) -> Self {
        let mut a = Alloc {
            ctid,
            kinds: Some(kinds),
            ..Alloc::default()
        };
        for (storage, names) in on_storage {
            for name in names {
                if let Some((_, n)) = disk_number(&format!("{storage}:{name}"), ctid) {
                    a.used.entry(storage.clone()).or_default().insert(n);
                }
            }
        }
        if let Some(conf) = conf {
            for (k, v) in conf.keys.iter().chain(conf.pending.iter()) {
                if let Some((storage, n)) = disk_number(v, ctid) {
                    a.used.entry(storage.clone()).or_default().insert(n);
                    if k == "rootfs" || k.starts_with("mp") {
                        a.at.insert(k.clone(), (storage, n));
                    }
                }
            }
        }
        a
    }

    /// Volume `key` allocated on `storage`: the lowest free number.
    pub(crate) fn alloc(&mut self, key: &str, storage: &str) {
        let used = self.used.entry(storage.to_string()).or_default();
        let n = (0..).find(|i| !used.contains(i)).expect("u32 numbers");
        used.insert(n);
        self.at.insert(key.to_string(), (storage.to_string(), n));
    }

    /// Volume `key` moved to `storage` (`move-volume --delete 1`): the new
    /// one allocated, then the old one freed.
    pub(crate) fn moved(&mut self, key: &str, storage: &str) {
        let old = self.at.get(key).cloned();
        self.alloc(key, storage);
        if let Some((s, n)) = old {
            if let Some(u) = self.used.get_mut(&s) {
                u.remove(&n);
            }
        }
    }

    /// New mounts of one `pct set`, allocated in pct's key order.
    pub(crate) fn set(&mut self, new: &[(String, String)]) {
        let mut sorted: Vec<&(String, String)> = new.iter().collect();
        sorted.sort();
        for (k, s) in sorted {
            self.alloc(k, s);
        }
    }

    /// The volume ID of `key`, as pct names it on its storage's type.
    pub(crate) fn volid(&self, key: &str) -> Option<String> {
        let (storage, n) = self.at.get(key)?;
        let ct = self.ctid;
        let kind = self
            .kinds
            .and_then(|k| k.get(storage))
            .map_or("", String::as_str);
        Some(match kind {
            "zfspool" => format!("{storage}:subvol-{ct}-disk-{n}"),
            "dir" | "nfs" | "cifs" | "cephfs" | "glusterfs" => {
                format!("{storage}:{ct}/vm-{ct}-disk-{n}.raw")
            }
            _ => format!("{storage}:vm-{ct}-disk-{n}"),
        })
    }
}

/// (storage, N) of a volume value `STORAGE:…(vm|subvol)-<ctid>-disk-N…`.
fn disk_number(value: &str, ctid: u32) -> Option<(String, u32)> {
    let volid = value.split(',').next()?;
    let (storage, name) = volid.split_once(':')?;
    let name = name.rsplit('/').next()?;
    let rest = name
        .strip_prefix("subvol-")
        .or_else(|| name.strip_prefix("vm-"))?;
    let digits = rest.strip_prefix(&format!("{ctid}-disk-"))?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    Some((storage.to_string(), digits[..end].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_per_storage_and_named_by_its_type() {
        let kinds: Kinds = [("fast".to_string(), "zfspool".to_string())].into();
        let mut a = Alloc::new(801, &kinds, None, &OnStorage::new());
        a.alloc("rootfs", "disks");
        a.alloc("mp0", "fast");
        a.alloc("mp1", "disks");
        assert_eq!(a.volid("rootfs").unwrap(), "disks:vm-801-disk-0");
        assert_eq!(a.volid("mp0").unwrap(), "fast:subvol-801-disk-0");
        assert_eq!(a.volid("mp1").unwrap(), "disks:vm-801-disk-1");
    }

    #[test]
    fn a_moved_rootfs_frees_its_number_and_set_allocates_in_key_order() {
        let kinds = Kinds::new();
        let conf = crate::conf::parse("rootfs: a:vm-5-disk-0,size=1G\nmp0: b:vm-5-disk-0,mp=/x\n");
        let mut a = Alloc::new(5, &kinds, Some(&conf), &OnStorage::new());
        a.moved("rootfs", "b");
        assert_eq!(a.volid("rootfs").unwrap(), "b:vm-5-disk-1");
        a.set(&[("mp2".into(), "a".into()), ("mp10".into(), "a".into())]);
        // "mp10" sorts before "mp2", as Perl's sort does.
        assert_eq!(a.volid("mp10").unwrap(), "a:vm-5-disk-0");
        assert_eq!(a.volid("mp2").unwrap(), "a:vm-5-disk-1");
    }

    #[test]
    fn disk_numbers_of_each_form() {
        assert_eq!(
            disk_number("f:subvol-801-disk-3,mp=/m", 801),
            Some(("f".into(), 3))
        );
        assert_eq!(
            disk_number("local:801/vm-801-disk-2.raw", 801),
            Some(("local".into(), 2))
        );
        assert_eq!(disk_number("f:subvol-802-disk-3", 801), None);
        assert_eq!(disk_number("/host/path,mp=/m", 801), None);
    }
}
