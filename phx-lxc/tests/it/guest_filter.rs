//! `--guest ID` and `--action`: one container converged, started, stopped,
//! restarted or deleted, with what it needs first made but never converged,
//! and nothing else touched; planned, then applied through the pct TEST
//! DOUBLE (phx-testkit/doubles/pct-double) and the real executor.

use crate::common;

use assert_cmd::Command;
use common::*;
use phx_common::config::Inventory;
use phx_common::guests::{Action, Selection};
use phx_lxc::{observe, Options, Planned};
use phx_plan::Plan;
use std::path::Path;

/// The plan for `guests` with `action`, over the double's state in `root`.
fn plan_for(inv: &Inventory, root: &Path, guests: &[u32], action: Action) -> Planned {
    let seen = observe::observe(inv, root, Some(pct_path())).unwrap();
    let sel = Selection::of(inv, guests, action).unwrap();
    phx_lxc::plan_selected(inv, &seen, Options::default(), &sel, Plan::new("phx-lxc"))
        .unwrap_or_else(|p| panic!("{p}"))
}

/// The planned pct calls, one string each.
fn calls(p: &Planned) -> Vec<String> {
    argvs(p).iter().map(|a| a.join(" ")).collect()
}

/// Whether some planned call acts on container `id` (`pct VERB ID …`, a
/// clone's target `pct clone SRC ID`, a file step of its conf).
fn touches(p: &Planned, id: u32) -> bool {
    let id = id.to_string();
    p.plan.steps.iter().any(|s| match argv_of(s) {
        Some(a) if a[1] == "clone" => a.get(3) == Some(&id),
        Some(a) => a.get(2) == Some(&id),
        None => s.id.starts_with(&format!("lxc:{id}:")),
    })
}

fn phx_lxc(cfg: &Path, root: &Path) -> Command {
    let mut c = Command::cargo_bin("phx-lxc").unwrap();
    c.env("PATH", pct_path());
    c.arg("--config-dir").arg(cfg).arg("--state-root").arg(root);
    c
}

#[test]
fn converging_a_clone_whose_source_is_missing_makes_the_source_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = load_dir(&example_dir());
    make_bind_sources(&inv, root);
    register_datasets(&inv, root);
    // Step-CA (103) is a clone of the golden template 900; nothing exists.
    let p = plan_for(&inv, root, &[103], Action::Converge);
    let c = calls(&p);
    assert!(c.iter().any(|l| l.starts_with("pct create 900 ")), "{c:?}");
    assert!(
        c.iter().any(|l| l.starts_with("pct snapshot 900 golden")),
        "{c:?}"
    );
    assert!(
        c.iter().any(|l| l.starts_with("pct clone 900 103 ")),
        "{c:?}"
    );
    assert!(c.iter().any(|l| l == "pct start 103"), "{c:?}");
    for other in [102, 110, 111] {
        assert!(!touches(&p, other), "CT {other} is not asked for: {c:?}");
    }
    run(&p.plan.steps, root);
    let mut have: Vec<u32> = std::fs::read_dir(root.join("etc/pve/lxc"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".conf")
                .parse()
                .unwrap()
        })
        .collect();
    have.sort();
    assert_eq!(have, vec![103, 900]);
    assert_eq!(running(root), vec![103]);
    // Converged: the same request plans nothing.
    let again = plan_for(&inv, root, &[103], Action::Converge);
    assert!(again.plan.steps.is_empty(), "{:?}", calls(&again));
}

#[test]
fn an_existing_prerequisite_is_not_converged_and_unrelated_drift_is_not_planned() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    // Traefik (102) is gone; its source 900 and its dependency 103 exist.
    let pct = |args: &[&str]| {
        let out = std::process::Command::new(double("pct"))
            .args(args)
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    pct(&["stop", "102"]);
    pct(&["destroy", "102"]);
    // Drift in the source, the dependency and an unrelated container.
    edit_lxc(cfg.path(), |v| {
        for id in ["900", "103", "111"] {
            v["lxc_configs"][id]["memory_mb"] = 3072.into();
        }
    });
    let inv = load_dir(cfg.path());
    let p = plan_for(&inv, root, &[102], Action::Converge);
    let c = calls(&p);
    assert!(
        c.iter().any(|l| l.starts_with("pct clone 900 102 ")),
        "{c:?}"
    );
    assert!(c.iter().any(|l| l == "pct start 102"), "{c:?}");
    for other in [900, 103, 110, 111] {
        assert!(
            !touches(&p, other),
            "CT {other}'s drift is not planned: {c:?}"
        );
    }
    // The whole plan would change them: the drift is real.
    let all = plan(&inv, root, Options::default());
    for id in [900, 103, 111] {
        assert!(touches(&all, id), "CT {id} drifted: {:?}", calls(&all));
    }
}

