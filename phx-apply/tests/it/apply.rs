//! The executor's contract (docs/safety.md, docs/plan.md), exercised on temp roots.

use phx_apply::{apply, Options, Report, Status};
use phx_plan::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::common;
use common::{opts, step};

fn file(id: &str, path: &str, content: &str, notify: &[&str]) -> Step {
    step(
        id,
        Action::File(FileStep {
            path: path.into(),
            content: content.into(),
            notify: notify.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
    )
}

fn handler(id: &str, argv_: &[&str]) -> Step {
    step(
        id,
        Action::Handler(HandlerStep {
            superseded_by: vec![],
            confirm: false,
            only_if: None,
            argv: argv(argv_),
            desc: id.into(),
        }),
    )
}

/// A handler that appends its id to `$PHX_ROOT/handlers.log`, so tests count real runs.
fn logging_handler(id: &str) -> Step {
    handler(
        id,
        &[
            "sh",
            "-c",
            &format!("echo {id} >> \"$PHX_ROOT/handlers.log\""),
        ],
    )
}

fn status_of(r: &Report, id: &str) -> Status {
    r.outcomes
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no outcome for {id}"))
        .status
}

fn read(root: &Path, p: &str) -> String {
    std::fs::read_to_string(root.join(p.trim_start_matches('/'))).unwrap_or_default()
}

#[test]
fn equal_content_is_not_rewritten_and_second_run_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        file("a", "/etc/a.conf", "one\n", &["h"]),
        logging_handler("h"),
    ];
    let first = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(status_of(&first, "a"), Status::Changed);
    assert_eq!(first.handlers_fired(), vec!["h"]);
    let ino = std::fs::metadata(root.path().join("etc/a.conf"))
        .unwrap()
        .ino();

    let second = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(second.changed(), 0, "{:?}", second.outcomes);
    assert!(second.handlers_fired().is_empty());
    // Same inode: the file was not replaced (a rewrite renames a new inode in).
    assert_eq!(
        std::fs::metadata(root.path().join("etc/a.conf"))
            .unwrap()
            .ino(),
        ino
    );
    assert_eq!(read(root.path(), "/handlers.log"), "h\n");
}

#[test]
fn write_is_atomic_rename_and_leaves_no_temp_files() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a.conf"), "old\n").unwrap();
    let before = std::fs::metadata(root.path().join("etc/a.conf"))
        .unwrap()
        .ino();
    apply(
        &[file("a", "/etc/a.conf", "new\n", &[])],
        &opts(root.path()),
    )
    .unwrap();
    let after = std::fs::metadata(root.path().join("etc/a.conf"))
        .unwrap()
        .ino();
    assert_ne!(
        before, after,
        "content must arrive by rename of a new file, not in-place truncation"
    );
    let leftovers: Vec<_> = std::fs::read_dir(root.path().join("etc"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("a.conf")]);
}

#[test]
fn replaced_files_are_backed_up() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a.conf"), "old\n").unwrap();
    let r = apply(
        &[file("a", "/etc/a.conf", "new\n", &[])],
        &opts(root.path()),
    )
    .unwrap();
    let backup = r
        .backup_dir
        .expect("a backup dir is reported")
        .join("etc/a.conf");
    assert!(backup.starts_with(root.path().join("var/lib/phoenix/backups")));
    assert_eq!(std::fs::read_to_string(backup).unwrap(), "old\n");
}

#[test]
fn failed_validation_keeps_the_old_file() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a.conf"), "good\n").unwrap();
    let validated = |content: &str| {
        step(
            "a",
            Action::File(FileStep {
                path: "/etc/a.conf".into(),
                content: content.into(),
                validate: Some(argv(&["grep", "-q", "good", "%s"])),
                notify: vec!["h".into()],
                ..Default::default()
            }),
        )
    };
    let r = apply(
        &[validated("bad\n"), logging_handler("h")],
        &opts(root.path()),
    )
    .unwrap();
    assert_eq!(status_of(&r, "a"), Status::Failed);
    assert!(
        r.failed().unwrap().detail.contains("validation failed"),
        "{}",
        r.failed().unwrap().detail
    );
    assert_eq!(read(root.path(), "/etc/a.conf"), "good\n");
    assert_eq!(r.outcomes.len(), 1, "a failed step stops the run");
    // The validator sees the new content: a passing one lets it through.
    let r = apply(
        &[validated("good and new\n"), logging_handler("h")],
        &opts(root.path()),
    )
    .unwrap();
    assert_eq!(status_of(&r, "a"), Status::Changed);
    assert_eq!(read(root.path(), "/etc/a.conf"), "good and new\n");
}

