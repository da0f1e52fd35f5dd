//! Clones keep their source's volume mounts on those volumes' storages, and
//! `zfs_volumes` of one name are one volume: planned, then applied through
//! the pct TEST DOUBLE (phx-testkit/doubles/pct-double, which follows
//! pve-container's clone and move_volume) and the real executor.

use crate::common;

use common::*;
use phx_lxc::Options;
use std::path::Path;

/// `key: value` of the main section of `ctid`'s conf.
fn key(root: &Path, ctid: u32, k: &str) -> String {
    main_key(root, ctid, k).unwrap_or_else(|| panic!("CT {ctid} has no {k}"))
}

/// The storage of a volume value `STORAGE:NAME,…`.
fn storage_of(value: &str) -> &str {
    value.split(':').next().unwrap()
}

#[test]
fn a_clone_keeps_the_sources_volume_mount_on_its_storage_and_moves_only_its_rootfs() {
    // The example's CT 900 gets a persistent volume; Gitea (110), one of its
    // clones, wants its rootfs on that same ZFS storage, the others stay on
    // local-lvm like 900.
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        let c = &mut v["lxc_configs"];
        c["900"]["zfs_volumes"] = serde_json::json!([
            {"name": "base_data", "pool": "tank-persistent", "size_gb": 2, "mount_point": "/data"}
        ]);
        c["110"]["storage_pool"] = "tank-persistent".into();
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    let log = log(root);

    // What the double made (pct's copy rule): /data stays on its storage.
    for id in [103, 102, 110] {
        let data = (0..4)
            .filter_map(|n| main_key(root, id, &format!("mp{n}")))
            .find(|v| v.contains(",mp=/data"))
            .unwrap_or_else(|| panic!("CT {id} has /data: {}", conf_text(root, id)));
        assert_eq!(storage_of(&data), "tank-persistent", "CT {id}: {data}");
    }
    // No --storage: with it pct copies /data onto the rootfs storage too.
    for id in [103, 102, 110] {
        let clone = log
            .iter()
            .find(|l| l.starts_with(&format!("pct clone 900 {id} ")))
            .unwrap();
        assert!(!clone.contains("--storage"), "{clone}");
    }
    // Only Gitea's rootfs moves, after its clone and before its start.
    let moves: Vec<&String> = log.iter().filter(|l| l.contains("move-volume")).collect();
    assert_eq!(
        moves,
        vec!["pct move-volume 110 rootfs tank-persistent --delete 1"]
    );
    let at = |p: &str| log.iter().position(|l| l.starts_with(p)).unwrap();
    assert!(at("pct clone 900 110 ") < at("pct move-volume 110 "));
    assert!(at("pct move-volume 110 ") < at("pct resize 110 rootfs"));
    let rootfs = key(root, 110, "rootfs");
    assert!(
        rootfs.starts_with("tank-persistent:subvol-110-disk-") && rootfs.ends_with(",size=32G"),
        "{rootfs}"
    );
    assert_eq!(storage_of(&key(root, 103, "rootfs")), "local-lvm");
    assert!(!conf_text(root, 110).contains("unused"));

    // Converged: nothing planned, no note of a volume elsewhere.
    let again = plan(&inv, root, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    assert!(
        !again.notes.iter().any(|n| n.contains("not moved")),
        "{:?}",
        again.notes
    );
}

#[test]
fn a_source_without_volume_mounts_is_cloned_with_storage_in_one_copy() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["storage_pool"] = "tank-persistent".into();
    });
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    let log = log(root.path());
    assert!(
        log.iter().any(|l| l
            == "pct clone 900 110 --snapname golden --hostname Gitea --storage tank-persistent"),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains("move-volume")));
    assert_eq!(
        storage_of(&key(root.path(), 110, "rootfs")),
        "tank-persistent"
    );
}

#[test]
fn zfs_volumes_of_one_name_are_one_volume_the_second_container_mounts() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = load_dir(&upstream_dir());
    make_bind_sources(&inv, root);
    register_datasets(&inv, root);
    let p = plan(&inv, root, Options::default());
    let cmds = argvs(&p);
    let set = |id: u32| {
        cmds.iter()
            .find(|a| a[1] == "set" && a[2] == id.to_string())
            .unwrap()
            .clone()
    };
    // 801 (made first) allocates it; 802 mounts 801's volume by the name
    // pct gives it: its first volume on that zfspool.
    assert!(
        set(801).contains(&"fastData-shared-bulk-data:50,mp=/vllm_models".to_string()),
        "{:?}",
        set(801)
    );
    let shared = "fastData-shared-bulk-data:subvol-801-disk-0,mp=/vllm_models";
    assert!(set(802).contains(&shared.to_string()), "{:?}", set(802));
    assert!(
        p.notes.iter().any(|n| n.starts_with("CT 802: zfs_volumes vllm_models is CT 801's volume fastData-shared-bulk-data:subvol-801-disk-0")),
        "{:?}",
        p.notes
    );
    run(&p.plan.steps, root);
    // The name predicted is the one pct gave.
    assert!(key(root, 801, "mp0").starts_with("fastData-shared-bulk-data:subvol-801-disk-0,"));
    assert_eq!(key(root, 802, "mp0"), shared);
    // 802 never resizes a volume it does not own; converged.
    assert!(!log(root).iter().any(|l| l.starts_with("pct resize 802 mp")));
    clear_log(root);
    let again = plan(&inv, root, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    assert!(
        !again.notes.iter().any(|n| n.contains("vllm_models")),
        "a converged run says nothing of it: {:?}",
        again.notes
    );
}

