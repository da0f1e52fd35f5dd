//! Plan fields that name host paths the executor itself opens: the conf lock
//! it creates and flocks, the file a secret is read from. Each must be
//! refused before anything runs (exit 2, nothing written).

use assert_cmd::Command;
use predicates::prelude::*;

fn refused(step: &str, why: &str) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/phoenix")).unwrap();
    std::fs::write(
        root.path().join("var/lib/phoenix/manifest.key"),
        r#"{"k":"not a secret for a plan"}"#,
    )
    .unwrap();
    let plan = format!("{step}\n{{\"v\":1,\"tool\":\"t\",\"kind\":\"end\",\"steps\":1}}\n");
    Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap()])
        .write_stdin(plan)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(why));
    assert!(!root.path().join("etc").exists(), "nothing written");
    assert!(!root.path().join("run").exists(), "no lock file created");
}

fn conf_step(lock_file: &str) -> String {
    format!(
        r#"{{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/pve/lxc/101.conf","content":"x\n","conf_lock":{{"lock_file":"{lock_file}","guest":"CT 101"}}}}"#
    )
}

#[test]
fn a_conf_lock_other_than_the_guests_pve_config_lock_is_refused() {
    for bad in [
        "/var/lib/phoenix/apply.lock",
        "/etc/shadow",
        "/run/lock/lxc/pve-config-.lock",
        "/run/lock/lxc/pve-config-10x.lock",
        "/run/lock/lxc/pve-config-101.lock.d",
        "/run/lock/lxc/../lxc/pve-config-101.lock",
    ] {
        refused(
            &conf_step(bad),
            "is not /run/lock/lxc/pve-config-<CT id>.lock",
        );
    }
}

#[test]
fn the_lock_phx_lxc_names_is_accepted() {
    let root = tempfile::tempdir().unwrap();
    let plan = format!(
        "{}\n{{\"v\":1,\"tool\":\"t\",\"kind\":\"end\",\"steps\":1}}\n",
        conf_step("/run/lock/lxc/pve-config-101.lock")
    );
    Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap()])
        .write_stdin(plan)
        .assert()
        .success();
}

#[test]
fn a_secret_read_from_the_executors_state_is_refused() {
    let step = r#"{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/s","content":"@S@\n","mode":"0600","secret":true,"secret_from":{"file":"/var/lib/phoenix/manifest.key","pointer":"/k","placeholder":"@S@"}}"#;
    refused(
        step,
        "is the executor's own state; no secret is read from it",
    );
}
