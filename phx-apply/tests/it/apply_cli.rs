//! The phx-apply binary: exit statuses, diff output, bad plans.

use assert_cmd::Command;
use predicates::prelude::*;

const STEP: &str =
    r#"{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/a","content":"hello\n"}"#;
/// One step and the trailer every tool writes after its steps.
const PLAN: &str = concat!(
    r#"{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/a","content":"hello\n"}"#,
    "\n",
    r#"{"v":1,"tool":"t","kind":"end","steps":1}"#
);

fn trailer(steps: usize) -> String {
    format!(r#"{{"v":1,"tool":"t","kind":"end","steps":{steps}}}"#)
}

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
        .write_stdin(format!("{STEP}\n{{\"v\":1,\"kind\":\"file\"}}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plan line 2"));
    phx_apply()
        .args(["--root", r])
        .write_stdin(format!("{STEP}\n{STEP}\n{}\n", trailer(2)))
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
        "{STEP}\n{}\n{}\n",
        r#"{"v":1,"tool":"t","id":"bad","kind":"command","argv":["false"],"desc":"fails"}"#,
        trailer(2)
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

#[test]
fn report_to_writes_the_json_report_whatever_is_printed() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let report = root.path().join("report.json");
    let run = || {
        phx_apply()
            .args(["--root", r, "--report-to", report.to_str().unwrap()])
            .write_stdin(PLAN)
            .assert()
            .success()
            // The human recap is printed as without it.
            .stderr(predicate::str::contains("t: "))
            .stdout(predicate::str::is_empty());
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        v["outcomes"][0]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(run(), "changed");
    assert_eq!(run(), "ok", "replaced by the second run's report");
}

/// A planner that dies in a pipeline without pipefail leaves phx-apply an
/// empty or cut stream: that must never read as "nothing to change".
#[test]
fn a_stream_without_its_trailer_or_with_a_short_count_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let second = STEP.replace("\"a\"", "\"b\"").replace("/etc/a", "/etc/b");
    for (why, stream) in [
        ("empty", String::new()),
        ("no trailer", format!("{STEP}\n")),
        ("short count", format!("{STEP}\n{second}\n{}\n", trailer(1))),
        (
            "steps after the last trailer",
            format!("{PLAN}\n{second}\n"),
        ),
    ] {
        phx_apply()
            .args(["--root", r, "--check"])
            .write_stdin(stream)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "the plan is incomplete: its planner failed or the stream was cut",
            ));
        assert!(!root.path().join("etc").exists(), "{why}: nothing is done");
    }
}

#[test]
fn concatenated_segments_and_an_empty_estate_are_whole_plans() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let second = STEP.replace("\"a\"", "\"b\"").replace("/etc/a", "/etc/b");
    // `{ phx-net; phx-dns; } | phx-apply`: one trailer per tool; an empty estate is a trailer alone.
    let stream = format!("{PLAN}\n{}\n{second}\n{}\n", trailer(0), trailer(1));
    phx_apply()
        .args(["--root", r])
        .write_stdin(stream)
        .assert()
        .success()
        .stderr(predicate::str::contains("2 changed"));
    phx_apply()
        .args(["--root", r, "--check"])
        .write_stdin(trailer(0))
        .assert()
        .code(0);
}

#[test]
fn a_stream_past_the_size_bound_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let big = " ".repeat((256 << 20) + 16);
    phx_apply()
        .args(["--root", root.path().to_str().unwrap(), "--check"])
        .write_stdin(big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than 256 MiB"));
}

#[test]
fn every_written_plan_ends_with_its_trailer_even_when_empty() {
    use phx_plan::{read_jsonl, Plan};
    let mut out = Vec::new();
    Plan::new("phx-net").write_jsonl(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "{\"v\":1,\"tool\":\"phx-net\",\"kind\":\"end\",\"steps\":0}\n"
    );
    assert!(read_jsonl(&out[..]).unwrap().is_empty());
}

/// `phx-lxc | phx-apply --root R --check` must not answer "converged" while
/// `pct create` steps would run: their guards were never evaluated.
#[test]
fn check_under_a_root_counts_unevaluated_commands_as_pending() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let plan = format!(
        "{}\n{}\n",
        r#"{"v":1,"tool":"t","id":"create","kind":"command","argv":["pct","create","101"],"unless":["pct","status","101"],"desc":"create CT 101"}"#,
        trailer(1)
    );
    phx_apply()
        .args(["--root", r, "--check"])
        .write_stdin(plan.clone())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("1 commands not evaluated"));
    // Without --check nothing is pending: the preview counts the command as
    // skipped, and --verbose says why.
    phx_apply()
        .args(["--root", r])
        .write_stdin(plan.clone())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "t: 0 ok, 0 changed, 1 skipped, 0 failed",
        ));
    phx_apply()
        .args(["--root", r, "--verbose"])
        .write_stdin(plan)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("not run under --root"));
}

#[test]
fn several_plan_files_run_as_one_and_a_cut_one_stops_them_all() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    std::fs::write(&first, PLAN).unwrap();
    let cut = dir.path().join("cut.jsonl");
    let b = r#"{"v":1,"tool":"u","id":"b","kind":"file","path":"/etc/b","content":"b\n"}"#;
    std::fs::write(&cut, b).unwrap();
    phx_apply()
        .args(["--root", r])
        .arg(&first)
        .arg(&cut)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("incomplete"));
    assert!(!root.path().join("etc/a").exists(), "nothing was done");
    let whole = dir.path().join("whole.jsonl");
    std::fs::write(
        &whole,
        format!("{b}\n{{\"v\":1,\"tool\":\"u\",\"kind\":\"end\",\"steps\":1}}\n"),
    )
    .unwrap();
    phx_apply()
        .args(["--root", r])
        .arg(&first)
        .arg(&whole)
        .assert()
        .code(0);
    assert!(root.path().join("etc/a").exists() && root.path().join("etc/b").exists());
}
