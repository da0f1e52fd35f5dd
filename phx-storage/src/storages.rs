//! One storage.cfg entry per dataset that declares `proxmox_storage_type`:
//! `pvesm add zfspool|dir …` when its ID is missing, `pvesm set --content`
//! when its content differs. Entries the JSON does not name (`local`,
//! `local-lvm`, the operator's own) are never touched.

use crate::storage_cfg::content_set;
use crate::Observed;
use phx_common::config::{parse::is_storage_id, Inventory, Problems, ZfsDataset};
use phx_plan::{argv, Action, CommandStep};
use std::collections::BTreeMap;

/// Content types each storage type accepts: the first hash of `content` in
/// each plugin's `plugindata` (pve-storage src/PVE/Storage/ZFSPoolPlugin.pm:57,
/// DirPlugin.pm:27-37).
pub fn accepted(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "zfspool" => Some(&["images", "rootdir"]),
        "dir" => Some(&[
            "images", "rootdir", "vztmpl", "iso", "backup", "snippets", "none", "import",
        ]),
        _ => None,
    }
}

/// Where a dir storage on a dataset points: its `mountpoint` property when
/// the JSON sets one, else ZFS's default, `/<pool>/<name>`.
pub fn dir_path(d: &ZfsDataset) -> String {
    d.mount_dir()
}

pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    problems: &mut Problems,
    notes: &mut Vec<String>,
) -> Vec<(String, Action)> {
    let file = &inv.sources.hypervisor;
    let existing = seen.storages_by_id();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps = Vec::new();
    for (i, d) in inv.host.zfs_datasets.iter().enumerate() {
        let Some(kind) = d.storage_type.as_deref() else {
            continue;
        };
        let at = |k: &str| format!("zfs.datasets[{i}].{k}");
        let Some(ok) = accepted(kind) else {
            problems.push(
                file,
                &at("proxmox_storage_type"),
                format!("\"{kind}\""),
                "zfspool or dir (the storage types a dataset backs)",
            );
            continue;
        };
        let mut bad = false;
        for c in &d.content {
            if !ok.contains(&c.as_str()) {
                bad = true;
                problems.push(
                    file,
                    &at("proxmox_content_type"),
                    format!("\"{c}\""),
                    format!("a content type a {kind} storage holds ({})", ok.join(", ")),
                );
            }
        }
        if d.content.len() > 1 && d.content.iter().any(|c| c == "none") {
            // PVE/Storage/Plugin.pm:491 decode_value.
            bad = true;
            problems.push(
                file,
                &at("proxmox_content_type"),
                format!("\"{}\"", d.content.join(",")),
                "none alone, or content types without none (pve-storage refuses the mix)",
            );
        }
        let id = d.storage_id();
        if !is_storage_id(&id) {
            problems.push(
                file,
                &at("name"),
                format!("\"{}\"", d.name),
                format!("a name that makes a valid storage ID with its pool ({id} is not: a letter, then letters, digits, '-', '_' or '.')"),
            );
            continue;
        }
        if let Some(first) = ids.insert(id.clone(), i) {
            problems.push(
                file,
                &at("name"),
                format!("\"{}\"", d.name),
                format!("a dataset whose storage ID {id} no other dataset has (zfs.datasets[{first}] has it)"),
            );
            continue;
        }
        if bad {
            continue;
        }
        if kind == "dir" && !dir_path(d).starts_with('/') {
            problems.push(
                file,
                &at("properties"),
                format!("\"mountpoint={}\"", dir_path(d)),
                "a mount point that is a directory: a dir storage lives in it (not none or legacy)",
            );
            continue;
        }
        let full = format!("{}/{}", d.pool, d.name);
        let content = d.content.join(",");
        let (fixed_key, fixed_value) = match kind {
            "zfspool" => ("pool", full.clone()),
            _ => ("path", dir_path(d)),
        };
        match existing.get(id.as_str()) {
            Some(e) if e.kind != kind => problems.push(
                file,
                &at("proxmox_storage_type"),
                format!("\"{kind}\""),
                format!("the type storage {id} has in storage.cfg ({}); phx-storage does not replace a storage", e.kind),
            ),
            Some(e) => {
                if e.get(fixed_key) != Some(fixed_value.as_str()) {
                    notes.push(format!(
                        "storage {id}: storage.cfg has {fixed_key} {}, {file} means {fixed_value}; {fixed_key} is fixed once a storage exists, so it is left (pvesm remove and run again to move it)",
                        e.get(fixed_key).unwrap_or("(none)")
                    ));
                }
                if !d.content.is_empty() && e.content() != content_set(&content) {
                    steps.push((
                        format!("storage:pve:{id}:content"),
                        Action::Command(CommandStep { show_output: false,
                            argv: argv(&["pvesm", "set", &id, "--content", &content]),
                            unless: None,
                            only_if: None,
                            desc: format!(
                                "content of storage {id}: {} -> {content}",
                                e.get("content").unwrap_or("(default)")
                            ),
                            notify: vec![],
                            timeout_s: None,
                        }),
                    ));
                }
            }
            None => {
                let mut a = argv(&["pvesm", "add", kind, &id, &format!("--{fixed_key}"), &fixed_value]);
                if !d.content.is_empty() {
                    a.extend(argv(&["--content", &content]));
                }
                if kind == "dir" {
                    // The directory is a dataset's mount point: if the dataset
                    // is not mounted, Proxmox must not fill the empty
                    // directory below it (DirPlugin.pm `is_mountpoint`).
                    a.extend(argv(&["--is_mountpoint", "yes"]));
                }
                steps.push((
                    format!("storage:pve:{id}"),
                    Action::Command(CommandStep { show_output: false,
                        argv: a,
                        unless: None,
                        only_if: None,
                        desc: format!("add {kind} storage {id} on {fixed_value}"),
                        notify: vec![],
                        timeout_s: None,
                    }),
                ));
            }
        }
    }
    steps
}
