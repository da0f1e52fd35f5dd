//! A container's NVIDIA devices, as PVE 8's `devN:` entries made from the
//! device nodes this node has — not raw lines with fixed majors.
//!
//! Why `devN` and not majors read from `/proc/devices`: pve-container turns
//! each entry into the cgroup rule of the node's own major:minor at every
//! start (src/PVE/LXC.pm:769-787, `get_device_mode_and_rdev` then
//! `lxc.cgroup2.devices.allow = c MAJ:MIN rw`) and mknods it into the
//! container (src/PVE/LXC.pm:1897 create_passthrough_device_node;
//! src/lxc-pve-autodev-hook), so the dynamic majors of nvidia-uvm and
//! nvidia-caps are always the ones the running kernel gave out, even after a
//! driver update changed them — a major read while planning would go stale at
//! the next reboot. `pct set --devN` refuses a path that is not a device on
//! the host (src/PVE/LXC/Config.pm:1376-1383 → src/PVE/LXC/Tools.pm:157
//! "Device … does not exist" / "… is not a device"), so every entry planned
//! is a node seen under the state root. The MIG capability nodes
//! (`/dev/nvidia-caps/*`, which the original bind-mounted as an optional
//! directory) are not passed: nothing in the boot path makes them
//! (nvidia-modprobe -f, on a MIG request), and a devN entry whose node is
//! gone after a reboot stops the container from starting (LXC.pm:769-777).
//! The mode is the host node's (the driver makes them 0666); pve-container
//! would otherwise use 0660 root-only (LXC.pm:1906), which locks every
//! non-root user of the container out of the GPU.
//!
//! Phoenix owns the entries whose path starts with `/dev/nvidia`: a container
//! has exactly those of its `gpu_assignment` (a clone's inherited other GPU
//! is deleted); other `devN` entries are the operator's and stay. The raw
//! lines earlier Phoenix versions wrote (fixed majors 195/234/509 and
//! `/dev/nvidia*` mount entries) are owned too and removed
//! ([`LEGACY_OWNED_PREFIXES`]).
//!
//! A node that lacks a required node (the driver is not installed yet, or
//! its reboot is pending) gets a warning per container naming the missing
//! nodes, and no device change is planned for it: the next run, once the
//! nodes exist, adds them.

use phx_common::observed_record;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The raw lines earlier Phoenix versions wrote for NVIDIA passthrough:
/// owned, so an existing container loses them when it gets its `devN`
/// entries. Prefixes of normalised `key: value` lines.
pub const LEGACY_OWNED_PREFIXES: [&str; 4] = [
    "lxc.mount.entry: /dev/nvidia",
    "lxc.cgroup2.devices.allow: c 195:",
    "lxc.cgroup2.devices.allow: c 234:",
    "lxc.cgroup2.devices.allow: c 509:",
];

/// The prefix of the device paths Phoenix owns.
const OWNED_PATH: &str = "/dev/nvidia";

/// Nodes every GPU container needs besides its `/dev/nvidiaN`: without
/// them CUDA does not run, so their absence means "not ready".
const REQUIRED_SHARED: [&str; 2] = ["/dev/nvidiactl", "/dev/nvidia-uvm"];
/// Nodes passed when the host has them (uvm-tools for profilers; the
/// node's nvidia-gpu-init.service makes it with nvidia-uvm at every boot).
/// Not `/dev/nvidia-modeset`: CUDA does not use it, and nothing in the
/// boot path makes it (nvidia-modprobe only with `-m`, for a display
/// server) — an entry for a node that exists while planning but not after
/// the next boot stops the container from starting (pve-container
/// src/PVE/LXC.pm:769-777 dies on a devN path that does not exist), where
/// the original's `bind,optional` mount of it was skipped.
const OPTIONAL_SHARED: [&str; 1] = ["/dev/nvidia-uvm-tools"];

/// The NVIDIA character devices of this node (`/dev/nvidia*`), with their
/// permission bits.
#[derive(Debug, Default, Clone)]
pub struct HostNodes {
    pub nodes: BTreeMap<String, u32>,
}

