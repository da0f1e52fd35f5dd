//! The phx-apply binary: exit statuses, diff output, bad plans.

use assert_cmd::Command;
use predicates::prelude::*;

const PLAN: &str =
    r#"{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/a","content":"hello\n"}"#;

fn phx_apply() -> Command {
    Command::cargo_bin("phx-apply").unwrap()
}

#[test]
fn check_exits_3_when_pending_and_0_when_converged() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    phx_apply()
        .args(["--root", r, "--check", "--diff"])
        .write_stdin(PLAN)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("+hello"));
    assert!(
        !root.path().join("etc/a").exists(),
        "--check writes nothing"
    );
    phx_apply()
        .args(["--root", r])
        .write_stdin(PLAN)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 changed"));
    phx_apply()
        .args(["--root", r, "--check"])
        .write_stdin(PLAN)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 would change"));
}

#[test]
fn bad_plans_exit_2_and_name_the_line() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    phx_apply()
        .args(["--root", r])
        .write_stdin(format!("{PLAN}\n{{\"v\":1,\"kind\":\"file\"}}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plan line 2"));
    phx_apply()
        .args(["--root", r])
        .write_stdin(format!("{PLAN}\n{PLAN}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("appears twice"));
    phx_apply()
        .args(["--root", r])
        .write_stdin(PLAN.replace("/etc/a", "etc/../../a"))
        .assert()
        .code(2);
    assert!(!root.path().join("etc").exists());
}

#[test]
fn failed_step_exits_1_and_json_report_is_machine_readable() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let plan = format!(
        "{PLAN}\n{}\n",
        r#"{"v":1,"tool":"t","id":"bad","kind":"command","argv":["false"],"desc":"fails"}"#
    );
    let out = phx_apply()
        .args(["--root", r, "--run-commands", "--json"])
        .write_stdin(plan)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["outcomes"][0]["status"], "changed");
    assert_eq!(v["outcomes"][1]["status"], "failed");
    assert_eq!(v["outcomes"][1]["id"], "bad");
}
