//! Backups and rollback: a backup is trusted only when it verifies against
//! its manifest; old runs' backups are pruned; rollback leaves no trace.

use phx_apply::{apply, Options};
use phx_plan::*;
use std::path::Path;

use crate::common::{self, file};
use common::{opts, step};

fn seed(root: &Path, path: &str, content: &str) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path.trim_start_matches('/'))).unwrap()
}

const FW: &str = "/etc/pve/firewall/cluster.fw";

/// A run that replaced cluster.fw, and its backup directory.
fn replaced_cluster_fw(root: &Path) -> std::path::PathBuf {
    seed(root, FW, "[OPTIONS]\nenable: 1\n");
    let r = apply(&[file("fw", FW, "[OPTIONS]\nenable: 0\n")], &opts(root)).unwrap();
    r.backup_dir.expect("the replaced file was backed up")
}

#[test]
fn a_truncated_backup_is_refused_and_nothing_is_restored() {
    let root = tempfile::tempdir().unwrap();
    let dir = replaced_cluster_fw(root.path());
    // What a kill in the middle of the copy used to leave.
    std::fs::write(dir.join(FW.trim_start_matches('/')), "").unwrap();
    let err = phx_apply::rollback::rollback(root.path(), &dir).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("does not verify"), "{msg}");
    assert!(msg.contains("nothing was restored"), "{msg}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 0\n");
}

#[test]
fn a_backup_without_its_manifest_is_refused_by_the_cli() {
    let root = tempfile::tempdir().unwrap();
    let dir = replaced_cluster_fw(root.path());
    std::fs::remove_file(dir.join(phx_apply::manifest::MANIFEST)).unwrap();
    assert_cmd::Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap(), "--rollback"])
        .arg(dir.file_name().unwrap())
        .assert()
        .failure()
        .stderr(predicates::str::contains("no manifest"));
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 0\n");
}

#[test]
fn an_altered_backup_of_the_same_size_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = replaced_cluster_fw(root.path());
    std::fs::write(
        dir.join(FW.trim_start_matches('/')),
        "[OPTIONS]\nenable: 7\n",
    )
    .unwrap();
    let err = phx_apply::rollback::rollback(root.path(), &dir).unwrap_err();
    assert!(format!("{err:#}").contains("SHA-256"), "{err:#}");
}

#[test]
fn a_verified_backup_restores_and_the_runs_directories_go_too() {
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/etc/hosts", "old\n");
    let r = apply(
        &[
            file("hosts", "/etc/hosts", "new\n"),
            file("rec", "/etc/phoenix/dns/hosts", "10.0.0.1 a\n"),
        ],
        &opts(root.path()),
    )
    .unwrap();
    let done = phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    assert_eq!(read(root.path(), "/etc/hosts"), "old\n");
    assert!(
        !root.path().join("etc/phoenix").exists(),
        "the directories the run made are gone: {done:?}"
    );
    assert!(
        root.path().join("etc").is_dir(),
        "a directory that was there stays"
    );
}

#[test]
fn only_the_last_n_runs_backups_are_kept() {
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/etc/a", "0\n");
    let o = Options {
        keep_backups: 2,
        ..opts(root.path())
    };
    let mut dirs = Vec::new();
    for i in 1..=4 {
        let r = apply(&[file("a", "/etc/a", &format!("{i}\n"))], &o).unwrap();
        dirs.push(r.backup_dir.unwrap());
    }
    let kept: Vec<bool> = dirs.iter().map(|d| d.exists()).collect();
    assert_eq!(kept, [false, false, true, true]);
    let left = std::fs::read_dir(root.path().join("var/lib/phoenix/backups"))
        .unwrap()
        .count();
    assert_eq!(left, 2);
}

#[test]
fn a_temp_file_name_taken_by_a_symlink_is_not_written_through() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "precious\n").unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let tmp_name = format!(".a.phx-tmp-{}", std::process::id());
    std::os::unix::fs::symlink(outside.path(), root.path().join("etc").join(tmp_name)).unwrap();
    apply(&[file("a", "/etc/a", "mine\n")], &opts(root.path())).unwrap();
    assert_eq!(
        std::fs::read_to_string(outside.path()).unwrap(),
        "precious\n"
    );
    assert_eq!(read(root.path(), "/etc/a"), "mine\n");
}

