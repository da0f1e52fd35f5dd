//! A container's rootfs or volume on a storage whose content does not allow
//! `rootdir` is refused (exit 2) naming the container, the disk and the
//! storage's content, as pct would refuse it.

use crate::common::*;
use phx_lxc::Options;

/// A fresh node's storage.cfg as the installer writes it.
const INSTALLED: &str = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n";

fn refusal(inv: &phx_common::config::Inventory) -> String {
    let root = tempfile::tempdir().unwrap();
    let cfg = root.path().join("etc/pve/storage.cfg");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(cfg, INSTALLED).unwrap();
    let seen = phx_lxc::observe::observe(inv, root.path(), Some(pct_path())).unwrap();
    let Err(err) = phx_lxc::plan(inv, &seen, Options::default()) else {
        panic!("planned a disk where pct refuses it");
    };
    err.to_string()
}

#[test]
fn a_rootfs_on_local_of_a_fresh_install_is_refused() {
    let mut inv = load_dir(&upstream_dir());
    inv.lxcs.get_mut(&900).unwrap().storage_pool = Some("local".to_string());
    let err = refusal(&inv);
    assert!(
        err.contains("lxc_configs.\"900\".storage_pool: \"local\": for CT 900's rootfs, a storage whose content allows rootdir; local's content is backup,iso,vztmpl (/etc/pve/storage.cfg (dir: local))"),
        "{err}"
    );
}

#[test]
fn the_default_storage_is_checked_too() {
    let mut inv = load_dir(&upstream_dir());
    inv.host.storage_ids.clear();
    inv.lxcs.get_mut(&900).unwrap().storage_pool = None;
    let err = refusal(&inv);
    assert!(
        err.contains("lxc_configs.\"900\".storage_pool (default, from proxmox_storage_ids): \"local\": for CT 900's rootfs"),
        "{err}"
    );
}

#[test]
fn a_volume_on_an_images_only_dataset_is_refused() {
    let mut inv = load_dir(&upstream_dir());
    inv.lxcs.get_mut(&101).unwrap().zfs_volumes[0].pool = "quickOS-vm-disks".to_string();
    let err = refusal(&inv);
    assert!(
        err.contains("lxc_configs.\"101\".zfs_volumes[0].pool: \"quickOS-vm-disks\": for CT 101's volume at /logs/nginx, a storage whose content allows rootdir; quickOS-vm-disks's content is images (zfs.datasets[0].proxmox_content_type)"),
        "{err}"
    );
    assert_eq!(err.matches("content allows").count(), 1, "{err}");
}
