//! What a run learns once and reuses (each directory resolved once, a
//! target looked at once, its size before its bytes) must not change what it
//! finds: a same-sized edit is still drift, a directory a command swaps for a
//! link mid-run is resolved again, and the answers are the uncached ones.

use phx_apply::{apply, confine, Options, Status};
use phx_plan::*;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::common::{file, opts, step};

fn sh(id: &str, script: &str) -> Step {
    step(
        id,
        Action::Command(CommandStep {
            show_output: false,
            argv: vec!["sh".into(), "-c".into(), script.into()],
            unless: None,
            only_if: None,
            desc: id.into(),
            notify: vec![],
            timeout_s: None,
        }),
    )
}

#[test]
fn same_size_other_content_is_drift_and_other_sizes_too() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/same"), "port 22\n").unwrap(); // as long as "port 23\n"
    std::fs::write(r.join("etc/longer"), "port 22222\n").unwrap();
    std::fs::write(r.join("etc/equal"), "ok\n").unwrap();
    let plan = [
        file("same", "/etc/same", "port 23\n"),
        file("longer", "/etc/longer", "port 23\n"),
        file("equal", "/etc/equal", "ok\n"),
    ];
    let check = Options {
        check: true,
        ..opts(r)
    };
    let rep = apply(&plan, &check).unwrap();
    let status: Vec<_> = rep.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(status, [Status::Changed, Status::Changed, Status::Ok]);
    let rep = apply(&plan, &opts(r)).unwrap();
    assert_eq!(rep.changed(), 2, "{:?}", rep.outcomes);
    for name in ["same", "longer"] {
        assert_eq!(
            std::fs::read_to_string(r.join("etc").join(name)).unwrap(),
            "port 23\n"
        );
    }
    // The replaced files were backed up whole, the unread one too.
    let backups = rep.backup_dir.unwrap();
    assert_eq!(
        std::fs::read_to_string(backups.join("etc/longer")).unwrap(),
        "port 22222\n"
    );
    assert_eq!(apply(&plan, &opts(r)).unwrap().changed(), 0);
}

#[test]
fn a_directory_a_command_swaps_for_a_link_is_resolved_again() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(r.join("etc/app")).unwrap();
    // The first write resolves /etc/app (a directory then); the command
    // makes it a link to a directory outside the root; the second write
    // must follow it inside the root, as a fresh resolution does.
    let swap = format!(
        "rm -r \"$PHX_ROOT/etc/app\" && ln -s {} \"$PHX_ROOT/etc/app\"",
        out.path().display()
    );
    let plan = [
        file("a", "/etc/app/a.conf", "a\n"),
        sh("swap", &swap),
        file("b", "/etc/app/b.conf", "b\n"),
    ];
    let rep = apply(&plan, &opts(r)).unwrap();
    assert!(rep.failed().is_none(), "{:?}", rep.outcomes);
    assert!(
        !out.path().join("b.conf").exists(),
        "the write followed the link out of the root"
    );
    let inside = r.join(out.path().strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read_to_string(inside.join("b.conf")).unwrap(),
        "b\n"
    );
}

/// A tree with links of every kind: the resolver's answers, asked in an
/// order that fills its cache first, are the uncached functions' answers.
#[test]
fn the_resolver_answers_as_the_full_walk_does() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for d in ["etc/real/sub", "srv/data", "var/lib"] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    symlink("/srv/data", r.join("etc/abs")).unwrap(); // absolute: from the root
    symlink("../../srv", r.join("etc/real/up")).unwrap(); // relative, with ..
    symlink("../../../../../..", r.join("var/lib/escape")).unwrap(); // .. past the root
    symlink("loop2", r.join("etc/loop1")).unwrap();
    symlink("loop1", r.join("etc/loop2")).unwrap();
    std::fs::write(r.join("srv/data/f"), "x").unwrap();
    symlink("/srv/data/f", r.join("etc/real/sub/lf")).unwrap(); // a linked last name
    let paths = [
        "/etc/real/sub/a",
        "/etc/real/sub/lf",
        "/etc/abs/f",
        "/etc/abs/new/deeper/g",
        "/etc/real/up/data/f",
        "/var/lib/escape/etc/real/sub/a",
        "/var/lib/escape/srv/data/f",
        "/missing/dir/file",
        "/etc/real",
    ];
    let cached = confine::Resolver::new(r);
    for round in 0..2 {
        for p in paths {
            let p = Path::new(p);
            assert_eq!(
                cached.resolve(p).unwrap(),
                confine::resolve(r, p).unwrap(),
                "round {round}: {}",
                p.display()
            );
            assert_eq!(
                cached.resolve_parent(p).unwrap(),
                confine::resolve_parent(r, p).unwrap(),
                "round {round}: {}",
                p.display()
            );
        }
    }
    let p = Path::new("/etc/loop1/x");
    assert!(confine::resolve(r, p).is_err());
    assert!(cached.resolve(p).is_err(), "a link loop is still refused");
    // A directory turned into a link: answered anew once forgotten.
    std::fs::remove_dir_all(r.join("etc/real/sub")).unwrap();
    symlink("/var/lib", r.join("etc/real/sub")).unwrap();
    cached.forget();
    let p = Path::new("/etc/real/sub/a");
    assert_eq!(cached.resolve(p).unwrap(), r.join("var/lib/a"));
}

/// --check --diff (phoenix-cli check) and the run agree on a target that is
/// not text: the size says it differs, the run replaces it, the diff shows
/// its bytes (found by a review: the diff read it as text and failed).
#[test]
fn check_diff_and_the_run_agree_on_a_target_that_is_not_text() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/bin"), [0xffu8, 0xfe, 0x00]).unwrap();
    let plan = [file("bin", "/etc/bin", "text\n")];
    let check = Options {
        check: true,
        diff: true,
        ..opts(r)
    };
    let checked = apply(&plan, &check).unwrap();
    assert_eq!(checked.outcomes[0].status, Status::Changed, "{checked:?}");
    assert!(checked.outcomes[0]
        .diff
        .as_deref()
        .unwrap()
        .contains("+text"));
    let applied = apply(&plan, &opts(r)).unwrap();
    assert_eq!(applied.outcomes[0].status, Status::Changed);
    assert_eq!(std::fs::read(r.join("etc/bin")).unwrap(), b"text\n");
}

/// What the checks resolved before the run took its lock is not trusted
/// after it: a directory another run turned into a link meanwhile is
/// resolved again, and the link out of the root refused (found by a review).
#[test]
fn a_directory_swapped_between_check_and_lock_is_resolved_again() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(r.join("etc/app")).unwrap();
    let plan = [file("a", "/etc/app/a.conf", "a\n")];
    let o = opts(r);
    let checked = phx_apply::check(&plan, &o).unwrap();
    std::fs::remove_dir(r.join("etc/app")).unwrap();
    symlink(out.path(), r.join("etc/app")).unwrap();
    let _ = phx_apply::apply_checked(checked, &o, &mut ());
    assert!(
        !out.path().join("a.conf").exists(),
        "written outside the root, through {}",
        out.path().display()
    );
}
