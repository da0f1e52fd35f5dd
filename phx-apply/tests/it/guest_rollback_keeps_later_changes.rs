//! A guest rollback, as a host one, touches only files that still hold what
//! the rolled-back run left there: a later run's change is kept and named
//! (and `--rollback` exits 1).

use crate::guest_support;

use guest_support::*;
use phx_apply::{apply, Options};
use phx_plan::{Action, GuestFileStep};
use std::path::{Path, PathBuf};

const CT: u32 = 101;
const CONF: &str = "/etc/app/app.conf";
const NEW: &str = "/etc/app/new.conf";

fn opts(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(pct_path()),
        ..Default::default()
    }
}

fn write_both(root: &Path, content: &str) -> PathBuf {
    let steps = plan(
        [CONF, NEW]
            .into_iter()
            .map(|p| {
                Action::GuestFile(GuestFileStep {
                    guest: CT.into(),
                    path: p.into(),
                    content: Some(content.into()),
                    ..Default::default()
                })
            })
            .collect(),
    );
    let report = apply(&steps, &opts(root)).unwrap();
    report.backup_dir.expect("the run changed files")
}

#[test]
fn rolling_back_run_1_keeps_what_run_2_wrote_and_says_so() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_ct(r, CT);
    put(r, CT, CONF, b"original\n", 0o644, 0, 0);
    let run1 = write_both(r, "first\n");
    write_both(r, "second\n");
    let done = phx_apply::rollback::rollback_and_rerun(&opts(r), &run1).unwrap();
    assert_eq!(stat(r, CT, CONF).0, b"second\n", "{done:?}");
    assert_eq!(stat(r, CT, NEW).0, b"second\n", "{done:?}");
    assert_eq!(
        done.kept,
        [format!("CT {CT}: {CONF}"), format!("CT {CT}: {NEW}")]
    );
    assert!(
        done.lines
            .iter()
            .any(|l| l.starts_with(&format!("kept CT {CT}: {CONF}: it changed since"))),
        "{done:?}"
    );
}

#[test]
fn the_cli_exits_1_naming_the_kept_guest_file() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_ct(r, CT);
    put(r, CT, CONF, b"original\n", 0o644, 0, 0);
    let run1 = write_both(r, "first\n");
    write_both(r, "second\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phx-apply"))
        .args([
            "--root",
            r.to_str().unwrap(),
            "--run-commands",
            "--rollback",
        ])
        .arg(&run1)
        .env("PATH", pct_path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("CT {CT}: {CONF}")), "{stderr}");
    assert_eq!(stat(r, CT, CONF).0, b"second\n");
}

#[test]
fn an_unchanged_guest_file_is_still_restored() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_ct(r, CT);
    put(r, CT, CONF, b"original\n", 0o644, 0, 0);
    let run1 = write_both(r, "first\n");
    let done = phx_apply::rollback::rollback_and_rerun(&opts(r), &run1).unwrap();
    assert!(done.kept.is_empty(), "{done:?}");
    assert_eq!(stat(r, CT, CONF).0, b"original\n");
    assert!(!in_ct(r, CT, NEW).exists());
}