#[test]
fn a_second_container_added_later_mounts_the_existing_volume() {
    // 802 is not in the file at first: 801 makes the volume alone. Added
    // later, 802 mounts the volume 801's conf names.
    let cfg = copy_config(&upstream_dir());
    let full = load_dir(cfg.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"].as_object_mut().unwrap().remove("802");
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    let volid = key(root, 801, "mp0");
    let volid = volid.split(',').next().unwrap();
    let p = plan(&full, root, Options::default());
    assert!(
        argvs(&p).iter().any(|a| a[1] == "set"
            && a[2] == "802"
            && a.contains(&format!("{volid},mp=/vllm_models"))),
        "{:?}",
        argvs(&p)
    );
}

#[test]
fn one_name_with_two_sizes_is_refused_naming_both_entries() {
    let cfg = copy_config(&upstream_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["802"]["zfs_volumes"][0]["size_gb"] = 60.into();
        v["lxc_configs"]["802"]["zfs_volumes"][0]["pool"] = "quickOS-lxc-persistent-data".into();
    });
    let inv = load_dir(cfg.path());
    let p = phx_lxc::check(&inv, &Default::default()).to_string();
    for want in [
        "lxc_configs.\"802\".zfs_volumes[0].size_gb: 60: 50, as lxc_configs.\"801\".zfs_volumes[0].size_gb",
        "lxc_configs.\"802\".zfs_volumes[0].pool: \"quickOS-lxc-persistent-data\": \"fastData-shared-bulk-data\", as lxc_configs.\"801\".zfs_volumes[0].pool",
    ] {
        assert!(p.contains(want), "{want:?} in:\n{p}");
    }
}

#[test]
fn an_existing_volume_stays_the_one_even_when_its_container_comes_later() {
    // 801 is not in the file at first: 802 makes the volume. Added later,
    // 801 (first in the order) mounts 802's volume instead of making a
    // second one.
    let cfg = copy_config(&upstream_dir());
    let full = load_dir(cfg.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"].as_object_mut().unwrap().remove("801");
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    let volid = key(root, 802, "mp0");
    let volid = volid.split(',').next().unwrap().to_string();
    assert!(volid.contains("-802-disk-"), "{volid}");
    let p = plan(&full, root, Options::default());
    run(&p.plan.steps, root);
    assert_eq!(key(root, 801, "mp0"), format!("{volid},mp=/vllm_models"));
    assert!(
        p.notes.iter().any(|n| n.starts_with(&format!(
            "CT 801: zfs_volumes vllm_models is CT 802's volume {volid}"
        ))),
        "{:?}",
        p.notes
    );
    assert!(plan(&full, root, Options::default()).plan.steps.is_empty());
}

#[test]
fn a_volume_a_clone_inherits_grows_in_the_run_that_makes_the_clone() {
    // CT 900 has /data at 2 GiB; Step-CA (103), its clone, wants /data at 5.
    // The clone inherits the 2 GiB copy: grown in the same run, not the next.
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        let c = &mut v["lxc_configs"];
        c["900"]["zfs_volumes"] = serde_json::json!([
            {"name": "base_data", "pool": "tank-persistent", "size_gb": 2, "mount_point": "/data"}
        ]);
        c["103"]["zfs_volumes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(
                {"name": "ca_data", "pool": "tank-persistent", "size_gb": 5, "mount_point": "/data"}
            ));
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    assert!(
        log(root).contains(&"pct resize 103 mp0 5G".to_string()),
        "{:#?}",
        log(root)
    );
    assert!(key(root, 103, "mp0").ends_with(",mp=/data,size=5G"));
    let again = plan(&inv, root, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
}

#[test]
fn the_shared_volumes_name_skips_a_left_over_volume_of_its_owner() {
    // A subvol-801-disk-0 dataset left on the shared storage (no conf names
    // it): pct gives 801's new volume disk-1, and 802 must mount that one.
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::create_dir_all(root.join("fastData/shared-bulk-data/subvol-801-disk-0")).unwrap();
    let inv = converge(&upstream_dir(), root);
    let mp0 = key(root, 801, "mp0");
    assert!(
        mp0.starts_with("fastData-shared-bulk-data:subvol-801-disk-1,"),
        "{mp0}"
    );
    assert_eq!(
        key(root, 802, "mp0"),
        "fastData-shared-bulk-data:subvol-801-disk-1,mp=/vllm_models"
    );
    assert!(plan(&inv, root, Options::default()).plan.steps.is_empty());
}

#[test]
fn a_later_container_whose_owner_has_no_volume_to_share_is_told_it_gets_its_own() {
    // 801 owns vllm_models but mounts a host directory at its path (edited
    // by hand): there is no volume to share, and 802 getting one of its own
    // is said, not done in silence.
    let cfg = copy_config(&upstream_dir());
    let full = load_dir(cfg.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"].as_object_mut().unwrap().remove("802");
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    let conf = root.join("etc/pve/lxc/801.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let mp0 = format!("mp0: {}", key(root, 801, "mp0"));
    std::fs::write(
        &conf,
        text.replace(&mp0, "mp0: /srv/models,mp=/vllm_models"),
    )
    .unwrap();
    let p = plan(&full, root, Options::default());
    assert!(
        p.notes.iter().any(|n| n.starts_with(
            "CT 802: zfs_volumes vllm_models gets a volume of its own: CT 801, which owns the name, has no volume of it to share"
        )),
        "{:?}",
        p.notes
    );
}
