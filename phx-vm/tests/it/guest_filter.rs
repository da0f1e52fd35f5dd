//! `--guest ID` and `--action` for VMs: one VM converged with its template
//! made only when missing, nothing else touched; stop and delete once;
//! planned, then applied through the qm TEST DOUBLE
//! (phx-testkit/doubles/qm-double) and the real executor.

use crate::common;

use common::*;
use phx_common::config::Inventory;
use phx_common::guests::{Action, Selection};
use phx_plan::Plan;
use phx_vm::{observe, Options, Planned};
use std::path::Path;

fn plan_for(inv: &Inventory, root: &Path, guests: &[u32], action: Action) -> Planned {
    let seen = observe::observe(inv, root, Some(doubles())).unwrap();
    let sel = Selection::of(inv, guests, action).unwrap();
    phx_vm::plan_selected(
        inv,
        &seen,
        root,
        Options::default(),
        &sel,
        Plan::new("phx-vm"),
    )
    .unwrap_or_else(|p| panic!("{p}"))
}

fn calls(p: &Planned) -> Vec<String> {
    argvs(p).iter().map(|a| a.join(" ")).collect()
}

/// Whether a planned qm call acts on VM `id` (a clone's target, not its source).
fn touches(p: &Planned, id: u32) -> bool {
    let id = id.to_string();
    argvs(p).iter().any(|a| match a[1].as_str() {
        "clone" => a.get(3) == Some(&id),
        "disk" => a.get(3) == Some(&id),
        _ => a.get(2) == Some(&id),
    })
}

fn qm(root: &Path, args: &[&str]) {
    let out = std::process::Command::new(double("qm"))
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn converging_a_clone_whose_template_is_missing_makes_the_template_and_nothing_else() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    let p = plan_for(&inv, root, &[1001], Action::Converge);
    let c = calls(&p);
    assert!(c.iter().any(|l| l.starts_with("qm create 9000 ")), "{c:?}");
    assert!(c.iter().any(|l| l == "qm template 9000"), "{c:?}");
    assert!(
        c.iter().any(|l| l.starts_with("qm clone 9000 1001 ")),
        "{c:?}"
    );
    assert!(c.iter().any(|l| l == "qm start 1001"), "{c:?}");
    assert!(!touches(&p, 1002), "{c:?}");
    run(&p.plan.steps, root);
    assert!(!root.join("etc/pve/qemu-server/1002.conf").exists());
    assert_eq!(running_vms(root), vec![1001]);
    let again = plan_for(&inv, root, &[1001], Action::Converge);
    assert!(again.plan.steps.is_empty(), "{:?}", calls(&again));
}

#[test]
fn an_existing_template_is_not_converged_and_unrelated_drift_is_not_planned() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    run(&plan(&inv, root, Options::default()).plan.steps, root);
    qm(root, &["stop", "1001"]);
    qm(root, &["destroy", "1001"]);
    edit_json(&cfg.path().join(VM), |v| {
        for i in [0, 2] {
            v["vms"][i]["cores"] = 3.into();
        }
    });
    let inv = load_dir(cfg.path());
    let p = plan_for(&inv, root, &[1001], Action::Converge);
    let c = calls(&p);
    assert!(
        c.iter().any(|l| l.starts_with("qm clone 9000 1001 ")),
        "{c:?}"
    );
    assert!(!touches(&p, 9000) && !touches(&p, 1002), "{c:?}");
    let all = plan(&inv, root, Options::default());
    assert!(
        touches(&all, 9000) && touches(&all, 1002),
        "{:?}",
        calls(&all)
    );
}

