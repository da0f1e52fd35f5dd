//! `--root` confines: a symlink in the tree never takes a write, read, lock,
//! backup, rollback or removal out of the root.

use phx_apply::{apply, Options};
use phx_plan::*;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::common::{self, file};
use common::{opts, step};

/// A directory outside the root holding one precious file.
fn outside() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a"), "precious\n").unwrap();
    d
}

fn untouched(d: &Path) {
    let names: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["a"], "nothing new outside the root");
    assert_eq!(std::fs::read_to_string(d.join("a")).unwrap(), "precious\n");
}

#[test]
fn a_linked_etc_does_not_take_writes_reads_or_removals_out() {
    let root = tempfile::tempdir().unwrap();
    let out = outside();
    symlink(out.path(), root.path().join("etc")).unwrap();
    let plan = [
        file("w", "/etc/a", "mine\n"),
        file("n", "/etc/new", "new\n"),
        step(
            "rm",
            Action::Absent(AbsentStep {
                path: "/etc/a".into(),
                notify: vec![],
                ..Default::default()
            }),
        ),
    ];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert!(r.failed().is_none(), "{:?}", r.outcomes);
    untouched(out.path());
    // The link resolves as if the root were `/`: to the same path inside it.
    let inside = root.path().join(out.path().strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read_to_string(inside.join("new")).unwrap(),
        "new\n"
    );
}

#[test]
fn a_linked_file_is_read_inside_the_root_and_replaced_as_a_link() {
    let root = tempfile::tempdir().unwrap();
    let out = outside();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    symlink(out.path().join("a"), root.path().join("etc/hosts")).unwrap();
    let o = Options {
        diff: true,
        ..opts(root.path())
    };
    let r = apply(&[file("h", "/etc/hosts", "10.0.0.1 x\n")], &o).unwrap();
    let diff = r.outcomes[0].diff.clone().unwrap();
    assert!(!diff.contains("precious"), "read the host's file: {diff}");
    untouched(out.path());
    let backups = root.path().join("var/lib/phoenix/backups");
    let leaked = walk(&backups)
        .iter()
        .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("precious")));
    assert!(!leaked, "the host's file was copied into a backup");
}

#[test]
fn a_linked_state_dir_keeps_lock_and_backups_inside() {
    let root = tempfile::tempdir().unwrap();
    let out = outside();
    std::fs::create_dir_all(root.path().join("var/lib")).unwrap();
    symlink(out.path(), root.path().join("var/lib/phoenix")).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a"), "old\n").unwrap();
    let r = apply(&[file("w", "/etc/a", "new\n")], &opts(root.path())).unwrap();
    untouched(out.path());
    assert!(r.backup_dir.unwrap().starts_with(root.path()));
}

#[test]
fn a_tampered_manifest_cannot_remove_outside_the_root() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(parent.path().join("x"), "keep\n").unwrap();
    let r = apply(&[file("w", "/etc/a", "new\n")], &opts(&root)).unwrap();
    let dir = r.backup_dir.unwrap();
    // Appended with the key, as only root could: the MAC holds, the path check still refuses.
    phx_apply::manifest::append(
        &dir,
        &phx_apply::manifest::Entry::Created {
            path: "/../x".into(),
        },
    )
    .unwrap();
    let err = phx_apply::rollback::rollback(&root, &dir).unwrap_err();
    assert!(format!("{err:#}").contains("/../x"), "{err:#}");
    assert!(parent.path().join("x").exists());
    assert!(root.join("etc/a").exists(), "nothing was undone");
}

#[test]
fn rollback_of_a_directory_outside_the_backups_is_refused() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a"), "old\n").unwrap();
    let r = apply(&[file("w", "/etc/a", "new\n")], &opts(root.path())).unwrap();
    // A copy of a genuine backup, elsewhere: well formed, but not this root's.
    let elsewhere = tempfile::tempdir().unwrap();
    let fake = elsewhere
        .path()
        .join(r.backup_dir.unwrap().file_name().unwrap());
    std::process::Command::new("cp")
        .arg("-a")
        .arg(
            root.path()
                .join("var/lib/phoenix/backups")
                .read_dir()
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        )
        .arg(&fake)
        .status()
        .unwrap();
    for arg in [fake.as_os_str(), "../../../../etc".as_ref()] {
        assert_cmd::Command::cargo_bin("phx-apply")
            .unwrap()
            .args(["--root", root.path().to_str().unwrap(), "--rollback"])
            .arg(arg)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("not a run's backup"));
    }
    assert_eq!(
        std::fs::read_to_string(root.path().join("etc/a")).unwrap(),
        "new\n"
    );
}

#[test]
fn validators_under_a_root_run_only_with_run_commands() {
    let root = tempfile::tempdir().unwrap();
    let step_ = step(
        "v",
        Action::File(FileStep {
            path: "/etc/v".into(),
            content: "x\n".into(),
            validate: Some(argv(&["sh", "-c", "touch \"$PHX_ROOT/validated\"; exit 1"])),
            ..Default::default()
        }),
    );
    let o = Options {
        run_commands: false,
        ..opts(root.path())
    };
    let r = apply(std::slice::from_ref(&step_), &o).unwrap();
    assert!(
        r.outcomes[0].detail.contains("not validated"),
        "{:?}",
        r.outcomes
    );
    assert!(!root.path().join("validated").exists(), "the validator ran");
    let fresh = tempfile::tempdir().unwrap();
    let r = apply(&[step_], &opts(fresh.path())).unwrap();
    assert!(
        r.failed().is_some(),
        "with --run-commands it runs (and refuses)"
    );
}

fn walk(d: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(d) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
