//! A restart notified by a change is never lost: not to a later failed
//! step, not to a kill between the write and the handler.

use assert_cmd::Command;
use phx_apply::{apply, Status};
use phx_plan::*;
use std::path::Path;

use crate::common;
use common::{opts, step};

const LOG: &str = "echo h >> \"$PHX_ROOT/handlers.log\"";

fn log(root: &Path) -> String {
    std::fs::read_to_string(root.join("handlers.log")).unwrap_or_default()
}

#[test]
fn a_handler_notified_before_a_failed_step_still_runs() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        step(
            "a",
            Action::File(FileStep {
                path: "/etc/a".into(),
                content: "a\n".into(),
                notify: vec!["h".into()],
                ..Default::default()
            }),
        ),
        step(
            "bad",
            Action::Command(CommandStep {
                argv: argv(&["false"]),
                desc: "fails".into(),
                ..Default::default()
            }),
        ),
        step(
            "h",
            Action::Handler(HandlerStep {
                argv: argv(&["sh", "-c", LOG]),
                desc: "h".into(),
                ..Default::default()
            }),
        ),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.failed().unwrap().id, "bad");
    assert_eq!(log(root.path()), "h\n");
    assert_eq!(r.outcomes.last().unwrap().status, Status::Changed);
    // Nothing is owed any more: the next run restarts nothing.
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert!(r.handlers_fired().is_empty(), "{:?}", r.outcomes);
}

#[test]
fn a_kill_between_the_write_and_the_handler_does_not_lose_the_restart() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    // The command kills phx-apply (its parent) the first time only.
    let killer =
        "[ -e \"$PHX_ROOT/killed\" ] || { touch \"$PHX_ROOT/killed\"; kill -9 $PPID; sleep 5; }";
    let lines = [
        serde_json::json!({"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/a","content":"a\n","notify":["h"]}),
        serde_json::json!({"v":1,"tool":"t","id":"kill","kind":"command","argv":["sh","-c",killer],"desc":"kill"}),
        serde_json::json!({"v":1,"tool":"t","id":"h","kind":"handler","argv":["sh","-c",LOG],"desc":"h"}),
        serde_json::json!({"v":1,"tool":"t","kind":"end","steps":3}),
    ];
    let plan: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let run = || {
        Command::cargo_bin("phx-apply")
            .unwrap()
            .args(["--root", r, "--run-commands"])
            .write_stdin(plan.clone())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.code().is_none(), "killed by a signal");
    assert_eq!(
        std::fs::read_to_string(root.path().join("etc/a")).unwrap(),
        "a\n"
    );
    assert_eq!(log(root.path()), "", "the handler had not run yet");
    let second = run();
    assert!(second.status.success(), "{second:?}");
    assert_eq!(log(root.path()), "h\n", "the owed restart ran");
    let third = run();
    assert!(third.status.success());
    assert_eq!(log(root.path()), "h\n", "and only once");
}

#[test]
fn a_failed_handler_is_owed_until_it_succeeds() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        step(
            "a",
            Action::File(FileStep {
                path: "/etc/a".into(),
                content: "a\n".into(),
                notify: vec!["h".into()],
                ..Default::default()
            }),
        ),
        step(
            "h",
            Action::Handler(HandlerStep {
                argv: argv(&["sh", "-c", &format!("[ -e \"$PHX_ROOT/ok\" ] && {LOG}")]),
                desc: "h".into(),
                ..Default::default()
            }),
        ),
    ];
    assert!(apply(&plan, &opts(root.path())).unwrap().failed().is_some());
    std::fs::write(root.path().join("ok"), "").unwrap();
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.handlers_fired(), ["h"], "{:?}", r.outcomes);
    assert_eq!(log(root.path()), "h\n");
}