#[test]
fn a_stopped_prerequisite_is_started_before_the_named_container() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    let pct = |args: &[&str]| {
        let out = std::process::Command::new(double("pct"))
            .args(args)
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // 110 needs 102 needs 103: all three stopped.
    for id in ["110", "102", "103"] {
        pct(&["stop", id]);
    }
    let p = plan_for(&inv, root, &[110], Action::Start);
    let starts: Vec<String> = calls(&p);
    assert_eq!(
        starts,
        vec!["pct start 103", "pct start 102", "pct start 110"]
    );
    assert!(!touches(&p, 111), "{starts:?}");
}

/// `restart 110` of a running 110 whose prerequisites are stopped: they
/// start first, then 110 reboots — the reboot is ranked with the starts
/// (its own rank), so phx-apply does not run it before them either.
#[test]
fn a_restart_reboots_the_named_container_after_its_prerequisites_start() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    for id in ["102", "103"] {
        let out = std::process::Command::new(double("pct"))
            .args(["stop", id])
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    assert!(running(root).contains(&110));
    let p = plan_for(&inv, root, &[110], Action::Restart);
    assert_eq!(
        calls(&p),
        vec!["pct start 103", "pct start 102", "pct reboot 110"]
    );
    let order = phx_common::order::order(&inv).unwrap();
    let reboot = p.plan.steps.last().unwrap();
    assert_eq!(
        reboot.start.map(|r| r.rank),
        order.iter().position(|&g| g == 110),
        "{reboot:?}"
    );
    let ordered = phx_apply::plans::starts_last(p.plan.steps.clone());
    assert_eq!(ordered.last().unwrap().id, "lxc:110:reboot");
    clear_log(root);
    run(&p.plan.steps, root);
    assert_eq!(
        mutating(&log(root)),
        vec!["pct start 103", "pct start 102", "pct reboot 110"]
    );
}

#[test]
fn phx_lxc_given_only_a_vm_plans_that_vms_containers() {
    // Portainer (VM 1001) depends on Step-CA (103): phx-lxc makes 103 and
    // its source, nothing else, and no VM step (qm is phx-vm's).
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["dependencies"] = serde_json::json!([103]);
    });
    let inv = load_dir(cfg.path());
    assert_eq!(inv.vms[1].id, 1001);
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&inv, root.path());
    register_datasets(&inv, root.path());
    let p = plan_for(&inv, root.path(), &[1001], Action::Converge);
    let c = calls(&p);
    assert!(
        c.iter().any(|l| l.starts_with("pct clone 900 103 ")),
        "{c:?}"
    );
    for other in [102, 110, 111] {
        assert!(!touches(&p, other), "{c:?}");
    }
    assert!(c.iter().all(|l| l.starts_with("pct ")), "{c:?}");
}

#[test]
fn stop_restart_and_delete_act_once_and_a_second_run_plans_nothing() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    clear_log(root);

    let stop = plan_for(&inv, root, &[111], Action::Stop);
    assert_eq!(
        calls(&stop),
        vec!["pct shutdown 111 --timeout 60 --forceStop 1"]
    );
    run(&stop.plan.steps, root);
    assert!(!running(root).contains(&111));
    assert!(plan_for(&inv, root, &[111], Action::Stop)
        .plan
        .steps
        .is_empty());

    // Restart of a stopped container starts it; of a running one reboots it.
    let restart = plan_for(&inv, root, &[111], Action::Restart);
    assert_eq!(calls(&restart), vec!["pct start 111"]);
    run(&restart.plan.steps, root);
    assert!(running(root).contains(&111));
    let reboot = plan_for(&inv, root, &[111], Action::Restart);
    assert_eq!(calls(&reboot), vec!["pct reboot 111"]);

    let delete = plan_for(&inv, root, &[111], Action::Delete);
    assert_eq!(
        calls(&delete),
        vec![
            "pct shutdown 111 --timeout 60 --forceStop 1",
            "pct destroy 111 --purge 1"
        ]
    );
    run(&delete.plan.steps, root);
    assert!(!root.join("etc/pve/lxc/111.conf").exists());
    // A second delete, or a stop, of the gone container plans nothing and
    // says so.
    for action in [Action::Delete, Action::Stop] {
        let again = plan_for(&inv, root, &[111], action);
        assert!(again.plan.steps.is_empty(), "{:?}", calls(&again));
        let said = format!("CT 111 does not exist: nothing to {}", action.name());
        assert!(again.notes.contains(&said), "{:?}", again.notes);
    }
    // Only 111 was acted on.
    assert!(
        mutating(&log(root)).iter().all(|l| l.contains(" 111")),
        "{:?}",
        log(root)
    );
}

