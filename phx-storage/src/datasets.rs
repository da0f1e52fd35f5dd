//! `zfs create -o k=v…` for a missing dataset, one `zfs set` with every
//! property that differs for an existing one; a dataset of a managed pool
//! that the JSON no longer names is reported, never destroyed.

use crate::zfs_value::parsable;
use crate::Observed;
use phx_common::config::{Inventory, Problems};
use phx_plan::{argv, Action, CommandStep};
use std::collections::BTreeSet;

pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    problems: &mut Problems,
    notes: &mut Vec<String>,
) -> Vec<(String, Action)> {
    let file = &inv.sources.hypervisor;
    let host = &inv.host;
    let declared: BTreeSet<String> = host
        .zfs_datasets
        .iter()
        .map(|d| format!("{}/{}", d.pool, d.name))
        .collect();
    let planned_pools: BTreeSet<&str> = host.zfs_pools.iter().map(|p| p.name.as_str()).collect();
    // Parents before children, whatever the JSON's order.
    let mut order: Vec<usize> = (0..host.zfs_datasets.len()).collect();
    order.sort_by_key(|&i| host.zfs_datasets[i].name.matches('/').count());
    let mut steps = Vec::new();
    for i in order {
        let d = &host.zfs_datasets[i];
        let full = format!("{}/{}", d.pool, d.name);
        if !seen.pools.contains(&d.pool) && !planned_pools.contains(d.pool.as_str()) {
            problems.push(
                file,
                &format!("zfs.datasets[{i}].pool"),
                format!("\"{}\"", d.pool),
                format!(
                    "a pool on the node ({}) or in zfs.pools",
                    if seen.pools.is_empty() {
                        "none".to_string()
                    } else {
                        seen.pools.iter().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
            );
            continue;
        }
        if let Some((parent, _)) = full.rsplit_once('/') {
            if parent != d.pool && !declared.contains(parent) && !seen.datasets.contains_key(parent)
            {
                problems.push(
                    file,
                    &format!("zfs.datasets[{i}].name"),
                    format!("\"{}\"", d.name),
                    format!(
                        "a dataset whose parent {parent} exists or is declared in zfs.datasets"
                    ),
                );
                continue;
            }
        }
        let mut wanted = Vec::new();
        for (k, v) in &d.properties {
            match parsable(k, v) {
                Some(p) => wanted.push((k, v, p)),
                None => problems.push(
                    file,
                    &format!("zfs.datasets[{i}].properties"),
                    format!("\"{k}={v}\""),
                    format!("a size zfs accepts for {k} (a number with an optional K, M, G, T, P or E suffix)"),
                ),
            }
        }
        match seen.datasets.get(&full) {
            None => {
                let mut a = argv(&["zfs", "create"]);
                for (k, v, _) in &wanted {
                    a.push("-o".into());
                    a.push(format!("{k}={v}"));
                }
                a.push(full.clone());
                steps.push((
                    format!("storage:dataset:{full}"),
                    Action::Command(CommandStep {
                        show_output: false,
                        argv: a,
                        unless: Some(argv(&["zfs", "list", "-H", "-o", "name", &full])),
                        only_if: None,
                        desc: format!("create dataset {full}"),
                        notify: vec![],
                        timeout_s: None,
                    }),
                ));
            }
            Some(have) => {
                let changed: Vec<_> = wanted
                    .iter()
                    .filter(|(k, _, p)| have.get(k.as_str()) != Some(p))
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                let mut a = argv(&["zfs", "set"]);
                a.extend(changed.iter().map(|(k, v, _)| format!("{k}={v}")));
                a.push(full.clone());
                let what: Vec<String> = changed
                    .iter()
                    .map(|(k, v, _)| {
                        format!(
                            "{k} {} -> {v}",
                            have.get(k.as_str())
                                .map(String::as_str)
                                .unwrap_or("(unset)")
                        )
                    })
                    .collect();
                steps.push((
                    format!("storage:dataset:{full}:set"),
                    Action::Command(CommandStep {
                        show_output: false,
                        argv: a,
                        unless: None,
                        only_if: None,
                        desc: format!("set {} on {full}", what.join(", ")),
                        notify: vec![],
                        timeout_s: None,
                    }),
                ));
            }
        }
    }
    let managed: BTreeSet<&str> = planned_pools
        .iter()
        .copied()
        .chain(host.zfs_datasets.iter().map(|d| d.pool.as_str()))
        .collect();
    for name in seen.datasets.keys() {
        let Some((pool, child)) = name.split_once('/') else {
            continue;
        };
        if managed.contains(pool)
            && !child.contains('/')
            && !declared.contains(name)
            && !proxmox_volume(child)
        {
            notes.push(format!(
                "dataset {name} is on the node but not in zfs.datasets of {file}: left as it is (phx-storage never destroys a dataset)"
            ));
        }
    }
    steps
}

/// A guest volume Proxmox made (`subvol-101-disk-0`, `vm-100-disk-1`,
/// `base-9000-disk-0`): the storage's, not the JSON's.
fn proxmox_volume(name: &str) -> bool {
    let mut parts = name.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("subvol" | "vm" | "base" | "basevol"), Some(id), Some(_)) if id.parse::<u32>().is_ok()
    )
}
