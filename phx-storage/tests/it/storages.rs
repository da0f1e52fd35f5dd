//! storage.cfg entries that exist already: content that differs is one
//! `pvesm set`; an ID of another type is refused; the ARC line is edited in a
//! modprobe file that holds other options too.

use crate::common::*;
use phx_testkit::upstream_dir;

const INSTALL: &str = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n";

#[test]
fn a_storage_whose_content_differs_gets_one_pvesm_set() {
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let cfg = root.join("etc/pve/storage.cfg");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let edited = text.replacen(
        "\tpool quickOS/vm-disks\n\tcontent images\n",
        "\tpool quickOS/vm-disks\n\tcontent images,rootdir\n",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&cfg, edited).unwrap();
    clear_logs(root);
    converge(&upstream_dir(), root, &[]);
    assert_eq!(
        mutating_calls(root),
        ["pvesm set quickOS-vm-disks --content images"]
    );
}

#[test]
fn an_id_of_another_type_is_refused() {
    let root = fresh_node();
    let cfg = root.path().join("etc/pve/storage.cfg");
    std::fs::write(
        &cfg,
        format!("{INSTALL}\ndir: quickOS-vm-disks\n\tpath /srv\n\tcontent images\n"),
    )
    .unwrap();
    let out = phx_storage(&upstream_dir(), root.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("zfs.datasets[0].proxmox_storage_type: \"zfspool\": the type storage quickOS-vm-disks has in storage.cfg (dir)"),
        "{err}"
    );
}

#[test]
fn the_arc_line_is_edited_and_other_zfs_options_kept() {
    let root = fresh_node();
    let conf = root.path().join("etc/modprobe.d/zfs.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        "options zfs zfs_arc_min=1073741824\noptions zfs zfs_arc_max=8589934592\n",
    )
    .unwrap();
    converge(&upstream_dir(), root.path(), &[]);
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "options zfs zfs_arc_min=1073741824\noptions zfs zfs_arc_max=34359738368\n"
    );
}

#[test]
fn a_bind_source_owned_by_someone_else_is_given_to_the_container_s_root() {
    use std::os::unix::fs::MetadataExt;
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let ssl = root.join("mnt/pve/quickOS/lxc-persistent-data/103/ssl");
    std::os::unix::fs::chown(&ssl, Some(0), Some(0)).unwrap();
    let (report, _) = converge(&upstream_dir(), root, &[]);
    let changed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.status == phx_apply::Status::Changed)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        changed,
        ["storage:bind:/mnt/pve/quickOS/lxc-persistent-data/103/ssl"]
    );
    let meta = std::fs::metadata(&ssl).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (100_000, 100_000));
}
