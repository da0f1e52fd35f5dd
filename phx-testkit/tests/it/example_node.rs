//! A node made from examples/state with the bundled example's files, by
//! phoenix-cli against the doubles: the starting point of the tests of the
//! verbs an operator runs on a working estate.

use crate::phoenix_cli::cli;
use phx_testkit::*;
use std::ffi::OsString;

pub fn ok(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{:?}\n{text}", out.status);
    text
}

/// A fresh node with the example's files, after `verbs` ran against the
/// doubles (`setup`, `confirm`, `LetsGo`: the example's estate).
pub fn example_node(path: &OsString, verbs: &[&str]) -> tempfile::TempDir {
    let root = fresh_node();
    put_images(&example_dir(), root.path());
    // The example's datasets go on the operator's existing pool `tank`.
    let zfs = root.path().join("var/lib/zfs-double/state.json");
    std::fs::create_dir_all(zfs.parent().unwrap()).unwrap();
    std::fs::write(
        &zfs,
        r#"{"pools": {"tank": {"vdev": "", "disks": []}}, "datasets": {"tank": {}}}"#,
    )
    .unwrap();
    for &verb in verbs {
        let mut cmd = cli();
        cmd.arg(verb);
        if verb != "confirm" {
            cmd.arg("--config-dir").arg(example_dir());
        }
        ok(cmd
            .arg("--root")
            .arg(root.path())
            .arg("--run-commands")
            .env("PATH", path));
    }
    root
}
