//! phx-vm's planner and the executor against the qm TEST DOUBLE: one changed
//! key is one `qm set` with that key, a hand edit is brought back, a change
//! a running VM sees only at boot is reported (rebooted with --restart),
//! disks only grow, VMs not in the file are never touched.

use crate::common;

use common::*;
use phx_plan::Action;
use phx_vm::{Options, StartMode};
use std::path::Path;

fn set_vm(cfg: &Path, i: usize, key: &str, value: serde_json::Value) {
    edit_json(&cfg.join(VM), |v| v["vms"][i][key] = value);
}

#[test]
fn one_changed_key_in_the_json_is_one_qm_set_with_that_key() {
    let (cfg, root) = converged();
    set_vm(cfg.path(), 2, "start_at_boot", true.into());
    let inv = load_dir(cfg.path());
    clear_logs(root.path());
    let p = plan(
        &inv,
        root.path(),
        Options {
            start: StartMode::None,
            restart: false,
        },
    );
    assert_eq!(argvs(&p), vec![vec!["qm", "set", "1002", "--onboot", "1"]]);
    run(&p.plan.steps, root.path());
    assert_eq!(
        mutating(&log(root.path(), "qm")),
        vec!["qm set 1002 --onboot 1"]
    );
    assert_eq!(vm_key(root.path(), 1002, "onboot").as_deref(), Some("1"));
}

#[test]
fn a_conf_edited_by_hand_is_brought_back() {
    let (cfg, root) = converged();
    let inv = load_dir(cfg.path());
    let path = root.path().join("etc/pve/qemu-server/1001.conf");
    let before = std::fs::read_to_string(&path).unwrap();
    let mac = vm_key(root.path(), 1001, "net0").unwrap();
    let edited = before
        .replace("cores: ", "cores: 9")
        .replace(",firewall=1", "")
        .replace("name: Portainer", "name: renamed");
    std::fs::write(&path, &edited).unwrap();
    let p = plan(
        &inv,
        root.path(),
        Options {
            start: StartMode::None,
            restart: false,
        },
    );
    let cmds = argvs(&p);
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    let keys: Vec<&str> = cmds[0]
        .iter()
        .filter_map(|a| a.strip_prefix("--"))
        .collect();
    assert_eq!(keys, vec!["name", "cores", "net0"]);
    run(&p.plan.steps, root.path());
    assert_eq!(
        vm_key(root.path(), 1001, "net0").unwrap(),
        mac,
        "the MAC is kept"
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn a_change_a_running_vm_sees_at_boot_is_reported_or_rebooted_with_restart() {
    let (cfg, root) = converged();
    assert!(running_vms(root.path()).contains(&1001));
    set_vm(cfg.path(), 1, "memory_mb", 3072.into());
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec!["qm", "set", "1001", "--memory", "3072"]]
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("VM 1001 is running") && n.contains("--restart")),
        "{:?}",
        p.notes
    );
    run(&p.plan.steps, root.path());
    // The double keeps memory in [PENDING]; the planner sees it as done.
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty());
    let restart = plan(
        &inv,
        root.path(),
        Options {
            restart: true,
            ..Options::default()
        },
    );
    assert_eq!(argvs(&restart), vec![vec!["qm", "reboot", "1001"]]);
    clear_logs(root.path());
    run(&restart.plan.steps, root.path());
    assert_eq!(mutating(&log(root.path(), "qm")), vec!["qm reboot 1001"]);
    assert_eq!(vm_key(root.path(), 1001, "memory").as_deref(), Some("3072"));
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn disks_grow_and_are_never_shrunk() {
    let (cfg, root) = converged();
    set_vm(cfg.path(), 2, "disk_size_gb", 40.into());
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec!["qm", "disk", "resize", "1002", "scsi0", "40G"]]
    );
    run(&p.plan.steps, root.path());
    set_vm(cfg.path(), 2, "disk_size_gb", 10.into());
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert!(p.plan.steps.is_empty());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("VM 1002: scsi0 is 40G") && n.contains("never shrunk")),
        "{:?}",
        p.notes
    );
}

