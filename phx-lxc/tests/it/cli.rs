//! The phx-lxc binary: bad input is refused precisely (exit 2, nothing on
//! stdout, no mutating pct call), good input prints a plan.

use crate::common;

use assert_cmd::Command;
use common::*;
use std::path::Path;

fn phx_lxc(cfg: &Path, root: &Path) -> Command {
    let mut c = Command::cargo_bin("phx-lxc").unwrap();
    c.env("PATH", pct_path());
    c.arg("--config-dir").arg(cfg).arg("--state-root").arg(root);
    c
}

/// Runs on a broken copy of the example; returns stderr after checking exit 2,
/// empty stdout and that pct was asked nothing but `list`.
fn refused(edit: impl FnOnce(&mut serde_json::Value), make_dirs: bool) -> String {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), edit);
    let root = tempfile::tempdir().unwrap();
    if make_dirs {
        make_bind_sources(&load_dir(&example_dir()), root.path());
    }
    let out = phx_lxc(cfg.path(), root.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing planned");
    assert!(mutating(&log(root.path())).is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn missing_template_without_clone_source() {
    let err = refused(
        |v| {
            drop(
                v["lxc_configs"]["111"]
                    .as_object_mut()
                    .unwrap()
                    .remove("template"),
            )
        },
        true,
    );
    assert!(
        err.contains(
            "phoenix_lxc_configs.json: lxc_configs.\"111\".template: (missing): a template"
        ),
        "{err}"
    );
}

#[test]
fn template_in_no_template_storage() {
    let err = refused(
        |v| v["lxc_configs"]["111"]["template"] = "/srv/images/debian.tar.zst".into(),
        true,
    );
    assert!(err.contains("lxc_configs.\"111\".template: \"/srv/images/debian.tar.zst\": a template file directly in the template directory"), "{err}");
    assert!(
        err.contains("/var/lib/vz/template/cache/"),
        "names where templates may live: {err}"
    );
}

#[test]
fn unknown_storage() {
    let err = refused(
        |v| {
            v["lxc_configs"]["110"]["storage_pool"] = "nosuch".into();
            v["lxc_configs"]["103"]["zfs_volumes"][0]["pool"] = "tank".into();
        },
        true,
    );
    assert!(err.contains("lxc_configs.\"110\".storage_pool: \"nosuch\": a configured Proxmox storage ID (one of: local, local-lvm, tank-persistent)"), "{err}");
    assert!(
        err.contains(
            "lxc_configs.\"103\".zfs_volumes[0].pool: \"tank\": a configured Proxmox storage ID"
        ),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "every problem at once: {err}");
}

#[test]
fn bind_mount_of_a_host_path_that_does_not_exist() {
    // Outside mount_point_base and every dataset: phx-storage does not make it.
    let err = refused(
        |v| v["lxc_configs"]["102"]["mount_points"][0]["host_path"] = "/srv/ssl".into(),
        false,
    );
    assert!(err.contains("lxc_configs.\"102\".mount_points[0].host_path: \"/srv/ssl\": an existing directory on the host"), "{err}");
}

#[test]
fn dependency_cycle() {
    let err = refused(
        |v| v["lxc_configs"]["900"]["dependencies"] = serde_json::json!(["110"]),
        true,
    );
    assert!(
        err.contains("900 -> 110 -> 900") || err.contains("110 -> 900 -> 110"),
        "names the cycle: {err}"
    );
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn a_good_config_prints_a_plan_and_one_pct_list() {
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&load_dir(&example_dir()), root.path());
    let out = phx_lxc(&example_dir(), root.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    assert!(steps.iter().any(|s| s.id == "lxc:900:create"));
    assert!(steps.iter().all(|s| s.tool == "phx-lxc"));
    assert_eq!(log(root.path()), vec!["pct list"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("CT 900 Base-Template: create"),
        "progress per container: {err}"
    );
    assert!(err.contains("1 pct call(s) while planning"), "{err}");
    // The steps it wrote as it planned them are the plan the library keeps.
    let kept = plan(&load_dir(&example_dir()), root.path(), Default::default());
    assert_eq!(steps, kept.plan.steps);
}

#[test]
fn render_writes_confs_that_plan_as_converged() {
    let out_dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-lxc")
        .unwrap()
        .env("PATH", pct_path())
        .args(["render", "--config-dir"])
        .arg(example_dir())
        .arg("--out")
        .arg(out_dir.path())
        .assert()
        .success();
    let inv = load_dir(&example_dir());
    make_bind_sources(&inv, out_dir.path());
    for id in inv.lxcs.keys() {
        assert!(out_dir
            .path()
            .join(format!("etc/pve/lxc/{id}.conf"))
            .exists());
    }
    let p = plan(
        &inv,
        out_dir.path(),
        phx_lxc::Options {
            start: phx_lxc::StartMode::None,
            ..Default::default()
        },
    );
    assert!(p.plan.steps.is_empty(), "{:?}", argvs(&p));
}

#[test]
fn help_teaches() {
    let out = Command::cargo_bin("phx-lxc")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for w in [
        "pct set",
        "--state-root",
        "--no-start",
        "--start-all",
        "--restart",
        "Examples:",
    ] {
        assert!(text.contains(w), "--help mentions {w}");
    }
}

#[test]
fn a_clone_source_without_a_snapshot_name_is_reported_once() {
    let err = refused(
        |v| {
            drop(
                v["lxc_configs"]["900"]
                    .as_object_mut()
                    .unwrap()
                    .remove("template_snapshot_name"),
            )
        },
        true,
    );
    assert!(
        err.contains(
            "lxc_configs.\"900\".template_snapshot_name: (missing): the snapshot to clone from"
        ),
        "{err}"
    );
    assert_eq!(err.matches("template_snapshot_name").count(), 1, "{err}");
}

#[test]
fn a_clone_source_with_bind_mounts_is_refused() {
    // pve-container's clone_vm (API2/LXC.pm): bind mounts make `pct clone` fail, so this would fail
    // only half-way through a run.
    let err = refused(
        |v| {
            v["lxc_configs"]["110"]["clone_from_ctid"] = "102".into();
            v["lxc_configs"]["102"]["template_snapshot_name"] = "golden".into();
        },
        true,
    );
    assert!(
        err.contains("phoenix_lxc_configs.json: lxc_configs.\"110\".clone_from_ctid: 102: a clone source without bind mounts"),
        "{err}"
    );
    assert!(
        err.contains("lxc_configs.\"102\".mount_points[0] /mnt/pve/tank/persistent/ssl -> "),
        "names the source's mount: {err}"
    );
    assert!(err.contains("1 problem(s)"), "{err}");
}

#[test]
fn under_a_state_root_the_running_state_is_said_to_come_from_pct_on_path() {
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&load_dir(&example_dir()), root.path());
    let out = phx_lxc(&example_dir(), root.path()).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("note: running state is from `pct list` (")
            && err.contains(&format!("PHX_ROOT={}", root.path().display())),
        "{err}"
    );
    let help = Command::cargo_bin("phx-lxc")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("running state still comes from `pct list` on PATH")
            && help.contains("PHX_ROOT=DIR"),
        "{help}"
    );
}

#[test]
fn root_and_its_old_name_state_root_give_the_same_plan() {
    // A converged root, then one changed memory value: the plan depends
    // on what is read under the DIR.
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["memory_mb"] = 4096.into()
    });
    let run = |flag: &str, dir: &Path| {
        let out = Command::cargo_bin("phx-lxc")
            .unwrap()
            .env("PATH", pct_path())
            .arg("--config-dir")
            .arg(cfg.path())
            .arg(flag)
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let new = run("--root", root.path());
    assert!(
        new.contains("\"pct\",\"set\",\"110\",\"--memory\",\"4096\""),
        "{new}"
    );
    assert_eq!(new, run("--state-root", root.path()));
    // And the DIR is what is read: an empty one plans otherwise.
    let empty = tempfile::tempdir().unwrap();
    make_bind_sources(&load_dir(cfg.path()), empty.path());
    assert_ne!(run("--root", empty.path()), new);
}
