//! The QEMU guest agent reaches every VM Phoenix makes through one shared
//! cloud-init vendor snippet (`cicustom vendor=local:snippets/
//! phoenix-vendor.yaml`): written once, named by templates and clones,
//! kept by converged VMs, an operator's own vendor data left alone. Against
//! the qm and pvesm TEST DOUBLES, whose VM roots have no agent until the
//! snippet's first boot installs it (doubles/qm-cloudinit.py).

use crate::common;

use common::*;
use phx_plan::Action;
use phx_vm::{Options, StartMode};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const VENDOR: &str = "vendor=local:snippets/phoenix-vendor.yaml";
const SNIPPET: &str = "var/lib/vz/snippets/phoenix-vendor.yaml";

fn no_start() -> Options {
    Options {
        start: StartMode::None,
        restart: false,
    }
}

/// The example's VMs converged into a fresh root by phx-vm and phx-apply.
fn converged() -> (tempfile::TempDir, tempfile::TempDir) {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let inv = load_dir(cfg.path());
    run(
        &plan(&inv, root.path(), Options::default()).plan.steps,
        root.path(),
    );
    (cfg, root)
}

/// `qm guest cmd <vmid> ping` through the double, as phx-apply asks it.
fn agent_answers(root: &Path, vmid: u32) -> bool {
    let out = std::process::Command::new("qm")
        .args(["guest", "cmd", &vmid.to_string(), "ping"])
        .env("PATH", doubles())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn every_vm_names_the_vendor_snippet_and_its_first_boot_brings_the_agent() {
    let (_cfg, root) = converged();
    let r = root.path();
    let text = std::fs::read_to_string(r.join(SNIPPET)).unwrap();
    assert_eq!(text, phx_vm::snippets::vendor_data());
    assert!(text.contains("packages:\n  - qemu-guest-agent\n"), "{text}");
    assert!(
        text.contains("[systemctl, start, qemu-guest-agent]"),
        "{text}"
    );
    let mode = std::fs::metadata(r.join(SNIPPET))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644, "no secret in it");
    // The template, and both clones (made from it: they inherit it).
    for vmid in [9000, 1001, 1002] {
        assert_eq!(
            vm_key(r, vmid, "cicustom").as_deref(),
            Some(VENDOR),
            "VM {vmid}"
        );
    }
    let storage = std::fs::read_to_string(r.join("etc/pve/storage.cfg")).unwrap();
    assert!(
        storage.contains("content iso,vztmpl,backup,snippets"),
        "{storage}"
    );
    // The started clone's agent answers: the snippet brought it (the
    // double's image has none); a VM not started has no agent running.
    let running = running_vms(r);
    assert!(running.contains(&1001), "{running:?}");
    assert!(agent_answers(r, 1001));
    for vmid in [1001, 1002] {
        let status = r.join(format!(
            "var/lib/qm-double/vm/{vmid}/rootfs/var/lib/dpkg/status"
        ));
        let has = std::fs::read_to_string(status)
            .unwrap()
            .contains("Package: qemu-guest-agent\n");
        assert_eq!(has, running.contains(&vmid), "VM {vmid}");
    }
}

#[test]
fn a_second_run_plans_nothing_and_calls_no_mutating_qm_or_pvesm() {
    let (cfg, root) = converged();
    let r = root.path();
    let again = plan(&load_dir(cfg.path()), r, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", again.plan.steps);
    clear_logs(r);
    run(&again.plan.steps, r);
    assert!(mutating(&log(r, "qm")).is_empty(), "{:?}", log(r, "qm"));
    assert!(log(r, "pvesm").is_empty(), "{:?}", log(r, "pvesm"));
}

#[test]
fn a_vm_without_it_gets_one_qm_set_and_a_note_that_a_booted_vm_may_not_run_it() {
    let (cfg, root) = converged();
    let r = root.path();
    let path = r.join("etc/pve/qemu-server/1002.conf");
    let conf = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, conf.replace(&format!("cicustom: {VENDOR}\n"), "")).unwrap();
    let p = plan(&load_dir(cfg.path()), r, no_start());
    assert_eq!(
        argvs(&p),
        vec![vec!["qm", "set", "1002", "--cicustom", VENDOR]]
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("VM 1002") && n.contains("first boot")),
        "{:?}",
        p.notes
    );
}

#[test]
fn an_operators_own_vendor_data_is_kept_with_a_note() {
    let (cfg, root) = converged();
    let r = root.path();
    let path = r.join("etc/pve/qemu-server/1002.conf");
    let conf = std::fs::read_to_string(&path).unwrap();
    let theirs = "network=local:snippets/net.yaml,vendor=local:snippets/theirs.yaml";
    std::fs::write(
        &path,
        conf.replace(
            &format!("cicustom: {VENDOR}"),
            &format!("cicustom: {theirs}"),
        ),
    )
    .unwrap();
    let p = plan(&load_dir(cfg.path()), r, no_start());
    assert!(p.plan.steps.is_empty(), "{:?}", p.plan.steps);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("VM 1002") && n.contains("theirs.yaml") && n.contains("yours")),
        "{:?}",
        p.notes
    );
}

#[test]
fn a_vendor_snippet_changed_by_hand_is_written_back() {
    let (cfg, root) = converged();
    let r = root.path();
    std::fs::write(r.join(SNIPPET), "#cloud-config\npackages: []\n").unwrap();
    let p = plan(&load_dir(cfg.path()), r, no_start());
    let files: Vec<&str> = p
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::File(f) => Some(f.path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(files, ["/var/lib/vz/snippets/phoenix-vendor.yaml"]);
    assert_eq!(p.plan.steps.len(), 1);
    run(&p.plan.steps, r);
    assert_eq!(
        std::fs::read_to_string(r.join(SNIPPET)).unwrap(),
        phx_vm::snippets::vendor_data()
    );
}

#[test]
fn without_a_local_directory_storage_every_vm_is_refused_with_exit_2() {
    // No password anywhere: the vendor snippet alone needs `local`.
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let storage = root.path().join("etc/pve/storage.cfg");
    std::fs::create_dir_all(storage.parent().unwrap()).unwrap();
    std::fs::write(
        &storage,
        "lvmthin: local-lvm\n\tthinpool data\n\tcontent rootdir,images\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .args(["--config-dir", cfg.path().to_str().unwrap()])
        .args(["--state-root", root.path().to_str().unwrap()])
        .env("PATH", doubles())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/etc/pve/storage.cfg")
            && err.contains("vms[0]")
            && err.contains("cicustom vendor=local:snippets/phoenix-vendor.yaml")
            && err.contains("no storage \"local\""),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
