//! Pruning reaches inside guests: when a run's backup directory is pruned,
//! its in-guest backups (`/var/lib/phoenix/backups/<run>` in each guest the
//! manifest names) go too; a guest that cannot be reached keeps the whole
//! run until a later prune can finish it. Runs that pruning spares keep
//! their guest backups.

use crate::guest_support;

use guest_support::*;
use phx_apply::{apply, Options, Report, Status};
use phx_plan::{Action, FileStep, GuestFileStep};
use std::path::Path;

const CONF: &str = "/etc/app/app.conf";

fn opts(root: &Path, path: std::ffi::OsString, keep: usize) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(path),
        keep_backups: keep,
        ..Default::default()
    }
}

fn guest_write(ctid: u32, content: &str) -> Action {
    Action::GuestFile(GuestFileStep {
        guest: ctid.into(),
        path: CONF.into(),
        content: Some(content.into()),
        ..Default::default()
    })
}

fn host_write(content: &str) -> Action {
    Action::File(FileStep {
        path: "/etc/host.conf".into(),
        content: content.into(),
        ..Default::default()
    })
}

fn run(r: &Path, path: &std::ffi::OsString, keep: usize, actions: Vec<Action>) -> Report {
    let report = apply(&plan(actions), &opts(r, path.clone(), keep)).unwrap();
    assert!(
        report.outcomes.iter().all(|o| o.status == Status::Changed),
        "{:?}",
        report.outcomes
    );
    report
}

fn run_id(report: &Report) -> String {
    let dir = report.backup_dir.as_ref().expect("the run has a backup");
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Where run `id`'s backups are inside CT `ctid`, seen from the host.
fn in_guest_backup(r: &Path, ctid: u32, id: &str) -> std::path::PathBuf {
    in_ct(r, ctid, &format!("/var/lib/phoenix/backups/{id}"))
}

fn host_backup(r: &Path, id: &str) -> std::path::PathBuf {
    r.join("var/lib/phoenix/backups").join(id)
}

fn guests(ctids: &[u32]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for &ct in ctids {
        running_ct(root.path(), ct);
        put(root.path(), ct, CONF, b"original\n", 0o644, 0, 0);
    }
    root
}

#[test]
fn a_pruned_run_takes_its_in_guest_backups_with_it_and_a_spared_run_keeps_them() {
    let root = guests(&[101, 102]);
    let r = root.path();
    let path = pct_path();
    let first = run_id(&run(
        r,
        &path,
        20,
        vec![guest_write(101, "one\n"), guest_write(102, "one\n")],
    ));
    for ct in [101, 102] {
        assert!(in_guest_backup(r, ct, &first)
            .join("etc/app/app.conf")
            .is_file());
    }
    // --keep-backups 0: every older run goes, this run's own stays.
    let second = run(r, &path, 0, vec![guest_write(101, "two\n")]);
    let second_id = run_id(&second);
    assert!(!host_backup(r, &first).exists());
    for ct in [101, 102] {
        assert!(
            !in_guest_backup(r, ct, &first).exists(),
            "CT {ct}: the pruned run's in-guest backup is removed"
        );
    }
    assert!(
        in_guest_backup(r, 101, &second_id)
            .join("etc/app/app.conf")
            .is_file(),
        "this run's own in-guest backup stays"
    );
    assert!(second.pruning.is_empty(), "{:?}", second.pruning);
}

#[test]
fn a_stopped_guest_holds_the_run_until_a_later_prune_can_finish_it() {
    let root = guests(&[101, 102]);
    let r = root.path();
    let path = pct_path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    let first = run_id(&run(
        r,
        &path,
        20,
        vec![guest_write(101, "one\n"), guest_write(102, "one\n")],
    ));
    assert!(pct(r, &["stop", "101"]).status.success());
    let second = run(r, &path, 0, vec![host_write("two\n")]);
    assert!(
        second
            .pruning
            .iter()
            .any(|l| l.contains(&first) && l.contains("CT 101 is not running")),
        "the report says why the run stays: {:?}",
        second.pruning
    );
    let text = phx_apply::report::text(&second, false);
    assert!(text.contains("CT 101 is not running"), "{text}");
    assert!(
        host_backup(r, &first).is_dir(),
        "the host directory stays, to remember the guest"
    );
    assert!(in_guest_backup(r, 101, &first).is_dir());
    assert!(
        !in_guest_backup(r, 102, &first).exists(),
        "the running guest's backup goes at once"
    );

    // CT 101 runs again: the next prune finishes the run. A guest that no
    // longer exists holds nothing.
    assert!(pct(r, &["start", "101"]).status.success());
    let third = run_id(&run(r, &path, 20, vec![guest_write(102, "three\n")]));
    assert!(pct(r, &["stop", "102"]).status.success());
    assert!(pct(r, &["destroy", "102"]).status.success());
    let fourth = run(r, &path, 0, vec![host_write("four\n")]);
    assert!(fourth.pruning.is_empty(), "{:?}", fourth.pruning);
    for id in [&first, &third] {
        assert!(!host_backup(r, id).exists(), "{id} pruned");
    }
    assert!(!in_guest_backup(r, 101, &first).exists());
}

#[test]
fn a_run_killed_while_backing_up_in_a_guest_is_pruned_there_too() {
    let root = guests(&[101]);
    let r = root.path();
    let path = pct_path();
    let first = run_id(&run(r, &path, 20, vec![guest_write(101, "one\n")]));
    // As if killed during the in-guest copy: the manifest ends after the
    // line naming the guest, in a line torn half-way.
    let manifest = host_backup(r, &first).join(".phoenix-manifest");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let end = text
        .find("{\"guest_backups\"")
        .expect("the guest is named first");
    let end = end + text[end..].find('\n').unwrap() + 1;
    let torn = format!("{}{{\"guest_saved\":{{\"ctid\":101,", &text[..end]);
    std::fs::write(&manifest, torn).unwrap();
    assert!(in_guest_backup(r, 101, &first).is_dir());
    let second = run(r, &path, 0, vec![guest_write(101, "two\n")]);
    assert!(second.pruning.is_empty(), "{:?}", second.pruning);
    assert!(!host_backup(r, &first).exists());
    assert!(!in_guest_backup(r, 101, &first).exists());
}
