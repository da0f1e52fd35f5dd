//! An existing container's conf against its entry: which `pct set` keys
//! differ (the way pct reads them), which mounts are new, which disks may
//! grow, and what a clone gets on top of its source. Drift that is only
//! reported goes to `notes`.

use crate::conf::Conf;
use crate::desired::{Desired, Mount, Source};
use crate::props;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Keys pct keeps in `[pve:pending]` on a running container (pve-container's LXC/Config.pm, vmconfig_hotplug_pending).
const PENDING_KEYS: [&str; 2] = ["features", "nameserver"];

/// What a container will have once its steps ran, for the clones made from it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Final {
    pub rootfs_bytes: u64,
    /// mpN index → container path.
    pub mounts: BTreeMap<u32, String>,
    pub unprivileged: bool,
    /// Where each of its volume disks is (`rootfs`, `mpN` → storage ID):
    /// where `pct clone` copies them (crate::clone).
    pub volumes: BTreeMap<String, String>,
    /// mpN index → size in bytes of its volume, where known: what a clone
    /// inherits, to grow in the run that makes it.
    pub mount_bytes: BTreeMap<u32, u64>,
    /// Raw lines of the main section (`key: value`), what a snapshot taken
    /// after this plan's steps carries.
    pub raw: Vec<String>,
    /// `devN` entries (index → value), what a clone inherits.
    pub devs: BTreeMap<u32, String>,
}

/// `pct set` keys and values, in the order they are passed.
pub(crate) type SetKeys = Vec<(String, String)>;

/// The keys of an existing container that differ, what it will have, and
/// which of the changes wait for a restart when it runs.
/// `source`: whether clones are made of it (only then are its volumes'
/// storages read, for [`Final::volumes`]).
pub(crate) fn existing(
    d: &Desired,
    conf: &Conf,
    source: bool,
    notes: &mut Vec<String>,
) -> (SetKeys, Final, Vec<String>) {
    let ctid = d.ctid;
    let (mut set, mut restart) = conf.changed(&d.keys, same, net0_update, &PENDING_KEYS);
    let have_unpriv = conf
        .effective("unprivileged")
        .and_then(props::norm_bool)
        .unwrap_or("0")
        == "1";
    if have_unpriv != d.unprivileged {
        notes.push(format!(
            "CT {ctid}: unprivileged is {} but the configuration says {}; it is fixed at creation and not changed",
            have_unpriv as u8, d.unprivileged as u8
        ));
    }
    if let Some(root) = conf.effective("rootfs") {
        let m = props::parse(root, Some("volume"));
        let storage = m
            .get("volume")
            .and_then(|v| v.split_once(':'))
            .map(|(s, _)| s);
        if storage.is_some_and(|s| s != d.rootfs_storage) {
            notes.push(format!(
                "CT {ctid}: rootfs is on {} but storage_pool is {}; not moved",
                storage.unwrap(),
                d.rootfs_storage
            ));
        }
    }
    // Mounts, matched by container path; new ones take the lowest free index.
    let mut indices: BTreeSet<u32> = conf.indexed("mp");
    let mut by_path: HashMap<String, (u32, BTreeMap<String, String>)> = HashMap::new();
    for &n in &indices {
        if let Some(v) = conf.effective(&format!("mp{n}")) {
            let m = props::parse(v, Some("volume"));
            if let Some(p) = m.get("mp") {
                by_path.insert(p.clone(), (n, m.clone()));
            }
        }
    }
    let mut fin = Final {
        rootfs_bytes: rootfs_bytes(conf)
            .unwrap_or(0)
            .max(d.rootfs_gb * props::GIB),
        mounts: BTreeMap::new(),
        unprivileged: have_unpriv,
        volumes: if source {
            volume_storages(conf)
        } else {
            BTreeMap::new()
        },
        mount_bytes: if source {
            mount_sizes(conf)
        } else {
            BTreeMap::new()
        },
        raw: conf.raw.clone(),
        devs: crate::gpu::current(conf),
    };
    for (p, (n, _)) in &by_path {
        fin.mounts.insert(*n, p.clone());
    }
    for m in &d.mounts {
        match by_path.get(&m.path) {
            Some((n, have)) => {
                if let Some(v) = mount_update(ctid, *n, m, have, notes) {
                    restart.push(format!("mp{n}"));
                    set.push((format!("mp{n}"), v));
                }
            }
            None => {
                let n = lowest_free(&indices);
                indices.insert(n);
                fin.mounts.insert(n, m.path.clone());
                if let Source::Volume {
                    storage, size_gb, ..
                } = &m.source
                {
                    fin.volumes.insert(format!("mp{n}"), storage.clone());
                    fin.mount_bytes.insert(n, size_gb * props::GIB);
                }
                set.push((format!("mp{n}"), m.value()));
            }
        }
    }
    (set, fin, restart)
}

