//! Golden templates on the upstream fixture, through the pct double (whose
//! snapshots keep the root as it was, and whose clones start from the
//! snapshot's root): CT 900 is created, started, given base_setup, shut
//! down and only then snapshotted, so its clones start from the finished
//! image; a second run touches nothing; a changed template says which
//! clones carry the old image and rebuilds nothing.

use crate::common::*;
use phx_lxc::Options;
use std::path::Path;

fn dpkg_status(root: &Path, ctid: u32) -> String {
    let at = root.join(format!(
        "var/lib/pct-double/ct/{ctid}/rootfs/var/lib/dpkg/status"
    ));
    std::fs::read_to_string(at).unwrap_or_default()
}

fn position(log: &[String], what: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no `{what}` in pct.log:\n{}", log.join("\n")))
}

#[test]
fn a_template_gets_its_features_before_its_snapshot_and_clones_start_from_it() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(&upstream_dir(), root);
    let first = log(root);

    // CT 900: create → start → base_setup inside → shutdown → snapshot,
    // then the first clone.
    let create = position(&first, "pct create 900 ");
    let start = position(&first, "pct start 900");
    let install = position(&first, "pct exec 900 -- env DEBIAN_FRONTEND=noninteractive apt-get install -y curl wget vim htop jq git rsync s-tui gnupg locales");
    let shutdown = position(&first, "pct shutdown 900");
    let snapshot = position(
        &first,
        "pct snapshot 900 final-form --description 'phoenix-template features=base_setup'",
    );
    let clone = position(&first, "pct clone 900 ");
    assert!(
        create < start && start < install && install < shutdown,
        "{first:#?}"
    );
    assert!(shutdown < snapshot && snapshot < clone, "{first:#?}");
    // Templates end stopped.
    assert!(!running(root).contains(&900));
    // The snapshot records what went in.
    assert!(
        conf_text(root, 900).contains("\n[final-form]\n#phoenix-template features=base_setup\n")
    );

    // CT 901 is a clone of the finished image: base_setup's packages are in
    // its root though its own entry lists only nvidia.
    for p in ["curl", "s-tui", "locales"] {
        assert!(
            dpkg_status(root, 901).contains(&format!("Package: {p}\n")),
            "CT 901 lacks {p}"
        );
    }
    // 901 is a template too: nvidia goes into its image before the
    // snapshot (the driver's userspace, run without a kernel module, and
    // CUDA from NVIDIA's repository).
    assert!(
        conf_text(root, 901).contains("\n[final-form]\n#phoenix-template features=nvidia\n"),
        "{}",
        conf_text(root, 901)
    );
    let ct = root.join("var/lib/pct-double/ct/901/rootfs");
    assert_eq!(
        std::fs::read_to_string(ct.join("var/lib/phx-doubles/nvidia-version")).unwrap(),
        "580.76.05\n"
    );
    assert!(dpkg_status(root, 901).contains("Package: cuda-toolkit-12-8\n"));
    let glog = std::fs::read_to_string(ct.join("var/log/phx-doubles.log")).unwrap();
    assert!(
        glog.contains(
            "nvidia-runfile NVIDIA-Linux-x86_64-580.76.05.run --silent --no-kernel-module"
        ),
        "{glog}"
    );

    // A second run: nothing planned, not even a guard inside a template.
    clear_log(root);
    let again = plan(&inv, root, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    run(&again.plan.steps, root);
    assert_eq!(log(root), ["pct list"]);
}

#[test]
fn the_fixture_templates_are_made_with_every_feature_they_list() {
    // 900 base_setup, 901 nvidia, 910-912 nvidia and vllm: each has its
    // recipe now, so no snapshot is said to be made without one.
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    let p = plan(&inv, root.path(), Options::default());
    assert!(
        !p.notes.iter().any(|n| n.contains("is made without")),
        "{:#?}",
        p.notes
    );
    let baked: Vec<&str> = p
        .plan
        .steps
        .iter()
        .filter(|s| s.id.ends_with("-vllm-install") || s.id.ends_with("-nvidia-runfile"))
        .map(|s| s.id.as_str())
        .collect();
    for ct in [901, 910, 911, 912] {
        assert!(
            baked.iter().any(|id| id.contains(&format!("-{ct}-"))),
            "CT {ct}: {baked:?}"
        );
    }
}

#[test]
fn a_changed_template_names_the_clones_with_the_old_image_and_is_not_rebuilt() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    edit_lxc(cfg.path(), |v| {
        let t = &mut v["lxc_configs"]["900"];
        t["features"] = serde_json::json!(["base_setup", "docker"]);
        t["pct_options"] = serde_json::json!(["nesting=1", "keyctl=1"]);
    });
    let inv = load_dir(cfg.path());
    clear_log(root);
    let p = plan(&inv, root, Options::default());
    let steps: Vec<&str> = p.plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert!(
        steps
            .iter()
            .all(|s| !s.contains("snapshot") && !s.starts_with("template-")),
        "{steps:?}"
    );
    let note = p
        .notes
        .iter()
        .find(|n| n.starts_with("CT 900: snapshot \"golden\""))
        .unwrap_or_else(|| panic!("{:#?}", p.notes));
    assert!(
        note.contains("was made with \"features=base_setup\", its entry now wants \"features=base_setup,docker\"; CT 102, CT 103, CT 110 carry that image"),
        "{note}"
    );
    assert!(note.contains("pct delsnapshot 900 golden"), "{note}");
}
