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
    let lines = [
        serde_json::json!({"v":1,"tool":"phx-fw","id":"fw:cluster","kind":"file","path":"/etc/pve/firewall/cluster.fw","content":"[OPTIONS]\nenable: 1\n","notify":["fw:restart"]}),
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
    let fired = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(fired.status.success(), "{fired:?}");
    assert_eq!(read(root.path(), FW), "[OPTIONS]\nenable: 0\n");
    assert_eq!(
        read(root.path(), "handlers.log"),
        "restart\nrestart\n",
        "the handler re-ran on the restored file"
    );
    assert!(!root.path().join("var/lib/phoenix/armed-rollback").exists());
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
