//! `zfs`: the pools phx-storage creates, the datasets (with their
//! properties and the Proxmox storage each backs) and the ARC limit.

use super::super::model::*;
use super::super::raw::{Obj, Scalar};
use super::super::reader::{At, Reader};
use super::host::{RawDataset, RawPool, RawZfs};
use super::tokens::*;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct ReadZfs {
    pub pools: Vec<ZfsPool>,
    pub datasets: Vec<ZfsDataset>,
    pub arc_max_gb: Option<u64>,
}

pub fn zfs(r: &mut Reader, at: &At, z: RawZfs) -> ReadZfs {
    let pools = r
        .opt(at, "pools", z.pools, |r, at, ps| Some(r.each(at, ps, pool)))
        .unwrap_or_default();
    let datasets = r
        .opt(at, "datasets", z.datasets, |r, at, ds| {
            Some(r.each(at, ds, dataset))
        })
        .unwrap_or_default();
    // A limit above the machine's RAM is the kernel's to clamp; 1 TiB of
    // ARC is beyond any node this runs on, so more is a typo (MB for GB).
    let arc_max_gb = r.opt(at, "arc_max_gb", z.arc_max_gb, |r, at, v| {
        r.int(at, v, 1, 1024)
    });
    let mut seen = BTreeMap::new();
    for (i, p) in pools.iter().enumerate() {
        if let Some(first) = seen.insert(p.name.clone(), i) {
            r.push(
                &at.key("pools").index(i).key("name"),
                format!("\"{}\"", p.name),
                format!("a pool name not used before (zfs.pools[{first}] has it)"),
            );
        }
    }
    let mut seen = BTreeMap::new();
    for (i, d) in datasets.iter().enumerate() {
        let full = format!("{}/{}", d.pool, d.name);
        if let Some(first) = seen.insert(full.clone(), i) {
            r.push(
                &at.key("datasets").index(i).key("name"),
                format!("\"{}\"", d.name),
                format!("a dataset not declared before ({full} is zfs.datasets[{first}])"),
            );
        }
    }
    ReadZfs {
        pools,
        datasets,
        arc_max_gb,
    }
}

const DISK: &str = "a block device path under /dev/ (letters, digits, '-', '_', '.', ':', '/')";
const PROPERTIES: &str = "ZFS properties as \"key=value,key=value\" (keys: lowercase letters, digits, '_', ':' and '.'; values without ',', '=' or spaces), each key once";

fn is_disk(s: &str) -> bool {
    s.strip_prefix("/dev/").is_some_and(|rest| {
        !rest.is_empty()
            && !rest.split('/').any(|p| p.is_empty() || p == "..")
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
    })
}

fn pool(r: &mut Reader, at: &At, p: Obj<RawPool>) -> Option<ZfsPool> {
    r.obj(at, p, |r, p| {
        let name = r.req_token(at, "name", p.name, is_pool_name, POOL_NAME);
        let layout = r.req(at, "raid_level", p.raid_level, RAID_LEVELS, |r, at, v| {
            let s = r.str(at, v.clone())?;
            let l = RaidLevel::parse(&s);
            if l.is_none() {
                r.bad(at, &v, RAID_LEVELS);
            }
            l
        });
        let disks = r.req(
            at,
            "disks",
            p.disks,
            "the pool's disks (required)",
            |r, at, d| {
                let disks = r.str_items(at, d, &[], |r, at, s| {
                    if is_disk(&s) {
                        Some(s)
                    } else {
                        r.push(at, format!("\"{s}\""), DISK);
                        None
                    }
                });
                Some(disks)
            },
        );
        let properties = r.opt(at, "properties", p.properties, zfs_properties);
        let fs_properties = r.opt(
            at,
            "filesystem_properties",
            p.filesystem_properties,
            zfs_properties,
        );
        let (name, layout, disks) = (name?, layout?, disks?);
        if disks.len() < layout.min_disks() {
            r.push(
                &at.key("disks"),
                format!("{} disk(s)", disks.len()),
                format!(
                    "at least {} disks for raid_level {}",
                    layout.min_disks(),
                    layout.keyword().unwrap_or("single")
                ),
            );
            return None;
        }
        Some(ZfsPool {
            name,
            layout,
            disks,
            properties: properties.unwrap_or_default(),
            filesystem_properties: fs_properties.unwrap_or_default(),
        })
    })
    .flatten()
}

/// `"k=v,k=v"` as the original wrote them (one `-o` per item).
fn zfs_properties(r: &mut Reader, at: &At, v: Scalar) -> Option<Vec<(String, String)>> {
    let text = r.str(at, v.clone())?;
    let mut out: Vec<(String, String)> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let ok = item.split_once('=').filter(|(k, v)| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_:.".contains(&b))
                && !v.is_empty()
                && !v.contains(|c: char| c == '=' || c.is_whitespace())
                && !out.iter().any(|(seen, _)| seen == k)
        });
        match ok {
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None => {
                r.push(at, format!("\"{text}\" (at \"{item}\")"), PROPERTIES);
                return None;
            }
        }
    }
    Some(out)
}

fn dataset(r: &mut Reader, at: &At, d: Obj<RawDataset>) -> Option<ZfsDataset> {
    r.obj(at, d, |r, d| {
        let name = r.req_token(at, "name", d.name, is_zfs_name, ZFS_NAME);
        let pool = r.req_token(at, "pool", d.pool, is_storage_id, STORAGE_ID);
        let properties = r.opt(at, "properties", d.properties, zfs_properties);
        let (name, pool) = (name?, pool?);
        let content = d
            .proxmox_content_type
            .map(|c| r.strs(&at.key("proxmox_content_type"), c, &[',']))
            .unwrap_or_default();
        Some(ZfsDataset {
            name,
            pool,
            storage_type: r.opt(
                at,
                "proxmox_storage_type",
                d.proxmox_storage_type,
                Reader::str,
            ),
            content,
            properties: properties.unwrap_or_default(),
            storage_id_override: None,
        })
    })
    .flatten()
}
