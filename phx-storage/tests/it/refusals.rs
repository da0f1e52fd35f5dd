//! What is refused, and what is never done: a disk that carries anything is
//! not touched without --wipe-disks; one changed property is one `zfs set`;
//! a dataset gone from the JSON is a note, nothing destroyed; bad keys are
//! exit 2 at their JSON path.

use crate::common::*;
use phx_testkit::upstream_dir;
use serde_json::{json, Value};

fn first_disk() -> String {
    fixture_disks()[0].clone()
}

fn with_gpt_on_first_disk(root: &std::path::Path, mounted: Option<&str>) {
    let mut disks = read_json(root, "var/lib/disks-double/disks.json");
    disks[first_disk()] = json!({
        "signatures": [{"type": "gpt", "offset": "0x200"}, {"type": "PMBR", "offset": "0x1fe"}],
        "partitions": [{"name": "nvme0n1p1", "fstype": "ext4", "mountpoint": mounted}],
    });
    write_disks(root, &disks);
}

#[test]
fn a_disk_with_a_signature_is_refused_without_wipe_disks() {
    let root = fresh_node();
    let root = root.path();
    with_gpt_on_first_disk(root, None);
    let out = phx_storage(&upstream_dir(), root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("zfs.pools[0].disks[0]: \"{}\"", first_disk())),
        "{err}"
    );
    assert!(
        err.contains("signatures gpt at 0x200, PMBR at 0x1fe"),
        "{err}"
    );
    assert!(err.contains("partitions nvme0n1p1 (ext4)"), "{err}");
    assert!(err.contains("--wipe-disks"), "{err}");
    assert_eq!(mutating_calls(root), Vec::<String>::new());

    // Named, it is erased first, then the pool is made on it.
    let (report, _) = converge(&upstream_dir(), root, &["--wipe-disks", &first_disk()]);
    let made = mutating_calls(root);
    assert!(
        made.contains(&format!("wipefs -a {}", first_disk())),
        "{made:?}"
    );
    let ran: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.ran)
        .map(|o| o.id.as_str())
        .collect();
    let wipe = format!("storage:pool:quickOS:wipe:{}", first_disk());
    assert_eq!(ran[..2], [wipe.as_str(), "storage:pool:quickOS"], "{ran:?}");
}

#[test]
fn a_mounted_disk_is_refused_even_with_wipe_disks() {
    let root = fresh_node();
    with_gpt_on_first_disk(root.path(), Some("/srv"));
    let out = phx_storage(
        &upstream_dir(),
        root.path(),
        &["--wipe-disks", &first_disk()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mounted at /srv (nvme0n1p1)") && err.contains("unmount it first"),
        "{err}"
    );
}

#[test]
fn wipe_disks_names_only_disks_of_pools_to_create() {
    let root = fresh_node();
    let out = phx_storage(&upstream_dir(), root.path(), &["--wipe-disks", "/dev/sda"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--wipe-disks: \"/dev/sda\": a disk of a pool this plan creates"),
        "{err}"
    );
}

#[test]
fn the_zpool_double_refuses_a_disk_with_a_signature_as_zpool_does() {
    let root = fresh_node();
    with_gpt_on_first_disk(root.path(), None);
    let out = std::process::Command::new(phx_testkit::double("zpool"))
        .args(["create", "tank", &first_disk()])
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("invalid vdev specification\nuse '-f' to override the following errors:\n{} contains a filesystem of type 'gpt'\n", first_disk())
    );
}

#[test]
fn the_zfs_and_pvesm_doubles_refuse_as_the_real_tools_do() {
    let root = fresh_node();
    let run = |prog: &str, args: &[&str]| {
        std::process::Command::new(phx_testkit::double(prog))
            .args(args)
            .env("PHX_ROOT", root.path())
            .output()
            .unwrap()
    };
    let out = run("zfs", &["create", "nopool/data"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "cannot create 'nopool/data': no such pool 'nopool'\n"
    );
    let out = run("pvesm", &["add", "dir", "local", "--path", "/srv"]);
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "create storage failed: storage ID 'local' already defined\n"
    );
    let out = run("pvesm", &["add", "zfspool", "tank", "--pool", "nopool/x"]);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not activate storage 'tank'"));
}

