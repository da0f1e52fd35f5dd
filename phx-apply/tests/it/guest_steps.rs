//! The in-guest step kinds at the plan level, without a guest: their names
//! on the wire, what check_plan refuses, and what happens when what they
//! read is not there yet or cannot be reached.

use phx_apply::{apply, check_plan, Options, Status};
use phx_plan::{read_jsonl, Action, FromGuestStep, GuestFileStep, GuestSecretStep, Plan, Step};
use std::path::Path;

fn file_step(content: Option<&str>, from: Option<&str>, path: &str) -> Action {
    Action::GuestFile(GuestFileStep {
        guest: 101.into(),
        path: path.into(),
        content: content.map(String::from),
        content_from: from.map(String::from),
        ..Default::default()
    })
}

fn plan_of(actions: Vec<Action>) -> Vec<Step> {
    let mut p = Plan::new("t");
    for (i, a) in actions.into_iter().enumerate() {
        p.push(format!("s{i}"), a);
    }
    p.steps
}

#[test]
fn kinds_round_trip_with_their_names() {
    let steps = plan_of(vec![
        file_step(Some("x"), None, "/etc/x"),
        Action::GuestSecret(GuestSecretStep {
            guest: 1.into(),
            path: "/s".into(),
            bytes: 8,
            mode: "0600".into(),
        }),
        Action::FromGuest(FromGuestStep {
            guest: 1.into(),
            from: "/a".into(),
            path: "/b".into(),
            ..Default::default()
        }),
    ]);
    let mut p = Plan::new("t");
    p.steps = steps.clone();
    let mut buf = Vec::new();
    p.write_jsonl(&mut buf).unwrap();
    let text = String::from_utf8(buf.clone()).unwrap();
    for k in [
        "\"kind\":\"guest_file\"",
        "\"kind\":\"guest_secret\"",
        "\"kind\":\"from_guest\"",
    ] {
        assert!(text.contains(k), "{text}");
    }
    assert_eq!(read_jsonl(&buf[..]).unwrap(), steps);
}

#[test]
fn bad_guest_steps_are_refused_before_anything_runs() {
    for (a, why) in [
        (file_step(Some("x"), Some("/h"), "/etc/x"), "exactly one"),
        (file_step(None, None, "/etc/x"), "exactly one"),
        (file_step(Some("x"), None, "etc/x"), "absolute"),
        (file_step(Some("x"), None, "/etc/../x"), "absolute"),
        (file_step(None, Some("rel"), "/etc/x"), "absolute"),
    ] {
        let e = check_plan(&plan_of(vec![a])).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
}

fn opts(root: &Path, run_commands: bool, check: bool) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands,
        check,
        ..Default::default()
    }
}

#[test]
fn content_from_a_file_not_there_yet() {
    let root = tempfile::tempdir().unwrap();
    let steps = plan_of(vec![file_step(None, Some("/ssl/root.crt"), "/etc/x")]);
    // A check cannot see what an earlier step of a real run would make.
    let r = apply(&steps, &opts(root.path(), true, true)).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Skipped, "{:?}", r.outcomes[0]);
    let r = apply(&steps, &opts(root.path(), true, false)).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Failed);
    assert!(r.outcomes[0]
        .detail
        .contains("/ssl/root.crt does not exist"));
}

#[test]
fn a_preview_does_not_reach_into_guests() {
    let root = tempfile::tempdir().unwrap();
    let steps = plan_of(vec![file_step(Some("x"), None, "/etc/x")]);
    let r = apply(&steps, &opts(root.path(), false, false)).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Skipped);
    assert!(r.outcomes[0].detail.contains("not run under --root"));
}
