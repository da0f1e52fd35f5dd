//! The whole plan is checked before its first step: a bad plan is exit 2
//! with nothing done, never a failure half-way through.

use assert_cmd::Command;
use phx_apply::check_plan;
use phx_plan::*;
use predicates::prelude::*;

use crate::common;
use common::step;

fn file_with(f: impl FnOnce(&mut FileStep)) -> Step {
    let mut fs = FileStep {
        path: "/etc/x".into(),
        content: "x\n".into(),
        ..Default::default()
    };
    f(&mut fs);
    step("x", Action::File(fs))
}

fn secret_ref(placeholder: &str) -> SecretRef {
    SecretRef {
        file: "/etc/phoenix/vms.json".into(),
        pointer: "/vms/0/user_config/password".into(),
        placeholder: placeholder.into(),
        guard: None,
        sha512_crypt: false,
    }
}

#[test]
fn a_bad_mode_late_in_the_plan_stops_it_before_the_first_write() {
    let root = tempfile::tempdir().unwrap();
    let plan = concat!(
        r#"{"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/a","content":"a\n"}"#,
        "\n",
        r#"{"v":1,"tool":"t","id":"b","kind":"file","path":"/etc/b","content":"b\n","mode":"0999"}"#,
        "\n",
        r#"{"v":1,"tool":"t","kind":"end","steps":2}"#,
        "\n"
    );
    Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap()])
        .write_stdin(plan)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"b\"").and(predicate::str::contains("0999")));
    assert!(
        !root.path().join("etc/a").exists(),
        "the first step was done"
    );
}

#[test]
fn every_kind_of_bad_step_is_refused_and_all_are_listed() {
    let block = |marker: &str, content: &str| {
        step(
            "x",
            Action::Block(BlockStep {
                path: "/etc/hosts".into(),
                marker: marker.into(),
                content: content.into(),
                notify: vec![],
            }),
        )
    };
    let cases: Vec<(&str, Step)> = vec![
        ("NUL", file_with(|f| f.path = "/etc/a\0b".into())),
        ("directory", file_with(|f| f.path = "/".into())),
        ("directory", file_with(|f| f.path = "/etc/".into())),
        ("components", file_with(|f| f.path = "/etc/x/.".into())),
        ("components", file_with(|f| f.path = "/etc/../x".into())),
        ("absolute", file_with(|f| f.path = "etc/x".into())),
        (
            "own state",
            file_with(|f| f.path = "/var/lib/phoenix/apply.lock".into()),
        ),
        (
            "own state",
            file_with(|f| f.path = "/var/lib/phoenix/backups/1-2-3/etc/x".into()),
        ),
        ("octal", file_with(|f| f.mode = Some("rw-r--r--".into()))),
        ("setuid", file_with(|f| f.mode = Some("4755".into()))),
        (
            "does not exist",
            file_with(|f| f.owner = Some("phx-no-such-user".into())),
        ),
        (
            "does not exist",
            file_with(|f| f.group = Some("phx-no-such-group".into())),
        ),
        (
            "byte bound",
            file_with(|f| f.content = "x".repeat(phx_apply::MAX_HOST_CONTENT_BYTES + 1)),
        ),
        ("empty argv", file_with(|f| f.validate = Some(vec![]))),
        (
            "needs \"secret\"",
            file_with(|f| f.secret_from = Some(secret_ref("@S@"))),
        ),
        (
            "exactly once",
            file_with(|f| {
                f.secret = true;
                f.content = "@S@ @S@\n".into();
                f.secret_from = Some(secret_ref("@S@"));
            }),
        ),
        (
            "not an absolute path",
            file_with(|f| {
                f.secret = true;
                f.content = "@S@\n".into();
                f.secret_from = Some(SecretRef {
                    file: "etc/vms.json".into(),
                    ..secret_ref("@S@")
                });
            }),
        ),
        (
            "a mode others cannot read (none given: 0644)",
            file_with(|f| {
                f.secret = true;
                f.content = "@S@\n".into();
                f.secret_from = Some(secret_ref("@S@"));
            }),
        ),
        (
            "mode \"0644\" lets others read it",
            file_with(|f| {
                f.secret = true;
                f.mode = Some("0644".into());
                f.content = "@S@\n".into();
                f.secret_from = Some(secret_ref("@S@"));
            }),
        ),
        ("line break", block("a\nb", "x\n")),
        ("own marker", block("m", "x\n# END phoenix m\ny\n")),
        (
            "line break",
            step(
                "x",
                Action::Lines(LinesStep {
                    path: "/etc/l".into(),
                    lines: vec!["ok".into(), "two\nlines".into()],
                    ..Default::default()
                }),
            ),
        ),
        (
            "between 1 and",
            step(
                "x",
                Action::Secret(SecretStep {
                    path: "/etc/s".into(),
                    bytes: (1 << 20) + 1,
                    mode: None,
                }),
            ),
        ),
    ];
    for (want, s) in cases {
        let err = check_plan(std::slice::from_ref(&s))
            .expect_err(&format!("accepted: {s:?}"))
            .to_string();
        assert!(err.contains(want), "{want:?} not in {err}");
    }
    // A setuid mode the step means is accepted.
    check_plan(&[file_with(|f| {
        f.mode = Some("4755".into());
        f.setid = true;
    })])
    .unwrap();
}

#[test]
fn a_path_that_is_a_directory_under_the_root_is_refused() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc/x")).unwrap();
    let opts = common::opts(root.path());
    let err = phx_apply::apply(&[file_with(|_| {})], &opts).unwrap_err();
    assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
}

#[test]
fn past_a_hundred_problems_the_rest_are_counted() {
    let steps: Vec<Step> = (0..150)
        .map(|i| {
            let mut s = file_with(|f| f.mode = Some("9".into()));
            s.id = format!("s{i}");
            s
        })
        .collect();
    let err = check_plan(&steps).unwrap_err().to_string();
    assert!(err.contains("… and 50 more"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("step ")).count(), 100);
}
