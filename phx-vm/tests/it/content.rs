//! A VM to make on a storage whose content does not allow `images` is
//! refused (exit 2) naming the VM, its disks and the storage's content, as
//! qm would refuse it.

use crate::common::*;
use phx_vm::Options;

/// A fresh node's storage.cfg as the installer writes it.
const INSTALLED: &str = FRESH_STORAGE_CFG;
/// A fresh node installed on ZFS: no `local-lvm`.
const ZFS_INSTALL: &str = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nzfspool: local-zfs\n\tpool rpool/data\n\tsparse\n\tcontent images,rootdir\n";

fn planned(inv: &phx_common::config::Inventory) -> Result<(), String> {
    planned_on(inv, INSTALLED)
}

fn planned_on(inv: &phx_common::config::Inventory, storage_cfg: &str) -> Result<(), String> {
    let root = tempfile::tempdir().unwrap();
    prepare_host(&upstream_dir(), root.path());
    let cfg = root.path().join("etc/pve/storage.cfg");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(cfg, storage_cfg).unwrap();
    let seen = phx_vm::observe::observe(inv, root.path(), Some(doubles())).unwrap();
    phx_vm::plan(inv, &seen, root.path(), Options::default())
        .map(|_| ())
        .map_err(|p| p.to_string())
}

#[test]
fn the_upstream_vms_plan_on_their_images_dataset() {
    assert_eq!(planned(&load_dir(&upstream_dir())), Ok(()));
}

#[test]
fn a_template_on_a_storage_without_images_is_refused() {
    let mut inv = load_dir(&upstream_dir());
    inv.vms[0].storage_pool = Some("local".to_string());
    let err = planned(&inv).unwrap_err();
    let id = inv.vms[0].id;
    assert!(
        err.contains(&format!("{}.storage_pool: \"local\": for VM {id}'s disks, a storage whose content allows images; local's content is backup,iso,vztmpl (/etc/pve/storage.cfg (dir: local))", inv.vms[0].path)),
        "{err}"
    );
}

#[test]
fn a_clone_on_a_backup_dataset_is_refused() {
    let mut inv = load_dir(&upstream_dir());
    let v = inv.vms.iter_mut().find(|v| v.clone_from.is_some()).unwrap();
    v.storage_pool = Some("fastData-shared-backups".to_string());
    let err = planned(&inv).unwrap_err();
    assert!(
        err.contains("\"fastData-shared-backups\": for VM")
            && err.contains("fastData-shared-backups's content is backup (zfs.datasets[6].proxmox_content_type)"),
        "{err}"
    );
}

#[test]
fn a_storage_the_node_does_not_have_is_refused() {
    // Without vm_disks (nor the original's quickos_vm) a VM defaults to
    // local-lvm, which a ZFS install does not have: qm would fail with
    // "storage 'local-lvm' does not exist" half-way through the run.
    let mut inv = load_dir(&upstream_dir());
    inv.host.storage_ids.clear();
    for v in &mut inv.vms {
        v.storage_pool = None;
    }
    let err = planned_on(&inv, ZFS_INSTALL).unwrap_err();
    assert!(
        err.contains("storage_pool (default, from proxmox_storage_ids): \"local-lvm\": for VM 9000's disks, a storage the node has: local-lvm is neither in /etc/pve/storage.cfg nor added by phx-storage"),
        "{err}"
    );
    assert_eq!(planned_on(&load_dir(&upstream_dir()), ZFS_INSTALL), Ok(()));
}
