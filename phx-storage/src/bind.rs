//! Bind-mount sources of containers (`mount_points[].host_path` and the
//! `shared_volumes` that name them, as `phx_common::bind_sources` lists
//! them): each directory exists, owned by the host ID its container's root maps to, so
//! the guest's root owns what it sees. Unprivileged containers map 0 to
//! 100000 unless `lxc.idmap` lines say otherwise; privileged ones 0 to 0.

use crate::storages::dir_path;
use phx_common::bind_sources;
use phx_common::config::{split_raw_lxc, Inventory, Lxc};
use phx_plan::{argv, Action, CommandStep};
use std::collections::BTreeMap;

/// pve-container's map for an unprivileged container without `lxc.idmap`
/// lines (src/PVE/LXC.pm:2927, `parse_id_maps`).
pub const UNPRIVILEGED_ROOT: u32 = 100_000;
/// A source's mode when the JSON gives none.
pub const MODE: u32 = 0o755;

/// The mode each source's entries give (`mount_points[].mode`,
/// `shared_volumes.<name>.mode`); two different ones are a warning and the
/// first in container order is used.
fn modes<'a>(inv: &'a Inventory, warnings: &mut Vec<String>) -> BTreeMap<&'a str, u32> {
    let mut out: BTreeMap<&str, u32> = BTreeMap::new();
    for c in inv.lxcs.values() {
        for b in bind_sources::of(&inv.host, c) {
            let Some(mode) = b.mode else { continue };
            match out.get(b.host_path) {
                Some(&m) if m != mode => warnings.push(format!(
                    "bind source {}: CT {} gives mode {mode:04o}, an earlier entry {m:04o}; {m:04o} is used",
                    b.host_path, c.id
                )),
                Some(_) => {}
                None => {
                    out.insert(b.host_path, mode);
                }
            }
        }
    }
    out
}

/// The host uid and gid the container's root is, as pve-container's
/// `parse_id_maps` (src/PVE/LXC.pm:2900) works them out: from the `lxc.idmap`
/// lines that map container ID 0 when there are any (else 0), 100000 for an
/// unprivileged container without such lines, 0 for a privileged one.
pub fn root_owner(c: &Lxc) -> (u32, u32) {
    let (mut uid, mut gid, mut any) = (0, 0, false);
    for line in &c.lxc_options {
        let Some(("lxc.idmap", v)) = split_raw_lxc(line) else {
            continue;
        };
        any = true;
        // `u|g <first container id> <first host id> <count>`.
        let f: Vec<&str> = v.split_whitespace().collect();
        if let [kind, "0", host, _count] = f[..] {
            if let Ok(host) = host.parse() {
                match kind {
                    "u" => uid = host,
                    "g" => gid = host,
                    _ => {}
                }
            }
        }
    }
    if !any && c.unprivileged {
        return (UNPRIVILEGED_ROOT, UNPRIVILEGED_ROOT);
    }
    (uid, gid)
}

