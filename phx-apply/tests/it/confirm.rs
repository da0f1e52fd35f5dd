//! Commit confirmed: a lockout-prone handler run over SSH first arms an
//! automatic rollback (through the systemd-run double, which records the
//! timer instead of arming it); the test fires it, or confirms.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const FW: &str = "etc/pve/firewall/cluster.fw";

/// PATH with the systemd-run and systemctl doubles first.
fn doubles_path() -> std::ffi::OsString {
    let doubles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../phx-testkit/doubles");
    let dir = tempfile::Builder::new()
        .prefix("phx-confirm-bin")
        .tempdir()
        .unwrap()
        .keep();
    for prog in ["systemd-run", "systemctl"] {
        std::os::unix::fs::symlink(doubles.join(format!("{prog}-double")), dir.join(prog)).unwrap();
    }
    let mut dirs = vec![dir];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

fn plan() -> String {
    plan_writing("[OPTIONS]\nenable: 1\n")
}

fn plan_writing(content: &str) -> String {
    let lines = [
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:cluster","kind":"file","path":"/etc/pve/firewall/cluster.fw","content":content,"notify":["fw:restart"]}),
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:restart","kind":"handler","argv":["sh","-c","echo restart >> \"$PHX_ROOT/handlers.log\""],"desc":"restart","confirm":true}),
        serde_json::json!({"v":1,"tool":"phx-fw","kind":"end","steps":2}),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn phx_apply(root: &Path, path: &std::ffi::OsString) -> Command {
    let mut c = Command::cargo_bin("phx-apply").unwrap();
    c.args(["--root", root.to_str().unwrap(), "--run-commands"])
        .env("PATH", path)
        .env_remove("SSH_CLIENT")
        .env_remove("SSH_CONNECTION");
    c
}

/// A root with the old firewall, after an apply of the new one over SSH.
fn applied_over_ssh() -> (tempfile::TempDir, std::ffi::OsString) {
    let root = tempfile::tempdir().unwrap();
    let fw = root.path().join(FW);
    std::fs::create_dir_all(fw.parent().unwrap()).unwrap();
    std::fs::write(&fw, "[OPTIONS]\nenable: 0\n").unwrap();
    let path = doubles_path();
    phx_apply(root.path(), &path)
        .env("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.13 22")
        .write_stdin(plan())
        .assert()
        .success()
        .stderr(predicates::str::contains("automatic rollback armed"));
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
    assert_eq!(read(root.path(), "handlers.log"), "restart\n");
    (root, path)
}

fn read(root: &Path, p: &str) -> String {
    std::fs::read_to_string(root.join(p)).unwrap_or_default()
}

