//! `zpool create` for each missing pool of `zfs.pools`, with the vdev layout
//! its `raid_level` names. A disk that carries anything (a signature, a
//! partition) is refused unless `--wipe-disks` names it; a mounted one is
//! refused always. An existing pool is left as it is.

use crate::{Observed, Options};
use phx_common::config::{Inventory, Problems, ZfsPool};
use phx_plan::{argv, Action, CommandStep};
use std::collections::BTreeMap;

/// Pool properties (`-o`) unless the pool's `properties` sets them: 4 KiB
/// sectors whatever the disk reports (a 512e disk would get ashift=9, and
/// ashift is fixed for the vdev's life), TRIM for SSDs.
pub const POOL_DEFAULTS: [(&str, &str); 2] = [("ashift", "12"), ("autotrim", "on")];
/// Root dataset properties (`-O`) unless `filesystem_properties` sets them;
/// the original's `-O compression=lz4 -O atime=off`.
pub const FS_DEFAULTS: [(&str, &str); 2] = [("compression", "lz4"), ("atime", "off")];

pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    opts: &Options,
    problems: &mut Problems,
) -> Vec<(String, Action)> {
    let file = &inv.sources.hypervisor;
    let mut steps = Vec::new();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let mut creatable: Vec<&str> = Vec::new();
    for (i, pool) in inv.host.zfs_pools.iter().enumerate() {
        for (j, disk) in pool.disks.iter().enumerate() {
            if let Some(other) = owner.insert(disk, &pool.name) {
                problems.push(
                    file,
                    &format!("zfs.pools[{i}].disks[{j}]"),
                    format!("\"{disk}\""),
                    format!("a disk no other pool uses (pool {other} lists it too)"),
                );
            }
        }
        if seen.pools.contains(&pool.name) {
            continue;
        }
        creatable.extend(pool.disks.iter().map(String::as_str));
        let mut wipes = Vec::new();
        for (j, disk) in pool.disks.iter().enumerate() {
            let at = format!("zfs.pools[{i}].disks[{j}]");
            let value = format!("\"{disk}\"");
            match seen.disks.get(disk) {
                None => problems.push(file, &at, value, "a disk phx-storage has read (not observed)"),
                Some(Err(why)) => problems.push(
                    file,
                    &at,
                    value,
                    format!("a disk phx-storage can read to prove it empty before pool {} is created on it: {why}", pool.name),
                ),
                Some(Ok(d)) if !d.mounted.is_empty() => problems.push(
                    file,
                    &at,
                    value,
                    format!("a disk nothing is mounted from ({}); unmount it first, --wipe-disks does not override this", d.describe()),
                ),
                Some(Ok(d)) if d.is_blank() => {}
                Some(Ok(d)) if opts.wipe_disks.contains(disk) => wipes.push((disk, d.describe())),
                Some(Ok(d)) => problems.push(
                    file,
                    &at,
                    value,
                    format!(
                        "a disk without signatures or partitions for pool {}: it holds {}; name it in --wipe-disks to erase that (wipefs -a) before zpool create",
                        pool.name,
                        d.describe()
                    ),
                ),
            }
        }
        for (disk, what) in wipes {
            steps.push((
                format!("storage:pool:{}:wipe:{disk}", pool.name),
                Action::Command(CommandStep {
                    show_output: false,
                    argv: argv(&["wipefs", "-a", disk]),
                    unless: Some(argv(&["zpool", "list", "-H", "-o", "name", &pool.name])),
                    only_if: None,
                    desc: format!(
                        "erase {disk} for pool {} (--wipe-disks; it held {what})",
                        pool.name
                    ),
                    notify: vec![],
                    timeout_s: None,
                }),
            ));
        }
        steps.push((
            format!("storage:pool:{}", pool.name),
            Action::Command(CommandStep {
                show_output: false,
                argv: create_argv(pool),
                unless: Some(argv(&["zpool", "list", "-H", "-o", "name", &pool.name])),
                only_if: None,
                desc: format!(
                    "create pool {} ({} of {})",
                    pool.name,
                    pool.layout.keyword().unwrap_or("stripe"),
                    pool.disks.join(" ")
                ),
                notify: vec![],
                timeout_s: None,
            }),
        ));
    }
    for disk in &opts.wipe_disks {
        if !creatable.contains(&disk.as_str()) {
            problems.push(
                "command line",
                "--wipe-disks",
                format!("\"{disk}\""),
                format!(
                    "a disk of a pool this plan creates ({})",
                    if creatable.is_empty() {
                        "none".to_string()
                    } else {
                        creatable.join(", ")
                    }
                ),
            );
        }
    }
    steps
}

/// `zpool create -o k=v… -O k=v… NAME [mirror|raidzN] DISK…`.
pub fn create_argv(pool: &ZfsPool) -> Vec<String> {
    let mut a = argv(&["zpool", "create"]);
    for (flag, defaults, given) in [
        ("-o", &POOL_DEFAULTS, &pool.properties),
        ("-O", &FS_DEFAULTS, &pool.filesystem_properties),
    ] {
        let mut all: Vec<(String, String)> = defaults
            .iter()
            .filter(|(k, _)| !given.iter().any(|(g, _)| g == k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.extend(given.iter().cloned());
        for (k, v) in all {
            a.push(flag.to_string());
            a.push(format!("{k}={v}"));
        }
    }
    a.push(pool.name.clone());
    if let Some(kw) = pool.layout.keyword() {
        a.push(kw.to_string());
    }
    a.extend(pool.disks.iter().cloned());
    a
}
