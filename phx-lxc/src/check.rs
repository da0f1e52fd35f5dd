//! What phx-lxc refuses before planning: storages that are not configured,
//! bind-mount sources missing on the host that phx-storage does not make, templates that do not resolve,
//! clone sources without a snapshot or with bind mounts, shared volumes
//! (`zfs_volumes` of one name) given different pools or sizes.

use crate::observe::Observed;
use crate::storage;
use phx_common::bind_sources;
use phx_common::config::{Inventory, Problems};
use phx_common::guest_storage;
use std::collections::BTreeSet;

/// Checks the configuration against the storages and the machine; every
/// problem at once.
pub fn check(inv: &Inventory, seen: &Observed) -> Problems {
    let mut p = Problems::default();
    let file = &inv.sources.lxc;
    let storages = storage::Storages::of(&inv.host);
    let mut sources_without_snapshot = BTreeSet::new();
    same_volume_alike(inv, &mut p);
    for c in inv.lxcs.values() {
        if let Some(s) = &c.storage_pool {
            if !storages.is_known(s) {
                p.push(
                    file,
                    &format!("{}.storage_pool", c.path),
                    format!("{s:?}"),
                    storages.expected_storage(),
                );
            }
        }
        for (i, v) in c.zfs_volumes.iter().enumerate() {
            if !storages.is_known(&v.pool) {
                p.push(
                    file,
                    &format!("{}.zfs_volumes[{i}].pool", c.path),
                    format!("{:?}", v.pool),
                    storages.expected_storage(),
                );
            }
        }
        // Only volumes still to be allocated: pct refuses them on a storage
        // without rootdir content (pve-container src/PVE/API2/LXC.pm:354,
        // create; src/PVE/LXC.pm:2285 when mounting).
        if !seen.confs.contains_key(&c.id) {
            let rootfs = c
                .storage_pool
                .clone()
                .unwrap_or_else(|| guest_storage::default_lxc_storage(&inv.host));
            let at = match &c.storage_pool {
                Some(_) => format!("{}.storage_pool", c.path),
                None => format!(
                    "{}.storage_pool (default, from proxmox_storage_ids)",
                    c.path
                ),
            };
            let disks = std::iter::once((at, rootfs, "rootfs".to_string())).chain(
                c.zfs_volumes.iter().enumerate().map(|(i, v)| {
                    (
                        format!("{}.zfs_volumes[{i}].pool", c.path),
                        v.pool.clone(),
                        format!("volume at {}", v.mount_point),
                    )
                }),
            );
            for (at, storage, disk) in disks {
                if let Err(why) = seen
                    .own
                    .contents
                    .allows(&storage, guest_storage::CT_CONTENT)
                {
                    p.push(
                        file,
                        &at,
                        format!("{storage:?}"),
                        format!("for CT {}'s {disk}, {why}", c.id),
                    );
                }
            }
        }
        for b in bind_sources::of(&inv.host, c) {
            // phoenix-cli runs phx-storage before the guests: a source it
            // makes exists by the time `pct` mounts it (noted by [`pending_sources`]).
            if !seen.own.host_paths.contains(b.host_path)
                && !bind_sources::storage_makes(inv, b.host_path)
            {
                let (src_file, at) = b.source_at(inv, c);
                p.push(
                    &src_file,
                    &at,
                    format!("{:?}", b.host_path),
                    format!(
                        "an existing directory on the host (the bind mount's source does not exist, and {} makes sources only under {})",
                        bind_sources::MAKER,
                        bind_sources::storage_roots(inv).join(", ")
                    ),
                );
            }
        }
        match (&c.clone_from, &c.template) {
            (None, None) => p.push(
                file,
                &format!("{}.template", c.path),
                "(missing)",
                "a template (STORAGE:vztmpl/FILE or a file under a vztmpl storage) or a clone_from_ctid",
            ),
            (None, Some(t)) => {
                if let Err(e) = storages.template_volid(t) {
                    p.push(file, &format!("{}.template", c.path), format!("{t:?}"), e);
                }
            }
            (Some(src), _) => {
                if let Some(s) = inv.lxcs.get(src) {
                    if s.template_snapshot_name.is_none() && sources_without_snapshot.insert(*src) {
                        p.push(
                            file,
                            &format!("{}.template_snapshot_name", s.path),
                            "(missing)",
                            format!("the snapshot to clone from (CT {} is cloned from CT {src})", c.id),
                        );
                    }
                    // `pct clone` fails on a source with bind mounts
                    // (pve-container's API2/LXC.pm, clone_vm); only a clone still to be made matters.
                    let binds: Vec<_> = bind_sources::of(&inv.host, s).collect();
                    if let Some(m) = binds.first() {
                        if !seen.confs.contains_key(&c.id) {
                            // `…mount_points[0]` or `shared_volumes.v.mounts."900"`.
                            let (_, at) = m.source_at(inv, s);
                            let at = at.trim_end_matches(".host_path");
                            p.push(
                                file,
                                &format!("{}.clone_from_ctid", c.path),
                                src.to_string(),
                                format!(
                                    "a clone source without bind mounts (`pct clone` fails on them): CT {src} has {at} {} -> {}{}",
                                    m.host_path,
                                    m.container_path,
                                    match binds.len() {
                                        1 => String::new(),
                                        n => format!(" and {} more", n - 1),
                                    }
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
    p
}

/// `zfs_volumes` of one `name` are one volume (crate::one_volume): every entry
/// naming it must give the same pool and size; the first entry naming it
/// (by container ID) is the one the others are compared with.
fn same_volume_alike(inv: &Inventory, p: &mut Problems) {
    let file = &inv.sources.lxc;
    let mut first: std::collections::HashMap<&str, (String, &str, u64)> = Default::default();
    for c in inv.lxcs.values() {
        for (i, v) in c.zfs_volumes.iter().enumerate() {
            let at = format!("{}.zfs_volumes[{i}]", c.path);
            let Some((at0, pool, size)) = first.get(v.name.as_str()) else {
                first.insert(&v.name, (at, &v.pool, v.size_gb));
                continue;
            };
            for (key, have, want) in [
                ("pool", format!("{:?}", v.pool), format!("{pool:?}")),
                ("size_gb", v.size_gb.to_string(), size.to_string()),
            ] {
                if have != want {
                    p.push(
                        file,
                        &format!("{at}.{key}"),
                        have,
                        format!(
                            "{want}, as {at0}.{key}: zfs_volumes named {:?} are one shared volume",
                            v.name
                        ),
                    );
                }
            }
        }
    }
}

/// A note for each missing bind source that phx-storage makes, naming it:
/// the plan is right only once that one ran.
pub fn pending_sources(inv: &Inventory, seen: &Observed) -> Vec<String> {
    bind_sources::made_by_storage(inv)
        .into_iter()
        .filter(|(path, _)| !seen.own.host_paths.contains(*path))
        .map(|(path, ids)| {
            let cts: Vec<String> = ids.iter().map(|i| format!("CT {i}")).collect();
            format!(
                "bind source {path} ({}) does not exist yet: {} makes it",
                cts.join(", "),
                bind_sources::MAKER
            )
        })
        .collect()
}

/// A note for each missing template of a container still to be created
/// that phx-storage fetches, naming it: `pct create` needs it, and
/// phoenix-cli runs storage before the guests (`phx_common::fetch`).
pub fn pending_templates(inv: &Inventory, seen: &Observed) -> Vec<String> {
    phx_common::fetch::templates(inv)
        .into_values()
        .filter_map(|(t, ids)| {
            let path = t.path()?;
            let new: Vec<String> = ids
                .iter()
                .filter(|i| !seen.confs.contains_key(i))
                .map(|i| format!("CT {i}"))
                .collect();
            (!new.is_empty() && !seen.own.templates.contains(&path)).then(|| {
                format!(
                    "template {path} ({}) is not on the host yet: {} fetches it (pveam download {} {})",
                    new.join(", "),
                    phx_common::fetch::FETCHER,
                    t.storage,
                    t.file
                )
            })
        })
        .collect()
}