/// qm's CLI reads `--sshkeys` as a file and URL-encodes its text itself
/// (qemu-server PVE/CLI/qm.pm:1314 param_mapping): the plan writes the keys to a
/// root-only file, passes its path, and removes it after the call.
#[test]
fn ssh_keys_reach_qm_as_a_file_it_reads() {
    let (cfg, root) = converged();
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][2]["user_config"] = serde_json::json!({
            "username": "ops",
            "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+/k= ops@laptop"]
        })
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    let path = "/run/phoenix/qm-sshkeys-1002";
    assert_eq!(
        argvs(&p),
        vec![vec![
            "qm",
            "set",
            "1002",
            "--ciuser",
            "ops",
            "--sshkeys",
            path
        ]]
    );
    let kinds: Vec<(&str, &str)> = p
        .plan
        .steps
        .iter()
        .map(|s| match &s.action {
            Action::File(f) => {
                assert_eq!(
                    f.content,
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+/k= ops@laptop\n"
                );
                assert_eq!(f.mode.as_deref(), Some("0600"));
                ("file", f.path.as_str())
            }
            Action::Command(_) => ("command", ""),
            Action::Absent(a) => ("absent", a.path.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [("file", path), ("command", ""), ("absent", path)]);
    run(&p.plan.steps, root.path());
    assert_eq!(
        vm_key(root.path(), 1002, "sshkeys").as_deref(),
        Some("ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIB%2B%2Fk%3D%20ops%40laptop%0A"),
        "stored as qm stores it: the file's text, URL-encoded"
    );
    assert!(!root.path().join(path.trim_start_matches('/')).exists());
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn vms_not_in_the_file_are_never_touched() {
    let (cfg, root) = converged();
    let other = root.path().join("etc/pve/qemu-server/555.conf");
    std::fs::write(&other, "memory: 1\nname: theirs\n").unwrap();
    let inv = load_dir(cfg.path());
    clear_logs(root.path());
    let p = plan(
        &inv,
        root.path(),
        Options {
            start: StartMode::All,
            restart: true,
        },
    );
    assert!(
        !p.plan.steps.iter().any(|s| s.id.contains("555")),
        "{:?}",
        p.plan.steps
    );
    run(&p.plan.steps, root.path());
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "memory: 1\nname: theirs\n"
    );
    assert!(!log(root.path(), "qm").iter().any(|l| l.contains("555")));
}

#[test]
fn features_and_volumes_are_left_to_phx_features_without_a_word_here() {
    // phx-features installs VM features and mounts NFS volumes through the
    // guest agent (and says what it leaves): phx-vm names neither.
    let root = tempfile::tempdir().unwrap();
    prepare_host(&upstream_dir(), root.path());
    let inv = load_dir(&upstream_dir());
    let p = plan(&inv, root.path(), Options::default());
    for id in [1001, 1002] {
        assert!(
            !p.notes
                .iter()
                .any(|n| n.starts_with(&format!("VM {id}: features "))
                    || n.starts_with(&format!("VM {id}: volumes "))),
            "{:?}",
            p.notes
        );
    }
}

#[test]
fn the_binary_writes_as_it_plans_the_plan_the_library_keeps() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg.path())
        .arg("--state-root")
        .arg(root.path())
        .env("PATH", doubles())
        .output()
        .unwrap();
    let stdout = phx_testkit::stdout_of(out);
    let steps = phx_plan::read_jsonl(stdout.as_bytes()).unwrap();
    assert!(steps.iter().any(|s| s.id.ends_with(":create")), "{steps:?}");
    let kept = plan(&load_dir(cfg.path()), root.path(), Options::default());
    assert_eq!(steps, kept.plan.steps);
}

/// qm refuses `qm template` on a VM with snapshots (qemu-server
/// src/PVE/API2/Qemu.pm:6561 template) and snapshots of a template: VM 9000's
/// template_snapshot_name is ignored with a note, and its clones are made
/// from the template itself.
#[test]
fn a_vm_template_gets_no_snapshot_and_a_note_says_so() {
    let root = tempfile::tempdir().unwrap();
    prepare_host(&upstream_dir(), root.path());
    let inv = load_dir(&upstream_dir());
    let p = plan(&inv, root.path(), Options::default());
    assert!(
        !argvs(&p).iter().any(|a| a[1] == "snapshot"),
        "{:?}",
        argvs(&p)
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n
                .starts_with("VM 9000: template_snapshot_name \"initial_clean_state\" is ignored")),
        "{:?}",
        p.notes
    );
    run(&p.plan.steps, root.path());
    let conf = vm_conf(root.path(), 9000);
    assert!(
        conf.contains("template: 1\n") && !conf.contains('['),
        "{conf}"
    );
    assert!(vm_conf(root.path(), 1001).contains("name: Portainer"));
}

#[test]
fn a_clone_of_a_source_of_unknown_size_is_not_resized_from_a_guess() {
    // Template 9000's conf lost its size (a hand edit); VM 1001 is to be
    // made again from it. Its disk is whatever the template's is: unknown,
    // so no resize is planned (from a size of 0 it would be, and qm refuses
    // a resize below the disk's size), and the plan says why.
    let (cfg, root) = converged();
    let r = root.path();
    let path = r.join("etc/pve/qemu-server/9000.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    let scsi0 = text.lines().find(|l| l.starts_with("scsi0: ")).unwrap();
    let without = scsi0
        .split(',')
        .filter(|p| !p.starts_with("size="))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(&path, text.replace(scsi0, &without)).unwrap();
    std::fs::remove_file(r.join("etc/pve/qemu-server/1001.conf")).unwrap();
    set_vm(cfg.path(), 1, "disk_size_gb", 40.into());
    let inv = load_dir(cfg.path());
    assert_eq!(inv.vms[1].id, 1001);
    let p = plan(&inv, r, Options::default());
    let cmds = argvs(&p);
    assert!(
        cmds.iter().any(|a| a[..3] == ["qm", "clone", "9000"]),
        "{cmds:?}"
    );
    assert!(
        !cmds.iter().any(|a| a[1] == "disk" && a[3] == "1001"),
        "{cmds:?}"
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n
                == "VM 1001: the size of scsi0 is not known while planning; it is not resized"),
        "{:?}",
        p.notes
    );
}