#[test]
fn dead_runs_temp_files_are_removed_and_live_ones_kept() {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    // Above any pid_max: no such process.
    let dead = etc.join(".hosts.phx-tmp-4194400");
    let live = etc.join(format!(".b.phx-tmp-{}", std::process::id()));
    std::fs::write(&dead, "half a file").unwrap();
    std::fs::write(&live, "in progress").unwrap();
    apply(&[file("a", "/etc/a", "x\n")], &opts(root.path())).unwrap();
    assert!(!dead.exists(), "a dead run's temp file is removed");
    assert!(live.exists(), "a live process's temp file is left alone");
}

#[test]
fn a_secret_without_a_mode_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let line = r#"{"v":1,"tool":"t","id":"s","kind":"secret","path":"/etc/s","bytes":16}"#;
    let plan = format!(
        "{line}\n{}\n",
        r#"{"v":1,"tool":"t","kind":"end","steps":1}"#
    );
    let steps = read_jsonl(plan.as_bytes()).unwrap();
    apply(&steps, &opts(root.path())).unwrap();
    let mode = std::fs::metadata(root.path().join("etc/s"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o600);
}

#[test]
fn a_rollback_restores_owner_and_group() {
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/etc/app.conf", "old\n");
    let conf = root.path().join("etc/app.conf");
    nix::unistd::chown(&conf, Some(1234.into()), Some(5678.into())).unwrap();
    // The step hands the file to another owner, as a plan may.
    let r = apply(
        &[step(
            "conf",
            Action::File(FileStep {
                path: "/etc/app.conf".into(),
                content: "new\n".into(),
                owner: Some("nobody".into()),
                group: Some("nogroup".into()),
                ..Default::default()
            }),
        )],
        &opts(root.path()),
    )
    .unwrap();
    assert_eq!(std::fs::metadata(&conf).unwrap().uid(), 65534);
    phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    let meta = std::fs::metadata(&conf).unwrap();
    assert_eq!(read(root.path(), "/etc/app.conf"), "old\n");
    assert_eq!((meta.uid(), meta.gid()), (1234, 5678));
}

#[test]
fn a_setuid_file_comes_back_setuid_with_its_owner() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/usr/local/bin/tool", "#!/bin/sh\n");
    let tool = root.path().join("usr/local/bin/tool");
    nix::unistd::chown(&tool, Some(1234.into()), Some(1234.into())).unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let r = apply(
        &[file("t", "/usr/local/bin/tool", "#!/bin/sh\nexit 0\n")],
        &opts(root.path()),
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    nix::unistd::chown(&tool, Some(0.into()), Some(0.into())).unwrap();
    phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    let meta = std::fs::metadata(&tool).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o4755);
    assert_eq!((meta.uid(), meta.gid()), (1234, 1234));
}

#[test]
fn a_killed_runs_rollback_removes_its_temp_file_and_directories() {
    let root = tempfile::tempdir().unwrap();
    // The validator kills phx-apply once the temp file (the new content) is
    // written beside the target, in directories the run made.
    let lines = [
        serde_json::json!({"v":1,"tool":"t","id":"a","kind":"file","path":"/etc/phoenix/dns/hosts","content":"10.0.0.1 a\n","validate":["sh","-c","kill -9 $PPID; sleep 5"]}),
        serde_json::json!({"v":1,"tool":"t","kind":"end","steps":1}),
    ];
    let plan: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let killed = assert_cmd::Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap(), "--run-commands"])
        .write_stdin(plan)
        .output()
        .unwrap();
    assert!(killed.status.code().is_none(), "{killed:?}");
    let dns = root.path().join("etc/phoenix/dns");
    let temps: Vec<_> = std::fs::read_dir(&dns).unwrap().flatten().collect();
    assert_eq!(temps.len(), 1, "the dead temp file is there");
    let backups = root.path().join("var/lib/phoenix/backups");
    let dir = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let done = phx_apply::rollback::rollback(root.path(), &dir).unwrap();
    assert!(!root.path().join("etc/phoenix").exists(), "{done:?}");
    let said = done.lines.join("\n");
    assert!(said.contains("(a killed run's temp file)"), "{said}");
    assert!(
        said.contains("removed /etc/phoenix/ (the run created it)"),
        "{said}"
    );
}