impl HostNodes {
    /// The nodes under `state_root`'s `/dev`; under a copy made by
    /// `phoenix-cli observe`, the ones its record lists (a copy holds no
    /// device node).
    pub fn observe(state_root: &Path) -> anyhow::Result<Self> {
        if let Some(rec) = observed_record::read(state_root)? {
            let mut nodes = BTreeMap::new();
            for d in rec
                .devices
                .iter()
                .filter(|d| d.path.starts_with(OWNED_PATH))
            {
                let Some(mode) = d.mode_bits() else {
                    anyhow::bail!(
                        "{} under {}: devices: {}: mode {:?} is not octal permission bits (e.g. \"0666\")",
                        observed_record::PATH,
                        state_root.display(),
                        d.path,
                        d.mode
                    );
                };
                nodes.insert(d.path.clone(), mode);
            }
            return Ok(HostNodes { nodes });
        }
        Ok(HostNodes {
            nodes: observed_record::nvidia_devices(state_root)?,
        })
    }
}

/// The `devN` values a container with `gpus` should have, in order; or
/// the required nodes this node lacks.
pub fn wanted(gpus: &[u32], host: &HostNodes) -> Result<Vec<String>, Vec<String>> {
    if gpus.is_empty() {
        return Ok(Vec::new());
    }
    let required: Vec<String> = gpus
        .iter()
        .map(|g| format!("/dev/nvidia{g}"))
        .chain(REQUIRED_SHARED.iter().map(|s| s.to_string()))
        .collect();
    let missing: Vec<String> = required
        .iter()
        .filter(|p| !host.nodes.contains_key(*p))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let optional = OPTIONAL_SHARED
        .iter()
        .map(|s| s.to_string())
        .filter(|p| host.nodes.contains_key(p));
    Ok(required
        .into_iter()
        .chain(optional)
        .map(|p| format!("{p},mode={:04o}", host.nodes[&p]))
        .collect())
}

/// The path of a `devN` value (its default key, or `path=`).
pub fn dev_path(value: &str) -> &str {
    value
        .split(',')
        .find_map(|p| match p.split_once('=') {
            None => Some(p),
            Some(("path", v)) => Some(v),
            _ => None,
        })
        .unwrap_or("")
}

/// The `devN` entries of a conf (index → value, pending changes applied).
pub fn current(conf: &crate::conf::Conf) -> BTreeMap<u32, String> {
    conf.indexed("dev")
        .into_iter()
        .filter_map(|n| Some((n, conf.effective(&format!("dev{n}"))?.to_string())))
        .collect()
}

/// What turns `have` into `want`: the `devN` keys to set, the ones to
/// delete, and the entries it ends with. Owned entries are matched by path
/// (an entry whose mode changed is set again at its index); new ones take
/// the lowest index no entry uses.
pub fn reconcile(have: &BTreeMap<u32, String>, want: &[String]) -> Reconciled {
    let wanted_paths: BTreeSet<&str> = want.iter().map(|v| dev_path(v)).collect();
    let mut out = Reconciled {
        devs: have.clone(),
        ..Default::default()
    };
    let mut used: BTreeSet<u32> = have.keys().copied().collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    for (&n, v) in have {
        let p = dev_path(v);
        if !p.starts_with(OWNED_PATH) {
            continue;
        }
        // Not wanted, or a repeat of a path already placed.
        if !wanted_paths.contains(p) || !placed.insert(p) {
            out.delete.push(format!("dev{n}"));
            out.devs.remove(&n);
            continue;
        }
        let w = want.iter().find(|w| dev_path(w) == p).expect("wanted");
        if w != v {
            out.set.push((format!("dev{n}"), w.clone()));
            out.devs.insert(n, w.clone());
        }
    }
    for w in want {
        if placed.contains(dev_path(w)) {
            continue;
        }
        let n = (0..).find(|i| !used.contains(i)).expect("a free index");
        used.insert(n);
        out.set.push((format!("dev{n}"), w.clone()));
        out.added += 1;
        out.devs.insert(n, w.clone());
    }
    out
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub set: Vec<(String, String)>,
    pub delete: Vec<String>,
    /// How many of `set` are new entries (hotplugged into a running
    /// container; changed and deleted ones wait for its next start:
    /// pve-container src/PVE/LXC/Config.pm, vmconfig_hotplug_pending "skip").
    pub added: usize,
    pub devs: BTreeMap<u32, String>,
}