#[test]
fn deleting_a_guest_others_need_is_refused_naming_them() {
    let inv = load_dir(&example_dir());
    let err = Selection::of(&inv, &[900], Action::Delete).unwrap_err();
    for why in [
        "103 (Step-CA) clones from 900",
        "102 (Traefik-Internal) clones from 900",
        "110 (Gitea) clones from 900",
    ] {
        assert!(err.contains(why), "{err}");
    }
    let err = Selection::of(&inv, &[102], Action::Delete).unwrap_err();
    assert!(err.contains("110 (Gitea) depends on 102"), "{err}");
    assert!(err.contains("111 (Monitoring) depends on 102"), "{err}");
    // Deleted together with what needs it: allowed.
    assert!(Selection::of(&inv, &[102, 110, 111], Action::Delete).is_ok());
}

#[test]
fn an_unknown_id_or_a_start_of_a_missing_container_exits_2_planning_nothing() {
    let root = tempfile::tempdir().unwrap();
    let out = phx_lxc(&example_dir(), root.path())
        .args(["--guest", "1030"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("--guest 1030: no container in lxc_configs nor VM in vm_configs has this ID; did you mean 103 (Step-CA)?"),
        "{err}"
    );

    let out = phx_lxc(&example_dir(), root.path())
        .args(["--guest", "103", "--action", "start"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("CT 103 does not exist"), "{err}");
    assert!(err.contains("--guest 103 --action converge"), "{err}");
    assert!(mutating(&log(root.path())).is_empty());

    // The binary takes the filter: a plan of 103 and its source alone.
    let inv = load_dir(&example_dir());
    make_bind_sources(&inv, root.path());
    register_datasets(&inv, root.path());
    let out = phx_lxc(&example_dir(), root.path())
        .args(["--guest", "103"])
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(plan.contains("\"lxc:103:clone\""), "{plan}");
    assert!(!plan.contains("lxc:110:"), "{plan}");
}

#[test]
fn a_golden_source_without_its_snapshot_is_made_before_the_clone() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(cfg.path(), root);
    let pct = |args: &[&str]| {
        let out = std::process::Command::new(double("pct"))
            .args(args)
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    pct(&["stop", "103"]);
    pct(&["destroy", "103"]);
    // 900 exists, but its snapshot is gone: nothing can be cloned from it.
    let conf = root.join("etc/pve/lxc/900.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let main: String = text
        .split("\n[")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("parent:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&conf, main).unwrap();
    let p = plan_for(&inv, root, &[103], Action::Converge);
    let c = calls(&p);
    let at = |prefix: &str| {
        c.iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {c:?}"))
    };
    assert!(
        at("pct snapshot 900 golden") < at("pct clone 900 103 "),
        "{c:?}"
    );
    assert!(!c.iter().any(|l| l.starts_with("pct create 900 ")), "{c:?}");
}

/// pct refuses to destroy a protected or locked CT (pve-container
/// src/PVE/API2/LXC.pm:859-860): phx-lxc refuses the delete at plan time,
/// exit 2 naming the container and why, before any step — the running
/// container is not shut down first.
#[test]
fn a_delete_of_a_protected_or_locked_container_exits_2_planning_nothing() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    converge(cfg.path(), root);
    assert!(running(root).contains(&111));
    let path = root.join("etc/pve/lxc/111.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    for (conf, why) in [
        (
            format!("protection: 1\n{text}"),
            "CT 111 is protected (`protection: 1` in /etc/pve/lxc/111.conf",
        ),
        (format!("lock: backup\n{text}"), "CT 111 is locked (backup:"),
    ] {
        std::fs::write(&path, conf).unwrap();
        clear_log(root);
        let out = phx_lxc(cfg.path(), root)
            .args(["--guest", "111", "--action", "delete"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(err.contains("--action delete refused: "), "{err}");
        assert!(err.contains(why), "{err}");
        assert!(mutating(&log(root)).is_empty());
    }
    assert!(running(root).contains(&111));
}