/// After a clone: everything but the hostname comes from the source, so
/// set every key, and the mounts the source does not have.
pub(crate) fn clone_settings(d: &Desired, base: Final) -> (SetKeys, Final) {
    let mut set: SetKeys = d
        .keys
        .iter()
        .filter(|(k, _)| *k != "hostname")
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut fin = base;
    let have: HashSet<String> = fin.mounts.values().cloned().collect();
    for m in &d.mounts {
        if have.contains(&m.path) {
            continue;
        }
        let idx = lowest_free(&fin.mounts.keys().copied().collect());
        fin.mounts.insert(idx, m.path.clone());
        if let Source::Volume {
            storage, size_gb, ..
        } = &m.source
        {
            fin.volumes.insert(format!("mp{idx}"), storage.clone());
            fin.mount_bytes.insert(idx, size_gb * props::GIB);
        }
        set.push((format!("mp{idx}"), m.value()));
    }
    (set, fin)
}

/// Volume mounts whose configured size is larger than what they have.
pub(crate) fn mount_growth(d: &Desired, conf: &Conf, notes: &mut Vec<String>) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for n in conf.indexed("mp") {
        let Some(v) = conf.effective(&format!("mp{n}")) else {
            continue;
        };
        let have = props::parse(v, Some("volume"));
        let Some(m) = d.mounts.iter().find(|m| have.get("mp") == Some(&m.path)) else {
            continue;
        };
        // A shared volume grows with its owner: pct refuses to resize a
        // mount owned by another container (pve-container
        // src/PVE/API2/LXC.pm:2386).
        if let Source::Volume { size_gb, .. } = m.source {
            let cur = have.get("size").and_then(|s| props::size_bytes(s));
            match cur {
                Some(cur) if size_gb * props::GIB > cur => out.push((n, size_gb)),
                Some(cur) if size_gb * props::GIB < cur => notes.push(format!(
                    "CT {}: mp{n} ({}) is {} but size_gb is {size_gb}; disks are never shrunk",
                    d.ctid,
                    m.path,
                    props::human(cur)
                )),
                _ => {}
            }
        }
    }
    out
}

/// Volume mounts a new clone inherited whose configured size is larger
/// than its source's: grown in the run that makes the clone (a second run
/// would find them otherwise). A smaller one is reported.
pub(crate) fn inherited_growth(
    d: &Desired,
    fin: &Final,
    notes: &mut Vec<String>,
) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for m in &d.mounts {
        let Source::Volume { size_gb, .. } = m.source else {
            continue;
        };
        let Some((&n, _)) = fin.mounts.iter().find(|(_, p)| **p == m.path) else {
            continue;
        };
        match fin.mount_bytes.get(&n) {
            Some(&cur) if size_gb * props::GIB > cur => out.push((n, size_gb)),
            Some(&cur) if size_gb * props::GIB < cur => notes.push(format!(
                "CT {}: mp{n} ({}) is {} as its clone source's, but size_gb is {size_gb}; disks are never shrunk",
                d.ctid,
                m.path,
                props::human(cur)
            )),
            _ => {}
        }
    }
    out
}

/// The size of each volume mount of a conf (mpN index → bytes).
fn mount_sizes(conf: &Conf) -> BTreeMap<u32, u64> {
    conf.indexed("mp")
        .into_iter()
        .filter_map(|n| {
            let v = props::parse(conf.effective(&format!("mp{n}"))?, Some("volume"));
            Some((n, props::size_bytes(v.get("size")?)?))
        })
        .collect()
}

