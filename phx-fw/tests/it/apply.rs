//! The plan through the real executor (phx_apply) into a temp root:
//! written once, then converged — the second run changes nothing and fires
//! no handler. With --run-commands the pve-firewall TEST DOUBLE
//! (phx-testkit/doubles/pve-firewall-double) is on PATH as `pve-firewall`; it only
//! shows the calls happen in the right order and only when something changed.

use crate::common;
use common::*;
use phx_apply::{apply, Options, Status};
use std::path::Path;

fn opts(root: &Path, run_commands: bool) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands,
        path: Some(doubles_path(&["pve-firewall"])),
        ..Default::default()
    }
}

fn plan_steps(dir: &Path) -> Vec<phx_plan::Step> {
    let inv = load_dir(dir);
    phx_fw::plan(&inv, &Default::default()).unwrap().0.steps
}

#[test]
fn second_apply_changes_nothing_and_fires_no_handler() {
    let root = tempfile::tempdir().unwrap();
    let steps = plan_steps(&example_dir());
    let first = apply(&steps, &opts(root.path(), false)).unwrap();
    assert_eq!(first.changed(), 4 + 1, "{:#?}", first.outcomes); // 4 files, the restart
    assert_eq!(first.handlers_fired(), ["fw:restart"]);
    assert!(root.path().join("etc/pve/firewall/cluster.fw").is_file());
    let second = apply(&steps, &opts(root.path(), false)).unwrap();
    assert_eq!(second.changed(), 0, "{:#?}", second.outcomes);
    assert!(second.handlers_fired().is_empty());
    assert!(second
        .outcomes
        .iter()
        .filter(|o| o.kind == "handler")
        .all(|o| o.status == Status::Skipped));
}

#[test]
fn one_changed_rule_rewrites_one_file_and_restarts_once() {
    let root = tempfile::tempdir().unwrap();
    apply(&plan_steps(&example_dir()), &opts(root.path(), false)).unwrap();
    let dir = example_with(|h| {
        // The rpcbind DROP: a change that blocks none of the estate's flows.
        h["firewall"]["global_firewall_rules"][5]["port"] = serde_json::json!("112")
    });
    let report = apply(&plan_steps(dir.path()), &opts(root.path(), false)).unwrap();
    let changed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(changed, ["fw:cluster", "fw:restart"]);
    let text = std::fs::read_to_string(root.path().join("etc/pve/firewall/cluster.fw")).unwrap();
    assert!(text.contains("IN DROP -p tcp -dport 112 -log info # No rpcbind from anywhere\n"));
}

#[test]
fn the_handler_restarts_the_pve_firewall_double_only_when_changed() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("var/log/pve-firewall-double.log");
    let steps = plan_steps(&example_dir());
    let first = apply(&steps, &opts(root.path(), true)).unwrap();
    assert!(first.failed().is_none(), "{:#?}", first.outcomes);
    assert!(first
        .outcomes
        .iter()
        .filter(|o| o.kind == "handler")
        .all(|o| o.ran));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "pve-firewall restart\n"
    );
    // The double now considers the files live: compiling again reports no changes.
    let out = std::process::Command::new(double("pve-firewall"))
        .arg("compile")
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("no changes\n"));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the double's Perl-style parse warns about nothing in our files"
    );

    let second = apply(&steps, &opts(root.path(), true)).unwrap();
    assert_eq!(second.changed(), 0);
    assert!(second.outcomes.iter().all(|o| !o.ran));
    // Only the manual compile above was added to the log.
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "pve-firewall restart\npve-firewall compile\n"
    );
}