#[test]
fn stop_and_delete_of_a_vm_act_once() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    run(&plan(&inv, root, Options::default()).plan.steps, root);
    assert!(running_vms(root).contains(&1001));
    // A template is never started (qm refuses it): a note, no step.
    let t = plan_for(&inv, root, &[9000], Action::Start);
    assert!(t.plan.steps.is_empty(), "{:?}", calls(&t));
    assert!(
        t.notes.iter().any(|n| n.contains("VM 9000 is a template")),
        "{:?}",
        t.notes
    );

    let stop = plan_for(&inv, root, &[1001], Action::Stop);
    assert_eq!(calls(&stop), vec!["qm shutdown 1001 --forceStop 1"]);
    run(&stop.plan.steps, root);
    assert!(!running_vms(root).contains(&1001));
    assert!(plan_for(&inv, root, &[1001], Action::Stop)
        .plan
        .steps
        .is_empty());

    let start = plan_for(&inv, root, &[1001], Action::Start);
    assert_eq!(calls(&start), vec!["qm start 1001"]);
    run(&start.plan.steps, root);

    let delete = plan_for(&inv, root, &[1001], Action::Delete);
    assert_eq!(
        calls(&delete),
        vec![
            "qm shutdown 1001 --forceStop 1",
            "qm destroy 1001 --purge 1"
        ]
    );
    run(&delete.plan.steps, root);
    assert!(!root.join("etc/pve/qemu-server/1001.conf").exists());
    assert!(plan_for(&inv, root, &[1001], Action::Delete)
        .plan
        .steps
        .is_empty());
    // The template others clone from is refused.
    let err = Selection::of(&inv, &[9000], Action::Delete).unwrap_err();
    assert!(err.contains("1001 (Portainer) clones from 9000"), "{err}");
}

#[test]
fn the_qm_double_refuses_to_destroy_a_running_vm() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    run(&plan(&inv, root, Options::default()).plan.steps, root);
    let out = std::process::Command::new(double("qm"))
        .args(["destroy", "1001", "--purge", "1"])
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("VM 1001 is running - destroy failed"));
}

/// VM 1001 depends on CT 103: `stop 103 1001` must shut the VM down
/// before the container it needs, though phx-apply reads phx-lxc's plan
/// first. Each shutdown and destroy carries its guest's rank in the one
/// order (`Step::stop`), and phx-apply runs them first, dependents first.
#[test]
fn a_vms_stop_carries_its_rank_and_runs_before_the_container_it_needs() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["dependencies"] = serde_json::json!([103]);
    });
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    assert_eq!(inv.vms[1].id, 1001);
    run(&plan(&inv, root, Options::default()).plan.steps, root);
    let order = phx_common::order::order(&inv).unwrap();
    let rank = |id| order.iter().position(|&g| g == id).unwrap();
    assert!(rank(103) < rank(1001));

    // (102 depends on 103 too: a delete names 1001 alone.)
    for (action, named) in [(Action::Stop, &[103, 1001][..]), (Action::Delete, &[1001])] {
        let vm = plan_for(&inv, root, named, action);
        assert!(!vm.plan.steps.is_empty(), "{action:?}");
        for s in &vm.plan.steps {
            assert_eq!(
                s.stop.map(|r| (r.rank, r.id)),
                Some((rank(1001), 1001)),
                "{s:?}"
            );
            assert_eq!(s.start, None);
        }
        // What phx-lxc plans for CT 103, through the same shared steps.
        let mut ct = phx_common::guests::GuestSteps::new(
            phx_common::guests::CT,
            Plan::new("phx-lxc"),
            phx_common::guests::Options::default(),
            Vec::new(),
        );
        ct.shutdown(103, rank(103), "CT 103");
        let mut both = ct.plan.steps;
        both.extend(vm.plan.steps);
        let ordered = phx_apply::plans::starts_last(both);
        let ids: Vec<&str> = ordered.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids[0], "vm:1001:shutdown", "{action:?}: {ids:?}");
        assert_eq!(ids.last(), Some(&"lxc:103:shutdown"), "{ids:?}");
    }
}

/// A run cut between `qm create 9000` and `qm template 9000` leaves a plain
/// VM: `converge 1001` must finish the template (it is not made without
/// `template: 1`) before it clones it.
#[test]
fn a_template_without_template_1_is_finished_before_its_clone() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(cfg.path(), root);
    let inv = load_dir(cfg.path());
    run(&plan(&inv, root, Options::default()).plan.steps, root);
    qm(root, &["stop", "1001"]);
    qm(root, &["destroy", "1001"]);
    let path = root.join("etc/pve/qemu-server/9000.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("template: 1\n"), "{text}");
    std::fs::write(&path, text.replace("template: 1\n", "")).unwrap();
    let p = plan_for(&inv, root, &[1001], Action::Converge);
    let c = calls(&p);
    let template = c.iter().position(|l| l == "qm template 9000");
    let clone = c.iter().position(|l| l.starts_with("qm clone 9000 1001 "));
    assert!(
        matches!((template, clone), (Some(t), Some(k)) if t < k),
        "{c:?}"
    );
    run(&p.plan.steps, root);
    assert!(vm_conf(root, 9000).contains("template: 1"));
    assert!(plan_for(&inv, root, &[1001], Action::Converge)
        .plan
        .steps
        .is_empty());
}
