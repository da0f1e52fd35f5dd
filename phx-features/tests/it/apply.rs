//! Plans applied with the pct double (a chrooted root per container) and the
//! guest-program doubles (apt-get records installs in the container's dpkg
//! status, which the real dpkg-query reads; systemctl, curl, locale-gen keep
//! their state in the container). The doubles log only what changes
//! something, so a converged run leaves every guest's log empty.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;

const DOCKER: [&str; 6] = [
    "docker-ce",
    "docker-ce-cli",
    "containerd.io",
    "docker-buildx-plugin",
    "docker-compose-plugin",
    "fuse-overlayfs",
];
const BASE: [&str; 10] = [
    "curl", "wget", "vim", "htop", "jq", "git", "rsync", "s-tui", "gnupg", "locales",
];

/// The example's containers (its VMs are vms.rs' business), CT 110 also
/// with docker (and what Docker needs).
fn docker_config() -> tempfile::TempDir {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["features"] = json!(["base_setup", "docker", "trusted_ca"]);
        d["lxc_configs"]["110"]["pct_options"] = json!(["nesting=1", "keyctl=1", "fuse=1"]);
    });
    no_vms(dir.path());
    dir
}

fn running_all(root: &Path, dir: &Path) {
    for (id, c) in load_dir(dir).lxcs {
        if c.start_at_boot {
            running(root, id);
        }
    }
}

#[test]
fn features_install_once_and_a_second_run_only_runs_guards() {
    let dir = docker_config();
    let node = node();
    let root = node.path();
    running_all(root, dir.path());
    standard_template_packages(root, 110);
    // What the operator already keeps in daemon.json stays.
    let daemon = rootfs(root, 110).join("etc/docker/daemon.json");
    std::fs::create_dir_all(daemon.parent().unwrap()).unwrap();
    std::fs::write(&daemon, "{\"log-driver\": \"journald\"}\n").unwrap();

    let steps = plan(dir.path());
    run(&steps, root);

    for ct in [102, 103, 110] {
        let have = installed(root, ct);
        for p in BASE {
            assert!(
                have.iter().any(|h| h == p),
                "CT {ct}: {p} not installed: {have:?}"
            );
        }
        assert_eq!(
            read(rootfs(root, ct).join("etc/default/locale")),
            "LANG=en_US.UTF-8\n"
        );
        let gen = read(rootfs(root, ct).join("etc/locale.gen"));
        assert!(gen.lines().any(|l| l == "en_US.UTF-8 UTF-8"), "{gen}");
        let log = guest_log(root, ct);
        assert_eq!(
            log.matches("apt-get update").count(),
            1,
            "CT {ct}: one index refresh:\n{log}"
        );
        assert_eq!(log.matches("locale-gen").count(), 1, "CT {ct}:\n{log}");
    }
    // CT 111 lists only trusted_ca (phx-ca's): untouched.
    assert_eq!(guest_log(root, 111), "");

    let have = installed(root, 110);
    for p in DOCKER {
        assert!(have.iter().any(|h| h == p), "{p} not installed: {have:?}");
    }
    assert_eq!(
        read(rootfs(root, 110).join("etc/apt/sources.list.d/docker.list")),
        "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n"
    );
    let key = read(rootfs(root, 110).join("etc/apt/keyrings/docker.asc"));
    assert!(
        key.contains("https://download.docker.com/linux/debian/gpg"),
        "{key}"
    );
    let merged: Value = serde_json::from_str(&read(daemon.clone())).unwrap();
    assert_eq!(
        merged,
        json!({"log-driver": "journald", "storage-driver": "fuse-overlayfs"})
    );
    let state = rootfs(root, 110).join("var/lib/systemctl-double");
    assert!(state.join("enabled/docker").exists() && state.join("active/docker").exists());

    // Second run: nothing changes, and no guest double logs a thing (the
    // doubles log installs, index refreshes, locale-gen, fetches, service
    // changes; guards are not logged).
    for ct in [102, 103, 110, 111] {
        clear_guest_log(root, ct);
    }
    let again = run(&steps, root);
    assert_eq!(again.changed(), 0, "{again:?}");
    for ct in [102, 103, 110, 111] {
        assert_eq!(guest_log(root, ct), "", "CT {ct} did more than guard");
    }
}

#[test]
fn a_clone_of_a_base_setup_template_installs_nothing_again() {
    // CT 900 runs here as a plain container (a golden template's features
    // are phx-lxc's), then is cloned to CT 110.
    let template = config_with(&example_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| k == "900");
        lxcs["900"]["start_at_boot"] = json!(true);
        lxcs["900"]
            .as_object_mut()
            .unwrap()
            .remove("template_snapshot_name");
    });
    no_vms(template.path());
    let node = node();
    let root = node.path();
    running(root, 900);
    run(&plan(template.path()), root);
    assert!(guest_log(root, 900).contains("apt-get install"));
    pct(root, &["stop", "900"]);
    pct(root, &["clone", "900", "110"]);
    pct(root, &["start", "110"]);
    clear_guest_log(root, 110);

    let clone = config_with(&example_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| k == "900" || k == "110");
        // Trust needs a CA, and this estate has none.
        lxcs["110"]["features"] = json!(["base_setup"]);
        lxcs["110"].as_object_mut().unwrap().remove("dependencies");
    });
    no_vms(clone.path());
    let report = run(&plan(clone.path()), root);
    assert_eq!(report.changed(), 0, "{report:?}");
    assert_eq!(
        guest_log(root, 110),
        "",
        "the image's base_setup is proven, not redone"
    );
}

#[test]
fn an_application_script_runs_once_per_content() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["application_script"] = json!("gitea.sh");
    });
    no_vms(dir.path());
    let script = dir.path().join("scripts/gitea.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        "#!/bin/sh\necho one >> /root/ran\necho 'gitea: ready on :3000'\n",
    )
    .unwrap();
    let node = node();
    let root = node.path();
    running_all(root, dir.path());

    let ran = rootfs(root, 110).join("root/ran");
    let first = run(&plan(dir.path()), root);
    assert_eq!(read(ran.clone()), "one\n");
    // What the script printed is shown with its outcome.
    let shown = first
        .outcomes
        .iter()
        .find(|o| o.id == "features-110-app-run")
        .unwrap();
    assert!(
        shown.detail.ends_with("; output:\ngitea: ready on :3000"),
        "{shown:?}"
    );
    let report = run(&plan(dir.path()), root);
    assert_eq!(report.changed(), 0, "{report:?}");
    assert_eq!(read(ran.clone()), "one\n", "unchanged: not run again");

    std::fs::write(&script, "#!/bin/sh\necho two >> /root/ran\n").unwrap();
    run(&plan(dir.path()), root);
    assert_eq!(read(ran), "one\ntwo\n", "changed: run again");
}
