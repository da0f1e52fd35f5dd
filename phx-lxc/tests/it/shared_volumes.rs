//! `shared_volumes` mounted as bind `mpN` into each listed container that
//! exists, beside its own mounts: planned on the original's files, applied
//! against the pct double, then left alone (no `pct set` once converged).

use crate::common::*;
use phx_lxc::Options;
use serde_json::json;
use std::path::Path;

/// The example with `shared_volumes` set in its hypervisor file.
fn example_with(volumes: serde_json::Value) -> tempfile::TempDir {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(HYP), |v| v["shared_volumes"] = volumes);
    cfg
}

/// The `--mpN` values of every command step for CT `ctid`.
fn mp_values(planned: &phx_lxc::Planned, ctid: u32) -> Vec<String> {
    argvs(planned)
        .into_iter()
        .filter(|a| a.iter().any(|x| x == &ctid.to_string()))
        .flat_map(|a| {
            a.windows(2)
                .filter(|w| w[0].starts_with("--mp"))
                .map(|w| w[1].clone())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn plan_in(cfg: &Path, root: &Path) -> phx_lxc::Planned {
    plan(&load_dir(cfg), root, Options::default())
}

#[test]
fn ct_910_of_the_original_files_mounts_the_ssl_certs_volume() {
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&inv, root.path());
    let planned = plan(&inv, root.path(), Options::default());
    assert_eq!(
        mp_values(&planned, 910),
        ["/mnt/pve/quickOS/shared-prod-data/ssl,mp=/certs"]
    );
    // The containers it does not name get nothing of it.
    for ct in [911, 912, 101, 102] {
        assert!(
            !mp_values(&planned, ct)
                .iter()
                .any(|m| m.contains("shared-prod-data/ssl")),
            "CT {ct}"
        );
    }
}

#[test]
fn a_missing_shared_source_phx_storage_makes_is_planned_with_a_note() {
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    assert!(
        planned.notes.iter().any(|n| n
            == "bind source /mnt/pve/quickOS/shared-prod-data/ssl (CT 910) does not exist yet: phx-storage (`phoenix-cli setup storage`, run before the guests) makes it"),
        "{:?}",
        planned.notes
    );
    assert_eq!(
        mp_values(&planned, 910),
        ["/mnt/pve/quickOS/shared-prod-data/ssl,mp=/certs"]
    );
}

#[test]
fn a_shared_volume_is_mounted_in_each_container_once_and_converged_gets_no_pct_set() {
    let cfg = example_with(json!({
        "data": {"host_path": "/mnt/pve/tank/shared/data",
                 "mounts": {"110": "/srv/data", "102": "/data", "999": "/x"}}
    }));
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    let c110 = conf_text(root.path(), 110);
    assert!(
        c110.lines().any(|l| l.starts_with("mp") && l.ends_with(": /mnt/pve/tank/shared/data,mp=/srv/data")),
        "{c110}"
    );
    // CT 102 keeps its own bind mount beside the shared one.
    let c102 = conf_text(root.path(), 102);
    let mps: Vec<&str> = c102
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter(|l| l.starts_with("mp"))
        .collect();
    assert_eq!(mps.len(), 2, "{c102}");
    assert!(
        mps.iter()
            .any(|l| l.ends_with("/mnt/pve/tank/shared/data,mp=/data")),
        "{c102}"
    );
    assert!(
        mps.iter()
            .any(|l| l.contains("/mnt/pve/tank/persistent/ssl,mp=/ssl")),
        "{c102}"
    );

    clear_log(root.path());
    let again = plan_in(cfg.path(), root.path());
    assert!(mp_values(&again, 110).is_empty() && mp_values(&again, 102).is_empty());
    run(&again.plan.steps, root.path());
    assert_eq!(mutating(&log(root.path())), Vec::<String>::new());
}

#[test]
fn a_shared_volume_added_later_is_one_pct_set_on_the_existing_container() {
    let root = tempfile::tempdir().unwrap();
    converge(&example_dir(), root.path());
    let cfg = example_with(json!({
        "data": {"host_path": "/mnt/pve/tank/shared/data", "mounts": {"110": "/srv/data"}}
    }));
    make_bind_sources(&load_dir(cfg.path()), root.path());
    clear_log(root.path());
    let p = plan_in(cfg.path(), root.path());
    run(&p.plan.steps, root.path());
    let calls = mutating(&log(root.path()));
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with("pct set 110 --mp")
            && calls[0].ends_with(" /mnt/pve/tank/shared/data,mp=/srv/data"),
        "{calls:?}"
    );
}

#[test]
fn a_missing_shared_source_outside_every_storage_directory_is_refused_at_its_mount() {
    let cfg = example_with(json!({
        "etc": {"host_path": "/srv/shared", "mounts": {"110": "/srv"}}
    }));
    let inv = load_dir(cfg.path());
    let root = tempfile::tempdir().unwrap();
    let seen = phx_lxc::observe::observe(&inv, root.path(), Some(pct_path())).unwrap();
    let Err(err) = phx_lxc::plan(&inv, &seen, Options::default()) else {
        panic!("a missing source nobody makes is refused");
    };
    let err = err.to_string();
    assert!(
        err.contains("phoenix_hypervisor_config.json: shared_volumes.etc.mounts.\"110\": \"/srv/shared\": an existing directory on the host"),
        "{err}"
    );
}

#[test]
fn a_clone_source_with_a_shared_bind_mount_is_refused() {
    let cfg = example_with(json!({
        "data": {"host_path": "/mnt/pve/tank/shared/data", "mounts": {"900": "/data"}}
    }));
    let inv = load_dir(cfg.path());
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&inv, root.path());
    let seen = phx_lxc::observe::observe(&inv, root.path(), Some(pct_path())).unwrap();
    let Err(err) = phx_lxc::plan(&inv, &seen, Options::default()) else {
        panic!("pct clone fails on a source with bind mounts");
    };
    let err = err.to_string();
    assert!(
        err.contains("clone_from_ctid: 900: a clone source without bind mounts (`pct clone` fails on them): CT 900 has shared_volumes.data.mounts.\"900\" /mnt/pve/tank/shared/data -> /data"),
        "{err}"
    );
}

#[test]
fn a_guest_path_another_mount_of_the_container_uses_is_exit_2_naming_both() {
    // CT 102 mounts its own bind at /ssl.
    let cfg = example_with(json!({
        "certs": {"host_path": "/mnt/pve/tank/certs", "mounts": {"102": "/ssl"}}
    }));
    let root = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("phx-lxc")
        .unwrap()
        .env("PATH", pct_path())
        .arg("--config-dir")
        .arg(cfg.path())
        .arg("--state-root")
        .arg(root.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("phoenix_hypervisor_config.json: shared_volumes.certs.mounts.\"102\": \"/ssl\": a path inside CT 102 that no other mount of it uses (")
            && err.contains("phoenix_lxc_configs.json: lxc_configs.\"102\".mount_points[0].container_path mounts there too)"),
        "{err}"
    );
    assert!(mutating(&log(root.path())).is_empty());
}