/// The warning of a container whose GPU nodes this node lacks.
pub fn missing_warning(ctid: u32, missing: &[String]) -> String {
    format!(
        "CT {ctid}: gpu_assignment needs {}, which this node does not have (NVIDIA driver not installed yet, or its reboot pending): its GPU devices are not planned; run again once the nodes exist",
        missing.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_copy_the_records_nodes_are_the_nodes_and_a_bad_mode_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let rec = root.path().join("var/lib/phoenix/observed.json");
        std::fs::create_dir_all(rec.parent().unwrap()).unwrap();
        let write = |mode: &str| {
            std::fs::write(
                &rec,
                format!(
                    r#"{{"phoenix_observed": 1, "taken_at": "", "node": null, "lists": {{}},
                    "devices": [{{"path": "/dev/nvidia0", "mode": "{mode}"}}, {{"path": "/dev/sda", "mode": "0660"}}]}}"#
                ),
            )
            .unwrap()
        };
        write("0666");
        let seen = HostNodes::observe(root.path()).unwrap();
        assert_eq!(
            seen.nodes,
            BTreeMap::from([("/dev/nvidia0".to_string(), 0o666)])
        );
        write("rw");
        let e = HostNodes::observe(root.path()).unwrap_err().to_string();
        assert!(e.contains("/dev/nvidia0: mode \"rw\" is not octal"), "{e}");
    }

    fn host(paths: &[&str]) -> HostNodes {
        HostNodes {
            nodes: paths.iter().map(|p| (p.to_string(), 0o666)).collect(),
        }
    }

    const FULL: [&str; 7] = [
        "/dev/nvidia0",
        "/dev/nvidia1",
        "/dev/nvidiactl",
        "/dev/nvidia-uvm",
        "/dev/nvidia-uvm-tools",
        "/dev/nvidia-caps/nvidia-cap1",
        "/dev/nvidia-caps/nvidia-cap2",
    ];

    #[test]
    fn entries_are_what_the_host_has() {
        let w = wanted(&[1], &host(&FULL)).unwrap();
        assert_eq!(
            w,
            [
                "/dev/nvidia1,mode=0666",
                "/dev/nvidiactl,mode=0666",
                "/dev/nvidia-uvm,mode=0666",
                "/dev/nvidia-uvm-tools,mode=0666",
            ],
            "no nvidia-modeset (the host has none) and no MIG caps (not made at boot)"
        );
        let mut with_modeset = host(&FULL);
        with_modeset
            .nodes
            .insert("/dev/nvidia-modeset".into(), 0o666);
        assert_eq!(
            wanted(&[1], &with_modeset).unwrap(),
            w,
            "nor when it has one: CUDA does not need it, and a boot without it would stop the container"
        );
        assert_eq!(wanted(&[], &host(&[])), Ok(vec![]));
    }

    #[test]
    fn missing_required_nodes_are_named() {
        assert_eq!(
            wanted(&[0, 2], &host(&FULL)),
            Err(vec!["/dev/nvidia2".to_string()])
        );
        assert_eq!(
            wanted(&[0], &host(&[])),
            Err(vec![
                "/dev/nvidia0".to_string(),
                "/dev/nvidiactl".to_string(),
                "/dev/nvidia-uvm".to_string()
            ])
        );
    }

    #[test]
    fn owned_entries_are_reconciled_and_the_operators_kept() {
        let have: BTreeMap<u32, String> = [
            (0, "/dev/nvidia0,mode=0666"),
            (1, "/dev/dri/renderD128"),
            (2, "/dev/nvidia1,mode=0666"),
            (3, "path=/dev/nvidiactl,mode=0660"),
            (4, "/dev/nvidia0,mode=0666"),
        ]
        .into_iter()
        .map(|(n, v)| (n, v.to_string()))
        .collect();
        let want = vec![
            "/dev/nvidia0,mode=0666".to_string(),
            "/dev/nvidiactl,mode=0666".to_string(),
            "/dev/nvidia-uvm,mode=0666".to_string(),
        ];
        let r = reconcile(&have, &want);
        assert_eq!(
            r.set,
            vec![
                ("dev3".to_string(), "/dev/nvidiactl,mode=0666".to_string()),
                ("dev5".to_string(), "/dev/nvidia-uvm,mode=0666".to_string()),
            ]
        );
        assert_eq!(r.delete, vec!["dev2", "dev4"], "the other GPU and a repeat");
        assert_eq!(r.added, 1);
        assert_eq!(r.devs[&1], "/dev/dri/renderD128", "the operator's stays");
        let again = reconcile(&r.devs, &want);
        assert!(again.set.is_empty() && again.delete.is_empty(), "stable");
    }
}