#[test]
fn handlers_fire_once_and_only_when_notified() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        file("a", "/etc/a", "1\n", &["h1"]),
        file("b", "/etc/b", "2\n", &["h1"]),
        file("c", "/etc/c", "3\n", &[]),
        logging_handler("h1"),
        logging_handler("h2"),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.handlers_fired(), vec!["h1"]);
    assert_eq!(status_of(&r, "h2"), Status::Skipped);
    assert_eq!(read(root.path(), "/handlers.log"), "h1\n");
    // Only b changes: h1 fires again, once.
    let mut plan2 = plan.clone();
    plan2[1] = file("b", "/etc/b", "2b\n", &["h1"]);
    let r = apply(&plan2, &opts(root.path())).unwrap();
    assert_eq!(r.handlers_fired(), vec!["h1"]);
    assert_eq!(read(root.path(), "/handlers.log"), "h1\nh1\n");
}

#[test]
fn unless_and_only_if_guard_commands() {
    let root = tempfile::tempdir().unwrap();
    let cmd = |id: &str, unless: Option<&[&str]>, only_if: Option<&[&str]>| {
        step(
            id,
            Action::Command(CommandStep {
                show_output: false,
                argv: argv(&["sh", "-c", &format!("echo {id} >> \"$PHX_ROOT/cmd.log\"")]),
                unless: unless.map(argv),
                only_if: only_if.map(argv),
                desc: id.into(),
                notify: vec![],
                timeout_s: None,
            }),
        )
    };
    let plan = vec![
        cmd("skip-unless", Some(&["true"]), None),
        cmd("run-unless", Some(&["false"]), None),
        cmd("skip-only-if", None, Some(&["false"])),
        cmd("run-only-if", None, Some(&["true"])),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(read(root.path(), "/cmd.log"), "run-unless\nrun-only-if\n");
    assert_eq!(status_of(&r, "skip-unless"), Status::Ok);
    assert_eq!(status_of(&r, "run-unless"), Status::Changed);
}

#[test]
fn commands_under_a_root_are_reported_not_run_without_run_commands() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        step(
            "c",
            Action::Command(CommandStep {
                argv: argv(&["sh", "-c", "touch \"$PHX_ROOT/ran\""]),
                desc: "c".into(),
                ..Default::default()
            }),
        ),
        file("a", "/etc/a", "1\n", &["h"]),
        handler("h", &["sh", "-c", "touch \"$PHX_ROOT/handler-ran\""]),
    ];
    let o = Options {
        run_commands: false,
        ..opts(root.path())
    };
    let r = apply(&plan, &o).unwrap();
    assert_eq!(status_of(&r, "c"), Status::Skipped);
    assert_eq!(
        status_of(&r, "h"),
        Status::Changed,
        "a notified handler is reported as would-run"
    );
    assert!(!r.outcomes.iter().any(|o| o.ran));
    assert!(!root.path().join("ran").exists() && !root.path().join("handler-ran").exists());
}

#[test]
fn a_failed_command_stops_the_run_and_says_what_it_ran_and_printed() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        file("first", "/etc/first", "x\n", &[]),
        step(
            "boom",
            Action::Command(CommandStep {
                argv: argv(&["sh", "-c", "echo out-text; echo err-text >&2; exit 7"]),
                desc: "boom".into(),
                ..Default::default()
            }),
        ),
        file("never", "/etc/never", "x\n", &[]),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    let f = r.failed().unwrap();
    assert_eq!(f.id, "boom");
    for needle in ["sh -c", "status 7", "out-text", "err-text"] {
        assert!(
            f.detail.contains(needle),
            "{needle:?} missing from {:?}",
            f.detail
        );
    }
    assert_eq!(
        read(root.path(), "/etc/first"),
        "x\n",
        "steps already done stay done"
    );
    assert!(!root.path().join("etc/never").exists());
}

#[test]
fn check_mode_changes_nothing_and_reports_pending() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![file("a", "/etc/a", "1\n", &["h"]), logging_handler("h")];
    let o = Options {
        check: true,
        diff: true,
        ..opts(root.path())
    };
    let r = apply(&plan, &o).unwrap();
    assert_eq!(r.changed(), 2);
    assert!(r.outcomes[0].diff.as_deref().unwrap().contains("+1"));
    assert!(
        !root.path().join("etc").exists()
            && !root.path().join("var").exists()
            && !root.path().join("handlers.log").exists()
    );
}

