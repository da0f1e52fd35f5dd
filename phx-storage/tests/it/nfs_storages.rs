//! A Proxmox NFS storage per `nfs.exports` entry, as the original added them
//! (`pvesm add nfs nfs-<name> --server … --export … --path /mnt/nfs/…`):
//! written to storage.cfg the way pve-storage writes it, added once, its
//! content corrected with one `pvesm set`, and the pvesm double refusing
//! what pve-storage refuses.

use crate::common::*;
use phx_testkit::upstream_dir;
use serde_json::json;
use std::path::Path;

fn storage_cfg(root: &Path) -> String {
    std::fs::read_to_string(root.join("etc/pve/storage.cfg")).unwrap()
}

/// The storage.cfg section of `id`, as text.
fn section<'a>(cfg: &'a str, header: &str) -> &'a str {
    cfg.split("\n\n")
        .map(|s| s.trim_start_matches('\n'))
        .find(|s| s.starts_with(header))
        .unwrap_or_else(|| panic!("{header} missing:\n{cfg}"))
}

fn pvesm_log(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("pvesm.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn each_export_of_the_original_files_is_an_nfs_storage_added_once() {
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let log = pvesm_log(root);
    assert!(
        log.contains(&"pvesm add nfs nfs-shared-bulk-data --server 10.0.0.13 --export /fastData/shared-bulk-data --path /mnt/nfs/nfs-shared-bulk-data --content images,iso,vztmpl,backup,snippets --options vers=4,soft,timeo=30,retrans=3".to_string()),
        "{log:#?}"
    );
    let cfg = storage_cfg(root);
    // SectionConfig's order: the required options sorted, then the others.
    assert_eq!(
        section(&cfg, "nfs: nfs-shared-bulk-data").trim_end(),
        "nfs: nfs-shared-bulk-data\n\texport /fastData/shared-bulk-data\n\tpath /mnt/nfs/nfs-shared-bulk-data\n\tserver 10.0.0.13\n\tcontent images,iso,vztmpl,backup,snippets\n\toptions vers=4,soft,timeo=30,retrans=3"
    );
    for id in [
        "nfs-shared-prod-data",
        "nfs-shared-prod-data-sync",
        "nfs-vm-persistent-data",
    ] {
        section(&cfg, &format!("nfs: {id}\n"));
    }
    // Mounted (by the double) where the storage says.
    assert!(root.join("mnt/nfs/nfs-vm-persistent-data").is_dir());

    clear_logs(root);
    let (second, _) = converge(&upstream_dir(), root, &[]);
    assert!(!second
        .outcomes
        .iter()
        .any(|o| o.id.starts_with("storage:pve:nfs-")));
    assert_eq!(mutating_calls(root), Vec::<String>::new());
}

#[test]
fn the_server_is_nfs_server_else_the_host_s_address() {
    let root = fresh_node();
    let cfg = edited_fixture(|v| {
        v["network"].as_object_mut().unwrap().remove("nfs_server");
        v["network"]["interfaces"]["address"] = json!("10.0.0.14/24");
    });
    converge(cfg.path(), root.path(), &[]);
    let text = storage_cfg(root.path());
    assert!(
        section(&text, "nfs: nfs-shared-prod-data\n").contains("\tserver 10.0.0.14\n"),
        "{text}"
    );

    let root = fresh_node();
    let cfg = edited_fixture(|v| v["network"]["nfs_server"] = json!("nas.internal.example"));
    converge(cfg.path(), root.path(), &[]);
    let text = storage_cfg(root.path());
    assert!(
        section(&text, "nfs: nfs-shared-prod-data\n").contains("\tserver nas.internal.example\n"),
        "{text}"
    );
}

#[test]
fn a_bad_nfs_server_is_exit_2_at_its_path() {
    let root = fresh_node();
    let cfg = edited_fixture(|v| v["network"]["nfs_server"] = json!("10.0.0.13; rm"));
    let out = phx_storage(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "network.nfs_server: \"10.0.0.13; rm\": the NFS server's IPv4 address or DNS name"
        ),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_storage_with_other_content_gets_one_pvesm_set_and_fixed_drift_is_a_note() {
    let root = fresh_node();
    let root = root.path();
    converge(&upstream_dir(), root, &[]);
    let cfg = storage_cfg(root)
        .replace(
            "\texport /quickOS/shared-prod-data\n\tpath /mnt/nfs/nfs-shared-prod-data\n\tserver 10.0.0.13\n\tcontent images,iso,vztmpl,backup,snippets\n",
            "\texport /quickOS/shared-prod-data\n\tpath /mnt/nfs/nfs-shared-prod-data\n\tserver 10.0.0.99\n\tcontent images\n",
        );
    std::fs::write(root.join("etc/pve/storage.cfg"), &cfg).unwrap();
    clear_logs(root);
    let (_, stderr) = converge(&upstream_dir(), root, &[]);
    assert_eq!(
        mutating_calls(root),
        ["pvesm set nfs-shared-prod-data --content images,iso,vztmpl,backup,snippets"]
    );
    assert!(
        stderr.contains("storage nfs-shared-prod-data: storage.cfg has server 10.0.0.99, ")
            && stderr.contains("means 10.0.0.13; server is fixed once a storage exists"),
        "{stderr}"
    );
}

#[test]
fn exports_that_make_one_storage_id_or_take_another_type_s_are_exit_2() {
    let root = fresh_node();
    let cfg = edited_fixture(|v| {
        v["nfs"]["exports"][1]["path"] = json!("/quickOS/x/shared-bulk-data");
    });
    let out = phx_storage(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("nfs.exports[1].path: \"/quickOS/x/shared-bulk-data\": a path whose storage ID nfs-shared-bulk-data no other storage has (nfs.exports[0] has it)"),
        "{err}"
    );

    let root = fresh_node();
    let p = root.path().join("etc/pve/storage.cfg");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\ndir: nfs-vm-persistent-data\n\tpath /srv/x\n\tcontent backup\n").unwrap();
    let out = phx_storage(&upstream_dir(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("nfs.exports[3].path: \"/quickOS/vm-persistent-data\": an export whose storage ID nfs-vm-persistent-data is free: storage.cfg has a dir storage by that ID"),
        "{err}"
    );
}

#[test]
fn the_pvesm_double_refuses_an_nfs_storage_as_pve_storage_does() {
    let root = fresh_node();
    let root = root.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(phx_testkit::double("pvesm"))
            .args(args)
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let before = storage_cfg_or_install(root);
    assert_eq!(
        run(&["add", "nfs", "n1", "--export", "/srv/e"]),
        (
            Some(255),
            "missing value for required option 'server'\n".to_string()
        )
    );
    assert_eq!(
        run(&["add", "nfs", "n1", "--server", "10.0.0.13"]),
        (
            Some(255),
            "missing value for required option 'export'\n".to_string()
        )
    );
    assert_eq!(
        run(&[
            "add",
            "nfs",
            "local",
            "--server",
            "10.0.0.13",
            "--export",
            "/srv/e"
        ]),
        (
            Some(255),
            "create storage failed: storage ID 'local' already defined\n".to_string()
        )
    );
    // Nothing exports /srv/e: the mount that activates it fails.
    assert_eq!(
        run(&["add", "nfs", "n1", "--server", "10.0.0.13", "--export", "/srv/e"]),
        (Some(255), "create storage failed: mount error: mount.nfs: access denied by server while mounting 10.0.0.13:/srv/e\n".to_string())
    );
    assert_eq!(storage_cfg_or_install(root), before, "nothing written");
    // Exported, without --path: pve-storage's default /mnt/pve/<id>.
    let etab = root.join("var/lib/exportfs-double/etab");
    std::fs::create_dir_all(etab.parent().unwrap()).unwrap();
    std::fs::write(&etab, "/srv/e\t10.0.0.0/24(rw)\n").unwrap();
    assert_eq!(
        run(&[
            "add",
            "nfs",
            "n1",
            "--server",
            "10.0.0.13",
            "--export",
            "/srv/e",
            "--content",
            "backup"
        ]),
        (Some(0), String::new())
    );
    assert_eq!(
        section(&storage_cfg(root), "nfs: n1"),
        "nfs: n1\n\texport /srv/e\n\tpath /mnt/pve/n1\n\tserver 10.0.0.13\n\tcontent backup\n"
    );
    assert_eq!(
        run(&[
            "add",
            "nfs",
            "n1",
            "--server",
            "10.0.0.13",
            "--export",
            "/srv/e"
        ]),
        (
            Some(255),
            "create storage failed: storage ID 'n1' already defined\n".to_string()
        )
    );
}

/// storage.cfg, or "" when the node has none yet (the double's fresh install).
fn storage_cfg_or_install(root: &Path) -> String {
    std::fs::read_to_string(root.join("etc/pve/storage.cfg")).unwrap_or_default()
}

#[test]
fn the_pvesm_double_names_a_missing_fixed_option_as_check_config_does() {
    let root = fresh_node();
    let out = std::process::Command::new(phx_testkit::double("pvesm"))
        .args(["add", "zfspool", "tank", "--content", "images"])
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "missing value for required option 'pool'\n"
    );
}