#[test]
fn one_changed_property_is_one_zfs_set() {
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let cfg = edited_fixture(|v| {
        v["zfs"]["datasets"][0]["properties"] =
            json!("recordsize=128K,compression=lz4,sync=standard,quota=900G");
    });
    clear_logs(root);
    converge(cfg.path(), root, &[]);
    assert_eq!(
        mutating_calls(root),
        ["zfs set quota=900G quickOS/vm-disks"]
    );
}

#[test]
fn a_dataset_gone_from_the_json_is_a_note_and_stays() {
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let cfg = edited_fixture(|v| {
        let ds = v["zfs"]["datasets"].as_array_mut().unwrap();
        ds.retain(|d| d["name"] != "shared-iso");
    });
    clear_logs(root);
    let (_, stderr) = converge(cfg.path(), root, &[]);
    assert!(
        stderr.contains("note: dataset fastData/shared-iso is on the node but not in zfs.datasets"),
        "{stderr}"
    );
    assert_eq!(mutating_calls(root), Vec::<String>::new());
    let state = read_json(root, "var/lib/zfs-double/state.json");
    assert!(state["datasets"].get("fastData/shared-iso").is_some());
}

/// A change to the fixture's hypervisor JSON.
type Edit = fn(&mut Value);

#[test]
fn bad_zfs_keys_are_exit_2_at_their_path() {
    let root = fresh_node();
    let cases: [(Edit, &str); 6] = [
        (
            |v| v["zfs"]["datasets"][6]["properties"] = json!("mountpoint=legacy"),
            "zfs.datasets[6].properties: \"mountpoint=legacy\": a mount point that is a directory",
        ),
        (|v| v["zfs"]["pools"][0]["raid_level"] = json!("raid10"), "zfs.pools[0].raid_level: \"raid10\": single, mirror, raidz1"),
        (|v| { v["zfs"]["pools"][0]["disks"].as_array_mut().unwrap().pop(); }, "zfs.pools[0].disks: 1 disk(s): at least 2 disks for raid_level mirror"),
        (|v| v["zfs"]["datasets"][0]["properties"] = json!("recordsize"), "zfs.datasets[0].properties: \"recordsize\" (at \"recordsize\")"),
        (|v| v["zfs"]["datasets"][0]["proxmox_content_type"] = json!("iso"), "zfs.datasets[0].proxmox_content_type: \"iso\": a content type a zfspool storage holds (images, rootdir)"),
        (|v| v["zfs"]["datasets"][1]["properties"] = json!("quota=lots"), "zfs.datasets[1].properties: \"quota=lots\": a size zfs accepts"),
    ];
    for (edit, want) in cases {
        let cfg = edited_fixture(edit);
        let out = phx_storage(cfg.path(), root.path(), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(out.stdout.is_empty());
        assert!(err.contains(want), "want {want:?} in:\n{err}");
    }
}

#[test]
fn bad_nfs_exports_are_exit_2_at_their_path() {
    let root = fresh_node();
    let cases: [(Edit, &str); 3] = [
        (
            |v| v["nfs"]["exports"][0]["clients"] = json!([]),
            "nfs.exports[0].clients: []: at least one client",
        ),
        (
            |v| v["nfs"]["exports"][0]["clients"] = json!(["10.0.0.0/24 rw"]),
            "nfs.exports[0].clients[0]: \"10.0.0.0/24 rw\": an exports(5) client",
        ),
        (
            |v| v["nfs"]["exports"][1]["options"] = json!(["rw,sync"]),
            "nfs.exports[1].options[0]: \"rw,sync\": an exports(5) option",
        ),
    ];
    for (edit, want) in cases {
        let cfg = edited_fixture(edit);
        let out = phx_storage(cfg.path(), root.path(), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "want {want:?} in:\n{err}");
    }
}