#[test]
fn secrets_are_created_once_and_never_shown() {
    let root = tempfile::tempdir().unwrap();
    let plan = vec![
        step(
            "s",
            Action::Secret(SecretStep {
                path: "/etc/phx/pw".into(),
                bytes: 16,
                mode: Some("0600".into()),
            }),
        ),
        step(
            "f",
            Action::File(FileStep {
                path: "/etc/phx/token".into(),
                content: "TOPSECRET-VALUE\n".into(),
                secret: true,
                mode: Some("0600".into()),
                ..Default::default()
            }),
        ),
    ];
    let o = Options {
        diff: true,
        ..opts(root.path())
    };
    let r = apply(&plan, &o).unwrap();
    let secret = read(root.path(), "/etc/phx/pw");
    assert_eq!(secret.len(), 32);
    let shown = serde_json::to_string(&r).unwrap() + &phx_apply::report::text(&r, false);
    assert!(
        !shown.contains(&secret) && !shown.contains("TOPSECRET"),
        "{shown}"
    );
    assert!(shown.contains("<secret>"));
    let meta = std::fs::metadata(root.path().join("etc/phx/pw")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let r2 = apply(&plan, &o).unwrap();
    assert_eq!(r2.changed(), 0);
    assert_eq!(
        read(root.path(), "/etc/phx/pw"),
        secret,
        "never overwritten"
    );
}

#[test]
fn mode_drift_is_repaired_without_rewriting() {
    let root = tempfile::tempdir().unwrap();
    let s = step(
        "f",
        Action::File(FileStep {
            path: "/etc/m".into(),
            content: "x\n".into(),
            mode: Some("0640".into()),
            ..Default::default()
        }),
    );
    apply(std::slice::from_ref(&s), &opts(root.path())).unwrap();
    let p = root.path().join("etc/m");
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640
    );
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
    let r = apply(std::slice::from_ref(&s), &opts(root.path())).unwrap();
    assert_eq!(r.changed(), 1);
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn one_run_at_a_time() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("var/lib/phoenix");
    std::fs::create_dir_all(&dir).unwrap();
    let f = std::fs::File::create(dir.join("apply.lock")).unwrap();
    let _held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock).unwrap();
    let err = apply(&[file("a", "/etc/a", "1\n", &[])], &opts(root.path())).unwrap_err();
    assert!(format!("{err}").contains("another phx-apply"), "{err}");
    assert!(!root.path().join("etc/a").exists());
}

#[test]
fn notify_of_an_unknown_handler_is_refused_before_anything_runs() {
    let root = tempfile::tempdir().unwrap();
    let err = apply(&[file("a", "/etc/a", "1\n", &["nope"])], &opts(root.path())).unwrap_err();
    assert!(format!("{err}").contains("\"nope\""));
    assert!(!root.path().join("etc").exists());
}

#[test]
fn block_and_absent_steps_converge() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::write(root.path().join("etc/old"), "x\n").unwrap();
    let plan = vec![
        step(
            "b",
            Action::Block(BlockStep {
                path: "/etc/hosts".into(),
                marker: "m".into(),
                content: "10.0.0.1 a\n".into(),
                notify: vec![],
            }),
        ),
        step(
            "gone",
            Action::Absent(AbsentStep {
                path: "/etc/old".into(),
                notify: vec![],
                ..Default::default()
            }),
        ),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.changed(), 2);
    assert_eq!(
        read(root.path(), "/etc/hosts"),
        "127.0.0.1 localhost\n# BEGIN phoenix m\n10.0.0.1 a\n# END phoenix m\n"
    );
    assert!(!root.path().join("etc/old").exists());
    assert_eq!(apply(&plan, &opts(root.path())).unwrap().changed(), 0);
}

#[test]
fn a_run_can_be_rolled_back() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/kept"), "before\n").unwrap();
    std::fs::write(root.path().join("etc/gone"), "was here\n").unwrap();
    let plan = vec![
        file("kept", "/etc/kept", "after\n", &[]),
        file("new", "/etc/new", "fresh\n", &[]),
        step(
            "gone",
            Action::Absent(AbsentStep {
                path: "/etc/gone".into(),
                notify: vec![],
                ..Default::default()
            }),
        ),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    let done = phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    assert_eq!(done.lines.len(), 3, "{done:?}");
    assert_eq!(read(root.path(), "/etc/kept"), "before\n");
    assert_eq!(read(root.path(), "/etc/gone"), "was here\n");
    assert!(!root.path().join("etc/new").exists());
}

