//! A VM template with features, through the qm double (whose first boot
//! brings the guest agent from phx-vm's vendor snippet, and whose clones
//! copy their template's root): the template is created, started, given
//! base_setup through the agent, cleaned (cloud-init, machine-id), shut
//! down and only then made a template; its clone starts from that image.

use crate::common::*;
use phx_vm::Options;
use std::path::Path;

fn vm_root(root: &Path, vmid: u32) -> std::path::PathBuf {
    root.join(format!("var/lib/qm-double/vm/{vmid}/rootfs"))
}

fn position(log: &[String], what: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no `{what}` in qm.log:\n{}", log.join("\n")))
}

/// The upstream fixture with base_setup on template 9000, and a node for it.
fn template_with_base_setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let cfg = copy_config(&upstream_dir());
    edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        v["vms"][0]["features"] = serde_json::json!(["base_setup"]);
    });
    let root = tempfile::tempdir().unwrap();
    install_guest_doubles(root.path());
    prepare_host(cfg.path(), root.path());
    (cfg, root)
}

#[test]
fn a_template_gets_its_features_then_is_cleaned_stopped_and_templated() {
    let (cfg, root) = template_with_base_setup();
    let r = root.path();
    let inv = load_dir(cfg.path());
    let planned = plan(&inv, r, Options::default());
    run(&planned.plan.steps, r);
    let qm = log(r, "qm");

    let create = position(&qm, "qm create 9000 ");
    let start = position(&qm, "qm start 9000");
    let install = position(&qm, "qm guest exec 9000 --timeout 600 -- env DEBIAN_FRONTEND=noninteractive apt-get install -y curl");
    let clean = position(
        &qm,
        "qm guest exec 9000 --timeout 600 -- cloud-init clean --logs",
    );
    let machine_id = position(
        &qm,
        "qm guest exec 9000 --timeout 600 -- truncate -s 0 /etc/machine-id",
    );
    let shutdown = position(&qm, "qm shutdown 9000");
    let template = position(&qm, "qm template 9000");
    let clone = position(&qm, "qm clone 9000 1001 ");
    assert!(
        create < start && start < install && install < clean,
        "{qm:#?}"
    );
    assert!(clean < machine_id && machine_id < shutdown, "{qm:#?}");
    assert!(shutdown < template && template < clone, "{qm:#?}");
    assert_eq!(vm_key(r, 9000, "template").as_deref(), Some("1"));

    // The clone is made from the finished image: base_setup's packages, no
    // machine identity, no cloud-init instance of the template's.
    let status = std::fs::read_to_string(vm_root(r, 1001).join("var/lib/dpkg/status")).unwrap();
    for p in ["curl", "s-tui", "locales"] {
        assert!(
            status.contains(&format!("Package: {p}\n")),
            "VM 1001 lacks {p}"
        );
    }
    let id = |vm: u32| std::fs::read_to_string(vm_root(r, vm).join("etc/machine-id")).unwrap();
    assert_eq!(id(9000), "", "the template's machine-id is empty");
    // Each clone made its own at its first boot.
    assert!(
        id(1001).len() == 33 && id(1002).len() == 33,
        "{} {}",
        id(1001),
        id(1002)
    );
    assert_ne!(id(1001), id(1002));
    let done = std::fs::read_to_string(vm_root(r, 9000).join("var/log/phx-doubles.log")).unwrap();
    assert!(done.contains("cloud-init clean --logs"), "{done}");

    // A second plan: nothing for the template (it is one), nothing at all;
    // a note says its image is what it was made with.
    clear_logs(r);
    let again = plan(&inv, r, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    assert!(
        again
            .notes
            .iter()
            .any(|n| n.starts_with("VM 9000 is a template already")
                && n.contains("(base_setup)")
                && n.contains("VM 1001, VM 1002")),
        "{:?}",
        again.notes
    );
}

#[test]
fn a_template_a_run_left_before_qm_template_is_finished_by_the_next() {
    let (cfg, root) = template_with_base_setup();
    let r = root.path();
    let inv = load_dir(cfg.path());
    let planned = plan(&inv, r, Options::default());
    // A run cut short right after the template's start.
    let cut = planned
        .plan
        .steps
        .iter()
        .position(|s| s.id == "vm:9000:template-start")
        .unwrap();
    run(&planned.plan.steps[..=cut], r);
    assert_eq!(vm_key(r, 9000, "template"), None);
    let next = plan(&inv, r, Options::default());
    let ids: Vec<&str> = next.plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert!(!ids.contains(&"vm:9000:template-start"), "running: {ids:?}");
    for id in [
        "template-9000-base_setup-install",
        "vm:9000:template-shutdown",
        "vm:9000:template",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    run(&next.plan.steps, r);
    assert_eq!(vm_key(r, 9000, "template").as_deref(), Some("1"));
}

#[test]
fn a_template_without_features_is_never_started() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    install_guest_doubles(r);
    prepare_host(&upstream_dir(), r);
    let inv = load_dir(&upstream_dir());
    let planned = plan(&inv, r, Options::default());
    assert!(
        !argvs(&planned)
            .iter()
            .any(|a| a[..2] == ["qm", "start"] && a[2] == "9000"),
        "{:?}",
        argvs(&planned)
    );
}