#[test]
fn an_absent_step_on_a_dangling_symlink_removes_it_and_rollback_restores_the_link() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let link = root.path().join("etc/old.conf");
    std::os::unix::fs::symlink("/nowhere/old.conf", &link).unwrap();
    let gone = step(
        "gone",
        Action::Absent(AbsentStep {
            path: "/etc/old.conf".into(),
            ..Default::default()
        }),
    );
    let o = Options {
        diff: true,
        ..opts(root.path())
    };
    let r = apply(std::slice::from_ref(&gone), &o).unwrap();
    assert!(r.failed().is_none(), "{:?}", r.outcomes);
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is gone"
    );
    let again = apply(&[gone], &o).unwrap();
    assert!(
        again.failed().is_none() && again.changed() == 0,
        "{:?}",
        again.outcomes
    );
    phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("/nowhere/old.conf"),
        "the link itself is back"
    );
}

#[test]
fn keep_backups_0_keeps_this_runs_backup() {
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/etc/a", "0\n");
    let o = Options {
        keep_backups: 0,
        ..opts(root.path())
    };
    let first = apply(&[file("a", "/etc/a", "1\n")], &o)
        .unwrap()
        .backup_dir
        .unwrap();
    let second = apply(&[file("a", "/etc/a", "2\n")], &o)
        .unwrap()
        .backup_dir
        .unwrap();
    assert!(
        second.exists(),
        "the run's own backup, which its report names, is kept"
    );
    assert!(!first.exists(), "an older one goes");
}

#[test]
fn an_armed_runs_backup_is_never_pruned() {
    let root = tempfile::tempdir().unwrap();
    seed(root.path(), "/etc/a", "0\n");
    let o = Options {
        keep_backups: 1,
        ..opts(root.path())
    };
    let armed = apply(&[file("a", "/etc/a", "1\n")], &o)
        .unwrap()
        .backup_dir
        .unwrap();
    let run_id = armed.file_name().unwrap();
    let armed_dir = root.path().join("var/lib/phoenix/armed");
    std::fs::create_dir_all(&armed_dir).unwrap();
    std::fs::write(armed_dir.join(run_id), "phoenix-rollback\n").unwrap();
    for i in 2..=3 {
        apply(&[file("a", "/etc/a", &format!("{i}\n"))], &o).unwrap();
    }
    assert!(armed.exists(), "its timer may still fire");
}

/// `date -u +%Y-%m-%dT%H`: the hour as another clock than phx-apply's says it.
fn utc_hour() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H-"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_run_is_named_by_its_utc_time_and_an_older_versions_run_still_rolls_back() {
    let root = tempfile::tempdir().unwrap();
    let (before, dir, after) = (utc_hour(), replaced_cluster_fw(root.path()), utc_hour());
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&before) || name.starts_with(&after),
        "{name} is not the UTC hour {before}"
    );
    assert!(phx_plan::armed::is_run_id(&name), "{name}");
    // A run of an earlier version, named by its epoch seconds: still a run
    // to roll back, by name as the report gave it. (Its manifest is signed
    // again: each line's MAC covers the run's name.)
    let entries = phx_apply::manifest::read(&dir).unwrap();
    let old = dir.with_file_name("1796599445-123456789-4242");
    std::fs::rename(&dir, &old).unwrap();
    std::fs::remove_file(old.join(phx_apply::manifest::MANIFEST)).unwrap();
    for e in &entries {
        phx_apply::manifest::append(&old, e).unwrap();
    }
    assert_cmd::Command::cargo_bin("phx-apply")
        .unwrap()
        .arg("--rollback")
        .arg("1796599445-123456789-4242")
        .arg("--root")
        .arg(root.path())
        .assert()
        .success();
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
}

#[test]
fn pruning_removes_an_older_versions_runs_first() {
    let root = tempfile::tempdir().unwrap();
    let first = replaced_cluster_fw(root.path());
    let old = first.with_file_name("1796599445-123456789-4242");
    std::fs::rename(&first, &old).unwrap();
    let o = Options {
        keep_backups: 1,
        ..opts(root.path())
    };
    let r = apply(&[file("fw", FW, "[OPTIONS]\nenable: 1\n")], &o).unwrap();
    assert!(r.backup_dir.unwrap().exists(), "this run's backup stays");
    assert!(!old.exists(), "the older version's run is the older one");
}