#[test]
fn a_notified_handler_still_obeys_only_if() {
    let root = tempfile::tempdir().unwrap();
    let guarded = |id: &str, guard: &str| {
        step(
            id,
            Action::Handler(HandlerStep {
                superseded_by: vec![],
                confirm: false,
                argv: argv(&[
                    "sh",
                    "-c",
                    &format!("echo {id} >> \"$PHX_ROOT/handlers.log\""),
                ]),
                desc: id.into(),
                only_if: Some(argv(&[guard])),
            }),
        )
    };
    let plan = vec![
        file("a", "/etc/a", "1\n", &["no", "yes"]),
        guarded("no", "false"),
        guarded("yes", "true"),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(status_of(&r, "no"), Status::Ok);
    assert_eq!(r.handlers_fired(), vec!["yes"]);
    assert_eq!(read(root.path(), "/handlers.log"), "yes\n");
}

#[test]
fn two_edits_of_one_file_back_up_the_original() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/hosts"), "original\n").unwrap();
    let block = |id: &str, marker: &str| {
        step(
            id,
            Action::Block(BlockStep {
                path: "/etc/hosts".into(),
                marker: marker.into(),
                content: "x\n".into(),
                notify: vec![],
            }),
        )
    };
    let r = apply(&[block("one", "a"), block("two", "b")], &opts(root.path())).unwrap();
    assert_eq!(
        std::fs::read_to_string(r.backup_dir.unwrap().join("etc/hosts")).unwrap(),
        "original\n"
    );
}

#[test]
fn odd_mode_spellings_converge_in_one_run() {
    let root = tempfile::tempdir().unwrap();
    let s = step(
        "f",
        Action::File(FileStep {
            path: "/etc/m".into(),
            content: "x\n".into(),
            mode: Some("0o600".into()),
            ..Default::default()
        }),
    );
    apply(std::slice::from_ref(&s), &opts(root.path())).unwrap();
    assert_eq!(
        std::fs::metadata(root.path().join("etc/m"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        apply(std::slice::from_ref(&s), &opts(root.path()))
            .unwrap()
            .changed(),
        0
    );
}

#[test]
fn a_handler_is_superseded_when_its_superseder_was_notified() {
    let root = tempfile::tempdir().unwrap();
    let reload = step(
        "reload",
        Action::Handler(HandlerStep {
            argv: argv(&["sh", "-c", "echo reload >> \"$PHX_ROOT/handlers.log\""]),
            confirm: false,
            desc: "r".into(),
            only_if: None,
            superseded_by: vec!["restart".into()],
        }),
    );
    let records_only = vec![
        file("records", "/etc/rec", "1\n", &["reload"]),
        file("conf", "/etc/conf", "1\n", &[]),
        reload.clone(),
        logging_handler("restart"),
    ];
    let r = apply(&records_only, &opts(root.path())).unwrap();
    assert_eq!(r.handlers_fired(), vec!["reload"]);
    let both = vec![
        file("records", "/etc/rec", "2\n", &["reload"]),
        file("conf", "/etc/conf", "2\n", &["restart"]),
        reload,
        logging_handler("restart"),
    ];
    let r = apply(&both, &opts(root.path())).unwrap();
    assert_eq!(r.handlers_fired(), vec!["restart"]);
    assert_eq!(read(root.path(), "/handlers.log"), "reload\nrestart\n");
}

#[test]
fn validators_see_the_root_prefix_as_percent_r() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/marker"), "").unwrap();
    let s = step(
        "f",
        Action::File(FileStep {
            path: "/etc/f".into(),
            content: "x\n".into(),
            validate: Some(argv(&["test", "-e", "%r/etc/marker"])),
            ..Default::default()
        }),
    );
    assert_eq!(
        apply(std::slice::from_ref(&s), &opts(root.path()))
            .unwrap()
            .changed(),
        1
    );
    std::fs::remove_file(root.path().join("etc/marker")).unwrap();
    let s2 = step(
        "f",
        Action::File(FileStep {
            path: "/etc/f".into(),
            content: "y\n".into(),
            validate: Some(argv(&["test", "-e", "%r/etc/marker"])),
            ..Default::default()
        }),
    );
    assert!(apply(&[s2], &opts(root.path())).unwrap().failed().is_some());
}