/// The steps; what is left to the operator in `notes`, containers whose
/// roots disagree on a source's owner in `warnings`.
pub fn plan(
    inv: &Inventory,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<(String, Action)> {
    // Path → (owner, the containers that want it); which sources are made is
    // phx-common's answer, the one phx-lxc accepts missing sources by.
    let mut wanted: BTreeMap<&str, ((u32, u32), Vec<u32>)> = BTreeMap::new();
    for (path, (made, ids)) in bind_sources::all(inv) {
        if !made {
            let roots = bind_sources::storage_roots(inv).join(", ");
            notes.push(format!(
                "bind source {path} (CT {}) is under no storage directory ({roots}): phx-storage leaves it to the operator; it must exist",
                ids.iter().map(u32::to_string).collect::<Vec<_>>().join(", CT ")
            ));
            continue;
        }
        for id in ids {
            let owner = root_owner(&inv.lxcs[&id]);
            let e = wanted.entry(path).or_insert((owner, Vec::new()));
            if e.0 != owner {
                warnings.push(format!(
                    "bind source {path}: CT {id}'s root is {}:{} on the host, CT {}'s {}:{}; it is owned by {}:{} (CT {}'s root), CT {id} sees it as nobody",
                    owner.0, owner.1, e.1[0], e.0 .0, e.0 .1, e.0 .0, e.0 .1, e.1[0]
                ));
            }
            e.1.push(id);
        }
    }
    let modes = modes(inv, warnings);
    let mounts: Vec<String> = inv.host.zfs_datasets.iter().map(dir_path).collect();
    let mut steps = Vec::new();
    for (path, ((uid, gid), ids)) in wanted {
        if !mounts.iter().any(|m| path.starts_with(&format!("{m}/"))) {
            notes.push(format!(
                "bind source {path} is on no dataset of zfs.datasets (they mount at /<pool>/<name>): it is made on the file system that holds it"
            ));
        }
        let (u, g) = (uid.to_string(), gid.to_string());
        // A mode the JSON gives is kept; the default only makes the
        // directory, and an operator's later chmod stays.
        let given = modes.get(path).copied();
        let mode_arg = format!("{:04o}", given.unwrap_or(MODE));
        // stat's %a prints no leading zeros.
        let (format, want) = match given {
            Some(m) => ("%u:%g:%a", format!("{u}:{g}:{m:o}")),
            None => ("%u:%g", format!("{u}:{g}")),
        };
        let cts: Vec<String> = ids.iter().map(|i| format!("CT {i}")).collect();
        // PHX_ROOT: set by phx-apply when --root is not `/` (test trees).
        steps.push((
            format!("storage:bind:{path}"),
            Action::Command(CommandStep {
                show_output: false,
                argv: argv(&[
                    "sh",
                    "-c",
                    "install -d -m \"$1\" -o \"$2\" -g \"$3\" \"${PHX_ROOT:-}$4\"",
                    "phx-storage",
                    &mode_arg,
                    &u,
                    &g,
                    path,
                ]),
                unless: Some(argv(&[
                    "sh",
                    "-c",
                    "[ \"$(stat -c \"$3\" \"${PHX_ROOT:-}$1\" 2>/dev/null)\" = \"$2\" ]",
                    "phx-storage",
                    path,
                    &want,
                    format,
                ])),
                only_if: None,
                desc: format!(
                    "bind source {path} for {}, owned {u}:{g}, mode {mode_arg}",
                    cts.join(", ")
                ),
                notify: vec![],
                timeout_s: None,
            }),
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(unprivileged: bool, lxc_options: &[&str]) -> Lxc {
        let mut inv = example_inventory();
        let mut c = inv.lxcs.pop_first().unwrap().1;
        c.unprivileged = unprivileged;
        c.lxc_options = lxc_options.iter().map(|s| s.to_string()).collect();
        c
    }

    /// A container from the repository's example, without depending on phx-testkit.
    fn example_inventory() -> Inventory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
        phx_common::config::load(&phx_common::config::Input::Dir(dir)).unwrap()
    }

    #[test]
    fn the_owner_is_the_host_id_of_the_container_s_root() {
        assert_eq!(root_owner(&ct(false, &[])), (0, 0));
        assert_eq!(root_owner(&ct(true, &[])), (100_000, 100_000));
        let mapped = ct(
            true,
            &[
                "lxc.idmap: u 0 200000 65536",
                "lxc.idmap = g 0 300000 65536",
            ],
        );
        assert_eq!(root_owner(&mapped), (200_000, 300_000));
        // Map lines without container ID 0 leave root unmapped, as pct does.
        let partial = ct(true, &["lxc.idmap: u 1000 101000 1"]);
        assert_eq!(root_owner(&partial), (0, 0));
    }

    #[test]
    fn a_source_outside_every_storage_directory_is_left_to_the_operator() {
        let mut inv = example_inventory();
        let (id, c) = inv
            .lxcs
            .iter_mut()
            .find(|(_, c)| !c.mount_points.is_empty())
            .unwrap();
        let id = *id;
        c.mount_points[0].host_path = "/etc/ssl/private".to_string();
        let mut notes = Vec::new();
        let steps = plan(&inv, &mut notes, &mut Vec::new());
        assert!(
            !steps.iter().any(|(s, _)| s.contains("/etc/ssl")),
            "{steps:?}"
        );
        assert!(
            notes.iter().any(|n| n.starts_with(&format!(
                "bind source /etc/ssl/private (CT {id}) is under no storage directory (/mnt/pve"
            ))),
            "{notes:?}"
        );
    }
}
