//! A Proxmox NFS storage per `nfs.exports` entry, as the original added
//! them (`phx_common::nfs_storages` says which): ID `nfs-<last path
//! component>`, the export mounted from `network.nfs_server` (the original
//! took the host's own address, the default here) at `/mnt/nfs/<id>`, with
//! its content and mount options. `pvesm add nfs` when the ID is missing;
//! `pvesm set --content` when the content differs; other differences are
//! noted, never changed (server, export and path are fixed once a storage
//! exists: NFSPlugin.pm:90-93 `fixed => 1`).

use crate::storage_cfg::content_set;
use crate::Observed;
use phx_common::config::{parse::is_storage_id, Inventory, Problems};
use phx_common::nfs_storages::{self, CONTENT, OPTIONS};
use phx_plan::{argv, Action, CommandStep};
use std::collections::BTreeMap;

pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    problems: &mut Problems,
    notes: &mut Vec<String>,
) -> Vec<(String, Action)> {
    let file = &inv.sources.hypervisor;
    let existing = seen.storages_by_id();
    // IDs the datasets' storages take (storages.rs), then each export's.
    let mut taken: BTreeMap<String, String> = inv
        .host
        .zfs_datasets
        .iter()
        .enumerate()
        .filter(|(_, d)| d.storage_type.is_some())
        .map(|(i, d)| (d.storage_id(), format!("zfs.datasets[{i}]")))
        .collect();
    let mut steps = Vec::new();
    for n in nfs_storages::of(&inv.host) {
        let (i, id, server, path) = (n.index, n.id, n.server, n.path);
        let e = &inv.host.nfs_exports[i];
        let at = format!("nfs.exports[{i}].path");
        if !is_storage_id(&id) {
            problems.push(
                file,
                &at,
                format!("{:?}", e.path),
                format!("a path whose last component makes a storage ID ({id} is not: a letter, then letters, digits, '-', '_' or '.')"),
            );
            continue;
        }
        if let Some(first) = taken.insert(id.clone(), format!("nfs.exports[{i}]")) {
            problems.push(
                file,
                &at,
                format!("{:?}", e.path),
                format!("a path whose storage ID {id} no other storage has ({first} has it)"),
            );
            continue;
        }
        let fixed = [
            ("server", server.as_str()),
            ("export", e.path.as_str()),
            ("path", path.as_str()),
        ];
        match existing.get(id.as_str()) {
            Some(have) if have.kind != "nfs" => problems.push(
                file,
                &at,
                format!("{:?}", e.path),
                format!("an export whose storage ID {id} is free: storage.cfg has a {} storage by that ID, and phx-storage does not replace a storage", have.kind),
            ),
            Some(have) => {
                for (k, want) in fixed {
                    if have.get(k) != Some(want) {
                        notes.push(format!(
                            "storage {id}: storage.cfg has {k} {}, {file} means {want}; {k} is fixed once a storage exists, so it is left (pvesm remove and run again to change it)",
                            have.get(k).unwrap_or("(none)")
                        ));
                    }
                }
                if have.get("options") != Some(OPTIONS) {
                    notes.push(format!(
                        "storage {id}: storage.cfg has options {}, phx-storage adds NFS storages with {OPTIONS}; left as it is",
                        have.get("options").unwrap_or("(none)")
                    ));
                }
                if have.content() != content_set(CONTENT) {
                    steps.push((
                        format!("storage:pve:{id}:content"),
                        Action::Command(CommandStep { show_output: false,
                            argv: argv(&["pvesm", "set", &id, "--content", CONTENT]),
                            unless: None,
                            only_if: None,
                            desc: format!(
                                "content of storage {id}: {} -> {CONTENT}",
                                have.get("content").unwrap_or("(default)")
                            ),
                            notify: vec![],
                            timeout_s: None,
                        }),
                    ));
                }
            }
            None => steps.push((
                format!("storage:pve:{id}"),
                Action::Command(CommandStep { show_output: false,
                    argv: argv(&[
                        "pvesm", "add", "nfs", &id, "--server", &server, "--export", &e.path,
                        "--path", &path, "--content", CONTENT, "--options", OPTIONS,
                    ]),
                    unless: None,
                    only_if: None,
                    desc: format!("add NFS storage {id}: {server}:{} at {path}", e.path),
                    notify: vec![],
                    timeout_s: None,
                }),
            )),
        }
    }
    steps
}