/// Whether an observed scalar equals the wanted one, the way pct reads it.
fn same(key: &str, want: &str, have: Option<&str>) -> bool {
    let Some(have) = have else { return false };
    match key {
        "features" => props::features_map(have) == props::features_map(want),
        _ => props::same_value(key, want, have),
    }
}

/// The new net0 when the managed sub-keys differ; other sub-keys of the
/// existing value (type, mtu, tag, a generated hwaddr…) are kept.
fn net0_update(want: &str, have: Option<&str>) -> Option<String> {
    let want = props::parse(want, None);
    let Some(have) = have else {
        return Some(props::format_net(&want));
    };
    let have = props::parse(have, None);
    let mut differs = false;
    for k in ["name", "bridge", "ip", "gw"] {
        differs |= want.get(k) != have.get(k);
    }
    if let Some(mac) = want.get("hwaddr") {
        differs |=
            have.get("hwaddr").map(|h| h.to_ascii_uppercase()) != Some(mac.to_ascii_uppercase());
    }
    let fw_have = have
        .get("firewall")
        .and_then(|v| props::norm_bool(v))
        .unwrap_or("0");
    let fw_want = if want.contains_key("firewall") {
        "1"
    } else {
        "0"
    };
    differs |= fw_have != fw_want;
    if !differs {
        return None;
    }
    let new = props::overlay(
        &have,
        &want,
        &["name", "bridge", "ip", "gw", "hwaddr", "firewall"],
        "hwaddr",
    );
    Some(props::format_net(&new))
}

/// The new value of an existing mount when its source differs. A volume on
/// another storage is reported, never replaced (that would orphan its data).
fn mount_update(
    ctid: u32,
    n: u32,
    m: &Mount,
    have: &BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Option<String> {
    let vol = have.get("volume").map(String::as_str).unwrap_or("");
    match &m.source {
        Source::OfAnother { volid, owner } => {
            if vol != volid {
                notes.push(format!(
                    "CT {ctid}: mp{n} ({}) is {vol}, not CT {owner}'s volume {volid} (zfs_volumes of one name are one volume); not replaced",
                    m.path
                ));
            }
            None
        }
        Source::Volume { storage, .. } => {
            let have_storage = vol.split_once(':').map(|(s, _)| s).unwrap_or(vol);
            if have_storage != storage {
                notes.push(format!(
                    "CT {ctid}: mp{n} ({}) is {vol}, not on storage {storage}; not replaced",
                    m.path
                ));
            }
            None
        }
        Source::Bind { host, read_only } => {
            let ro_have = have
                .get("ro")
                .and_then(|v| props::norm_bool(v))
                .unwrap_or("0")
                == "1";
            if vol == host && ro_have == *read_only {
                return None;
            }
            let mut new = have.clone();
            new.insert("volume".into(), host.clone());
            if *read_only {
                new.insert("ro".into(), "1".into());
            } else {
                new.remove("ro");
            }
            Some(props::format_volume(&new))
        }
    }
}

fn lowest_free(used: &BTreeSet<u32>) -> u32 {
    (0..).find(|i| !used.contains(i)).expect("u32 indices")
}

/// The storage of each volume disk of a conf (`rootfs`, `mpN`); bind
/// mounts (a host path) are none.
pub(crate) fn volume_storages(conf: &Conf) -> BTreeMap<String, String> {
    let keys = std::iter::once("rootfs".to_string())
        .chain(conf.indexed("mp").into_iter().map(|n| format!("mp{n}")));
    keys.filter_map(|k| {
        let v = props::parse(conf.effective(&k)?, Some("volume"));
        let (storage, _) = v.get("volume")?.split_once(':')?;
        (!storage.starts_with('/')).then(|| (k, storage.to_string()))
    })
    .collect()
}

pub(crate) fn rootfs_bytes(conf: &Conf) -> Option<u64> {
    let root = props::parse(conf.effective("rootfs")?, Some("volume"));
    props::size_bytes(root.get("size")?)
}