fn timers(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("doubles/timers"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// The command a recorded timer runs when it fires (delay line skipped).
fn timer_command(timer: &Path, path: &std::ffi::OsString) -> std::process::Command {
    let record = std::fs::read_to_string(timer).unwrap();
    let argv: Vec<&str> = record.lines().skip(1).collect();
    let mut c = std::process::Command::new(argv[0]);
    c.args(&argv[1..]).env("PATH", path);
    c
}

#[test]
fn an_unconfirmed_change_is_rolled_back_and_its_handlers_re_run() {
    let (root, path) = applied_over_ssh();
    let t = timers(root.path());
    assert_eq!(t.len(), 1, "one timer armed");
    let record = std::fs::read_to_string(&t[0]).unwrap();
    let mut lines = record.lines();
    assert_eq!(lines.next(), Some("120s"), "the default delay");
    let argv: Vec<&str> = lines.collect();
    assert!(argv.contains(&"--rollback"), "{argv:?}");
    // The timer fires.
    let fired = timer_command(&t[0], &path).output().unwrap();
    assert!(fired.status.success(), "{fired:?}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 0\n");
    assert_eq!(
        read(root.path(), "handlers.log"),
        "restart\nrestart\n",
        "the handler re-ran on the restored file"
    );
    assert!(!root.path().join("var/lib/phoenix/armed-rollback").exists());
    assert_eq!(
        std::fs::read_dir(root.path().join("var/lib/phoenix/armed"))
            .unwrap()
            .count(),
        0,
        "the run is not armed any more"
    );
}

#[test]
fn a_timer_that_fires_while_another_run_holds_the_lock_still_rolls_back() {
    let (root, path) = applied_over_ssh();
    let t = timers(root.path());
    // A guests phase holds the lock when the timer fires.
    let opts = phx_apply::Options {
        root: root.path().to_path_buf(),
        ..Default::default()
    };
    let lock = phx_apply::lock(&opts).unwrap();
    let mut fired = timer_command(&t[0], &path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        fired.try_wait().unwrap().is_none(),
        "the rollback gave up instead of waiting for the lock"
    );
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
    drop(lock);
    let out = fired.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 0\n");
    assert_eq!(read(root.path(), "handlers.log"), "restart\nrestart\n");
}

#[test]
fn a_rollback_waits_for_the_lock_no_longer_than_lock_wait() {
    let (root, path) = applied_over_ssh();
    let opts = phx_apply::Options {
        root: root.path().to_path_buf(),
        ..Default::default()
    };
    let _lock = phx_apply::lock(&opts).unwrap();
    let dir = std::fs::read_dir(root.path().join("var/lib/phoenix/backups"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let t0 = std::time::Instant::now();
    phx_apply(root.path(), &path)
        .args(["--lock-wait", "1", "--rollback"])
        .arg(&dir)
        .assert()
        .failure()
        .stderr(predicates::str::contains("still after waiting 1 s"));
    assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
}

#[test]
fn one_confirm_disarms_every_armed_run() {
    let (root, path) = applied_over_ssh();
    // A second run over SSH changes the file again and arms its own timer.
    phx_apply(root.path(), &path)
        .env("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.13 22")
        .write_stdin(plan_writing("[OPTIONS]\nenable: 1\npolicy_in: DROP\n"))
        .assert()
        .success();
    let armed = timers(root.path());
    assert_eq!(armed.len(), 2, "two timers armed");
    // Keep the records, as if stopping the timers failed and they fire anyway.
    let records: Vec<String> = armed
        .iter()
        .map(|t| std::fs::read_to_string(t).unwrap())
        .collect();
    phx_apply(root.path(), &path)
        .arg("--confirm")
        .assert()
        .success();
    assert!(timers(root.path()).is_empty(), "both timers stopped");
    for (t, record) in armed.iter().zip(&records) {
        std::fs::write(t, record).unwrap();
        let fired = timer_command(t, &path).output().unwrap();
        assert!(fired.status.success(), "{fired:?}");
        assert!(
            String::from_utf8_lossy(&fired.stderr).contains("was confirmed"),
            "{fired:?}"
        );
    }
    assert_eq!(
        read(root.path(), FW),
        "[OPTIONS]\nenable: 1\npolicy_in: DROP\n",
        "neither rollback undid the confirmed change"
    );
}

#[test]
fn a_confirm_holds_when_a_timer_cannot_be_stopped() {
    let (root, path) = applied_over_ssh();
    let t = timers(root.path());
    let record = std::fs::read_to_string(&t[0]).unwrap();
    // systemd lost the timer (or stopping it fails): systemctl stop says "not loaded".
    std::fs::remove_file(&t[0]).unwrap();
    phx_apply(root.path(), &path)
        .arg("--confirm")
        .assert()
        .success()
        .stderr(predicates::str::contains("will find the run confirmed"));
    // If it fires after all, it changes nothing.
    std::fs::write(&t[0], record).unwrap();
    let fired = timer_command(&t[0], &path).output().unwrap();
    assert!(fired.status.success(), "{fired:?}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
    assert_eq!(read(root.path(), "handlers.log"), "restart\n");
}

#[test]
fn a_rollback_does_not_restore_a_file_a_later_run_changed() {
    let (root, path) = applied_over_ssh();
    let t = timers(root.path());
    // A later run, off SSH, edits the same file.
    phx_apply(root.path(), &path)
        .write_stdin(plan_writing("[OPTIONS]\nenable: 1\nlog_level_in: info\n"))
        .assert()
        .success();
    let fired = timer_command(&t[0], &path).output().unwrap();
    assert_eq!(fired.status.code(), Some(1), "{fired:?}");
    let err = String::from_utf8_lossy(&fired.stderr);
    assert!(
        err.contains("kept /etc/pve/firewall/cluster.fw: it changed since this run wrote it"),
        "{err}"
    );
    assert_eq!(
        read(root.path(), FW),
        "[OPTIONS]\nenable: 1\nlog_level_in: info\n",
        "the later run's edit stays"
    );
}

/// A plan whose run is killed after the config is written, before the
/// firewall restarts (the first time only).
fn killed_plan() -> String {
    let killer =
        "[ -e \"$PHX_ROOT/killed\" ] || { touch \"$PHX_ROOT/killed\"; kill -9 $PPID; sleep 5; }";
    let lines = [
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:cluster","kind":"file","path":"/etc/pve/firewall/cluster.fw","content":"[OPTIONS]\nenable: 1\n","notify":["fw:restart"]}),
        serde_json::json!({"v":1,"tool":"phx-fw","id":"kill","kind":"command","argv":["sh","-c",killer],"desc":"kill"}),
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:restart","kind":"handler","argv":["sh","-c","echo restart >> \"$PHX_ROOT/handlers.log\""],"desc":"restart","confirm":true}),
        serde_json::json!({"v":1,"tool":"phx-fw","kind":"end","steps":3}),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A root with the old firewall, and a run of `killed_plan` killed in it.
fn killed_before_the_restart() -> (tempfile::TempDir, std::ffi::OsString) {
    let root = tempfile::tempdir().unwrap();
    let fw = root.path().join(FW);
    std::fs::create_dir_all(fw.parent().unwrap()).unwrap();
    std::fs::write(&fw, "[OPTIONS]\nenable: 0\n").unwrap();
    let path = doubles_path();
    let first = over_ssh(root.path(), &path, killed_plan());
    assert!(first.status.code().is_none(), "killed: {first:?}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
    assert!(timers(root.path()).is_empty(), "killed before arming");
    (root, path)
}

fn over_ssh(root: &Path, path: &std::ffi::OsString, plan: String) -> std::process::Output {
    phx_apply(root, path)
        .env("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.13 22")
        .write_stdin(plan)
        .output()
        .unwrap()
}

#[test]
fn a_lockout_prone_handler_owed_by_a_killed_run_is_armed() {
    let (root, path) = killed_before_the_restart();
    // The next run changes nothing itself, but owes the restart.
    let second = over_ssh(root.path(), &path, killed_plan());
    assert!(second.status.success(), "{second:?}");
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("automatic rollback armed"),
        "{second:?}"
    );
    assert_eq!(read(root.path(), "handlers.log"), "restart\n");
    let t = timers(root.path());
    assert_eq!(t.len(), 1, "the owed handler ran armed");
    let fired = timer_command(&t[0], &path).output().unwrap();
    assert!(fired.status.success(), "{fired:?}");
    assert_eq!(
        read(root.path(), FW),
        "[OPTIONS]\nenable: 0\n",
        "the killed run's change is rolled back"
    );
    assert_eq!(read(root.path(), "handlers.log"), "restart\nrestart\n");
}

#[test]
fn an_owing_run_whose_backup_does_not_verify_is_not_armed_and_the_report_says_so() {
    let (root, path) = killed_before_the_restart();
    let backups = root.path().join("var/lib/phoenix/backups");
    let dir = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let manifest = dir.join(phx_apply::manifest::MANIFEST);
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("{\"created\":{\"path\":\"/etc/hosts\"}}\tforged\n");
    std::fs::write(&manifest, text).unwrap();
    let second = over_ssh(root.path(), &path, killed_plan());
    assert!(second.status.success(), "{second:?}");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("whose backup does not verify"), "{err}");
    assert!(
        timers(root.path()).is_empty(),
        "no timer that could only refuse"
    );
    assert_eq!(read(root.path(), "handlers.log"), "restart\n");
}

#[test]
fn a_hung_lockout_prone_handler_is_killed_within_the_confirm_window() {
    let root = tempfile::tempdir().unwrap();
    let path = doubles_path();
    let lines = [
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:cluster","kind":"file","path":"/etc/pve/firewall/cluster.fw","content":"x\n","notify":["fw:restart"]}),
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:restart","kind":"handler","argv":["sleep","60"],"desc":"restart","confirm":true}),
        serde_json::json!({"v":1,"tool":"phx-fw","kind":"end","steps":2}),
    ];
    let plan: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let t0 = std::time::Instant::now();
    phx_apply(root.path(), &path)
        .args(["--confirm-timeout", "2"])
        .write_stdin(plan)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("timed out after 1 s"));
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_zero_confirm_timeout_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let path = doubles_path();
    phx_apply(root.path(), &path)
        .args(["--confirm-timeout", "0"])
        .write_stdin(plan())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--confirm-timeout"));
    assert!(!root.path().join(FW).exists(), "nothing was written");
}

#[test]
fn a_confirmed_change_stays() {
    let (root, path) = applied_over_ssh();
    phx_apply(root.path(), &path)
        .arg("--confirm")
        .assert()
        .success()
        .stderr(predicates::str::contains("disarmed"));
    assert!(timers(root.path()).is_empty(), "the timer is gone");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 1\n");
    phx_apply(root.path(), &path)
        .arg("--confirm")
        .assert()
        .success()
        .stderr(predicates::str::contains("nothing to confirm"));
}

#[test]
fn off_ssh_nothing_is_armed_unless_asked() {
    let root = tempfile::tempdir().unwrap();
    let path = doubles_path();
    phx_apply(root.path(), &path)
        .write_stdin(plan())
        .assert()
        .success();
    assert!(timers(root.path()).is_empty());
    let root = tempfile::tempdir().unwrap();
    phx_apply(root.path(), &path)
        .args(["--confirm-timeout", "30"])
        .write_stdin(plan())
        .assert()
        .success();
    let t = timers(root.path());
    assert_eq!(
        std::fs::read_to_string(&t[0]).unwrap().lines().next(),
        Some("30s")
    );
}

#[test]
fn a_rollback_that_cannot_be_armed_keeps_the_handler_from_running() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("systemd-run");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut dirs = vec![bin.path().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(dirs).unwrap();
    phx_apply(root.path(), &path)
        .args(["--confirm-timeout", "30"])
        .write_stdin(plan())
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "could not arm the automatic rollback",
        ));
    assert_eq!(
        read(root.path(), "handlers.log"),
        "",
        "the lockout-prone handler ran unguarded"
    );
    assert!(!root.path().join("var/lib/phoenix/armed-rollback").exists());
}
