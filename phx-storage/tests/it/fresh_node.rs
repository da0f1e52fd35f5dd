//! From a fresh node (examples/state) with the upstream fixture unchanged:
//! `phx-storage | phx-apply --run-commands` against the doubles makes both
//! pools, every dataset with its properties and one storage.cfg entry per
//! storage dataset; a second run changes nothing and calls nothing that
//! changes anything.

use crate::common::*;
use phx_apply::Status;
use phx_testkit::upstream_dir;
use serde_json::Value;
use std::path::Path;

fn fixture() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(upstream_dir().join("phoenix_hypervisor_config.json")).unwrap(),
    )
    .unwrap()
}

/// `zfs get -p` of the zfs double, as phx-storage reads it.
fn zfs_get(root: &Path, prop: &str, name: &str) -> String {
    let out = std::process::Command::new(phx_testkit::double("zfs"))
        .args(["get", "-H", "-p", "-o", "name,property,value", prop, name])
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .split('\t')
        .nth(2)
        .unwrap()
        .to_string()
}

#[test]
fn a_fresh_node_converges_and_a_second_run_changes_nothing() {
    let root = fresh_node();
    let root = root.path();
    let live = root.join("sys/module/zfs/parameters/zfs_arc_max");
    std::fs::create_dir_all(live.parent().unwrap()).unwrap();
    std::fs::write(&live, "0\n").unwrap();

    let (first, _) = converge(&upstream_dir(), root, &[]);
    assert!(first.count(Status::Changed) > 0);

    let cfg = fixture();
    let state = read_json(root, "var/lib/zfs-double/state.json");
    let quick = &state["pools"]["quickOS"];
    assert_eq!(quick["vdev"], "mirror");
    assert_eq!(quick["disks"].as_array().unwrap().len(), 2);
    assert_eq!(quick["props"]["ashift"], "12");
    assert_eq!(quick["props"]["autotrim"], "on");
    let fast = &state["pools"]["fastData"];
    assert_eq!(
        fast["vdev"],
        Value::Null,
        "single: one disk, no vdev keyword"
    );
    for pool in ["quickOS", "fastData"] {
        assert_eq!(state["datasets"][pool]["compression"], "lz4");
        assert_eq!(state["datasets"][pool]["atime"], "off");
    }
    let datasets = cfg["zfs"]["datasets"].as_array().unwrap();
    for d in datasets {
        let full = format!(
            "{}/{}",
            d["pool"].as_str().unwrap(),
            d["name"].as_str().unwrap()
        );
        let have = &state["datasets"][&full];
        for kv in d["properties"].as_str().unwrap().split(',') {
            let (k, v) = kv.split_once('=').unwrap();
            assert_eq!(have[k], v, "{full} {k}");
        }
    }

    let cfg_text = std::fs::read_to_string(root.join("etc/pve/storage.cfg")).unwrap();
    let headers: Vec<&str> = cfg_text
        .lines()
        .filter(|l| !l.starts_with(char::is_whitespace) && !l.is_empty())
        .collect();
    let exports = cfg["nfs"]["exports"].as_array().unwrap();
    assert_eq!(
        headers.len(),
        2 + datasets.len() + exports.len(),
        "local, local-lvm, one per dataset and one per NFS export:\n{cfg_text}"
    );
    assert!(headers.contains(&"dir: local") && headers.contains(&"lvmthin: local-lvm"));
    for d in datasets {
        let (pool, name) = (d["pool"].as_str().unwrap(), d["name"].as_str().unwrap());
        let kind = d["proxmox_storage_type"].as_str().unwrap();
        let header = format!("{kind}: {pool}-{name}");
        let section: Vec<&str> = cfg_text
            .split("\n\n")
            .find(|s| s.starts_with(&header))
            .unwrap_or_else(|| panic!("{header} missing:\n{cfg_text}"))
            .lines()
            .collect();
        assert!(
            section.contains(
                &format!("\tcontent {}", d["proxmox_content_type"].as_str().unwrap()).as_str()
            ),
            "{section:?}"
        );
        let fixed = match kind {
            "zfspool" => format!("\tpool {pool}/{name}"),
            _ => format!("\tpath /{pool}/{name}"),
        };
        assert!(section.contains(&fixed.as_str()), "{section:?}");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("etc/modprobe.d/zfs.conf")).unwrap(),
        "options zfs zfs_arc_max=34359738368\n"
    );
    assert_eq!(
        std::fs::read_to_string(&live).unwrap().trim(),
        "34359738368"
    );
    let made = mutating_calls(root);
    assert_eq!(
        made.iter()
            .filter(|c| c.starts_with("zpool create"))
            .count(),
        2
    );
    assert_eq!(
        made.iter().filter(|c| c.starts_with("zfs create")).count(),
        datasets.len()
    );
    assert_eq!(
        made.iter()
            .filter(|c| c.starts_with("pvesm add zfspool") || c.starts_with("pvesm add dir"))
            .count(),
        datasets.len()
    );
    assert_eq!(
        made.iter()
            .filter(|c| c.starts_with("pvesm add nfs"))
            .count(),
        exports.len()
    );
    assert_eq!(zfs_get(root, "quota", "quickOS/vm-disks"), "858993459200");
    // exportfs (its double) is on PATH: the server counts as installed.
    for call in [
        "exportfs -ra",
        "systemctl enable nfs-server",
        "systemctl start nfs-server",
    ] {
        assert_eq!(
            made.iter().filter(|c| *c == call).count(),
            1,
            "{call}: {made:?}"
        );
    }
    let exports = std::fs::read_to_string(root.join("etc/exports")).unwrap();
    for e in cfg["nfs"]["exports"].as_array().unwrap() {
        let opts: Vec<&str> = e["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .collect();
        let line = format!(
            "{} {}({})",
            e["path"].as_str().unwrap(),
            e["clients"][0].as_str().unwrap(),
            opts.join(",")
        );
        assert!(
            exports.lines().any(|l| l == line),
            "{line} not in:\n{exports}"
        );
    }
    // CTs 101 and 102 (unprivileged, no lxc.idmap) bind-mount this source:
    // their root is 100000 on the host.
    let ssl = root.join("mnt/pve/quickOS/lxc-persistent-data/103/ssl");
    let meta = std::fs::metadata(&ssl).unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert_eq!((meta.uid(), meta.gid()), (100_000, 100_000));
    assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
    // shared_volumes.ssl_certs: of the containers it names only CT 910
    // exists (unprivileged): its root owns the source; the volumes naming
    // only absent containers (vllm_models…) are not made.
    let shared = std::fs::metadata(root.join("mnt/pve/quickOS/shared-prod-data/ssl")).unwrap();
    assert_eq!((shared.uid(), shared.gid()), (100_000, 100_000));
    assert!(!root
        .join("mnt/pve/fastData/shared-bulk-data/vllm_models")
        .exists());
    let etab = std::fs::read_to_string(root.join("var/lib/exportfs-double/etab")).unwrap();
    assert_eq!(etab.lines().count(), 4, "{etab}");

    clear_logs(root);
    let (second, _) = converge(&upstream_dir(), root, &[]);
    assert_eq!(second.count(Status::Changed), 0, "{:?}", second.outcomes);
    assert_eq!(mutating_calls(root), Vec::<String>::new());
    // Only what is declared whole every run is in the plan: the modprobe
    // file, the NFS steps, the bind sources and the VMs' volume
    // directories, each guarded or unchanged.
    let ids: Vec<&str> = second.outcomes.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "storage:arc:modprobe",
            "storage:nfs:install",
            "storage:nfs:exports",
            "storage:nfs:enable",
            "storage:nfs:start",
            "storage:nfs:exportfs",
            "storage:bind:/mnt/pve/quickOS/lxc-persistent-data/103/ssl",
            "storage:bind:/mnt/pve/quickOS/shared-prod-data/ssl",
            "storage:vm-volume:/quickOS/vm-persistent-data/1001",
            "storage:vm-volume:/quickOS/vm-persistent-data/1002",
        ]
    );
}
