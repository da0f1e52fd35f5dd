//! scripts/phoenix-cli end to end on a preview root, with the workspace's
//! debug binaries (PHX_BIN_DIR) so the test does not trigger a release build.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::PathBuf;

fn repo(p: &str) -> PathBuf {
    phx_testkit::workspace().join(p)
}

fn cli() -> Command {
    // target/<profile>/deps/<this test> → target/<profile>, where the workspace's binaries are.
    let bins = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    for tool in [
        "phx-apply",
        "phx-net",
        "phx-dns",
        "phx-fw",
        "phx-lxc",
        "phx-graph",
    ] {
        assert!(
            bins.join(tool).exists(),
            "{tool} is not built in {}: run `cargo test --workspace`",
            bins.display()
        );
    }
    let mut c = Command::new("bash");
    c.arg(repo("scripts/phoenix-cli")).env("PHX_BIN_DIR", bins);
    c
}

#[test]
fn setup_net_then_check_reports_converged() {
    let root = tempfile::tempdir().unwrap();
    let state = repo("examples/state");
    for f in ["etc/network/interfaces", "etc/hosts"] {
        std::fs::create_dir_all(root.path().join(f).parent().unwrap()).unwrap();
        std::fs::copy(state.join(f), root.path().join(f)).unwrap();
    }
    let cfg = repo("examples/etc");
    let args = |verb: &str| {
        vec![
            verb.to_string(),
            "net".into(),
            "--config-dir".into(),
            cfg.display().to_string(),
            "--root".into(),
            root.path().display().to_string(),
        ]
    };
    cli()
        .args(args("check"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains("+\taddress 10.0.0.13/24"));
    cli()
        .args(args("setup"))
        .assert()
        .success()
        .stderr(predicate::str::contains("changed"));
    cli()
        .args(args("check"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 would change"));
}

#[test]
fn usage_errors_exit_2() {
    cli()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown verb"));
    for args in [&["setup", "lxc"][..], &["setup", "dns", "lxc"]] {
        cli()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("'lxc' does not belong to setup"));
    }
    cli()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("LetsGo"));
}

#[test]
fn check_accepts_diff_and_check_flags_again() {
    let root = tempfile::tempdir().unwrap();
    let cfg = repo("examples/etc");
    let r = root.path().display().to_string();
    cli()
        .args([
            "check",
            "net",
            "--diff",
            "--check",
            "--config-dir",
            cfg.to_str().unwrap(),
            "--root",
            &r,
        ])
        .assert()
        .code(3);
}

#[test]
fn all_applies_nothing_when_a_later_phase_refuses_to_plan() {
    let root = tempfile::tempdir().unwrap();
    // The example bind-mounts a host directory that this empty root lacks: phx-lxc refuses.
    let cfg = repo("examples/etc");
    cli()
        .args([
            "all",
            "net",
            "lxc",
            "--config-dir",
            cfg.to_str().unwrap(),
            "--root",
            root.path().to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("phx-lxc refused to plan"));
    assert!(
        !root.path().join("etc/hostname").exists(),
        "setup must not have been applied"
    );
}

#[test]
fn graph_draws_the_estate_with_phx_graph() {
    cli()
        .args(["graph", "--format", "dot", "--config-dir"])
        .arg(repo("examples/etc"))
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph estate {"))
        .stdout(predicate::str::contains("CT 103 Step-CA"));
}
