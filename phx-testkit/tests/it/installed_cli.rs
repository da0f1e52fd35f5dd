//! phoenix-cli and the drift check as the Debian package installs them:
//! outside a checkout, the phoenix-cli binary with the tools beside it (no PHX_BIN_DIR),
//! and `check all`, which the drift timer runs.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    phx_testkit::workspace().join(p)
}

/// target/<profile>, where `cargo test --workspace` built the binaries.
fn built() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf()
}

/// A fresh node's files to preview against.
fn fresh_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-rT")
        .arg(repo("examples/state"))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    root
}

/// A bin directory laid out like /usr/bin: phoenix-cli (a copy, as the
/// package installs it) and the tools side by side.
fn usr_bin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cli = built().join("phoenix-cli");
    assert!(
        cli.exists(),
        "phoenix-cli is not built: run `cargo test --workspace`"
    );
    std::fs::copy(cli, dir.path().join("phoenix-cli")).unwrap();
    // `check setup` runs phx-apply and the setup phase's planners.
    let setup = phx_common::registry::planners_of(phx_common::registry::Phase::Setup);
    for tool in setup.map(|p| p.binary).chain(["phx-apply"]) {
        let src = built().join(tool);
        assert!(
            src.exists(),
            "{tool} is not built: run `cargo test --workspace`"
        );
        std::os::unix::fs::symlink(src, dir.path().join(tool)).unwrap();
    }
    dir
}

fn installed(bin: &Path) -> Command {
    let mut c = Command::new(bin.join("phoenix-cli"));
    c.env_remove("PHX_BIN_DIR")
        .env("PATH", "/usr/bin:/bin")
        .current_dir(bin);
    c
}

#[test]
fn installed_phoenix_cli_says_its_version_and_finds_its_sibling_tools() {
    let bin = usr_bin();
    installed(bin.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("phoenix-cli {}\n", env!("CARGO_PKG_VERSION")));
    let root = fresh_root();
    installed(bin.path())
        .args(["check", "setup", "--config-dir"])
        .arg(repo("examples/etc"))
        .arg("--root")
        .arg(root.path())
        .assert()
        .code(3)
        .stdout(predicate::str::contains("+++ b/etc/network/interfaces"))
        .stderr(predicate::str::contains("building").not());
}

#[test]
fn check_all_plans_every_subsystem() {
    let root = fresh_root();
    let out = Command::new("bash")
        .arg(repo("scripts/phoenix-cli"))
        .env("PHX_BIN_DIR", built())
        .args(["plan", "all", "--config-dir"])
        .arg(repo("examples/etc"))
        .arg("--root")
        .arg(root.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8(out.stdout).unwrap();
    for tool in ["net", "storage", "dns", "fw", "lxc", "vm", "ca"] {
        assert!(
            plan.contains(&format!("\"tool\":\"phx-{tool}\"")),
            "plan all has no phx-{tool} step"
        );
    }
}

#[test]
fn the_drift_check_lists_pending_changes_for_the_journal() {
    let root = fresh_root();
    let drift = |journal: bool| {
        let mut c = Command::new("bash");
        c.arg(repo("scripts/phoenix-drift"))
            .env("PHX_BIN_DIR", built())
            .args(["--config-dir"])
            .arg(repo("examples/etc"))
            .arg("--root")
            .arg(root.path());
        if journal {
            c.env("JOURNAL_STREAM", "8:1234");
        } else {
            c.env_remove("JOURNAL_STREAM");
        }
        c.assert().code(3)
    };
    let out = drift(false).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("phoenix-drift: pending: net:interfaces (file): /etc/network/interfaces\n")
    );
    assert!(text.contains("phoenix-drift: | +\taddress 10.0.0.13/24\n"));
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("phoenix-drift: drift: ") && last.contains(" change(s) pending"),
        "{last}"
    );
    // Under systemd the priority prefixes make the list warnings in the journal.
    let out = drift(true).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("<4>phoenix-drift: pending: net:interfaces (file)"));
    assert!(text
        .lines()
        .last()
        .unwrap()
        .starts_with("<4>phoenix-drift: drift: "));
}
