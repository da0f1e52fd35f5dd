//! phoenix-cli plans with the planners' libraries, on one load of the
//! configuration (docs/tools.md, "One load per run"): its plans must be
//! the bytes each planner's own binary prints for the same command line,
//! on the example, on the original's files and with planner flags.

use crate::phoenix_cli::{cli, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

/// target/<profile>, where the workspace's binaries are.
fn bins() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// A node to plan on, and the PATH its programs are found on (the doubles'
/// state is the node's).
type Node = (tempfile::TempDir, std::ffi::OsString);

/// The example's node (examples/state), as scripts/compare-plans plans on
/// it: no doubles.
fn example_node() -> Node {
    let root = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(repo("examples/state").join("."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(copied.success());
    (root, std::env::var_os("PATH").unwrap_or_default())
}

/// A fresh node whose disks the doubles say are blank, with the cloud
/// image the original's VM template is made from.
fn node_for_the_originals_files() -> Node {
    let root = phx_testkit::fresh_node();
    phx_testkit::put_image(root.path(), "noble-server-cloudimg-amd64.img", 3);
    (root, phx_testkit::all_doubles_path())
}

/// `phoenix-cli plan all FLAGS` keeps its plans; each is compared with what
/// the planner's binary prints given phoenix-cli's arguments for it.
/// `own` says which flags go to which planner (as the registry does).
fn same_plans(
    config: &Path,
    (node, path): Node,
    flags: &[&str],
    own: impl Fn(&str) -> Vec<&'static str>,
) {
    let root = std::fs::canonicalize(node.path()).unwrap();
    let kept = tempfile::tempdir().unwrap();
    let out = cli()
        .args(["plan", "all", "--config-dir"])
        .arg(config)
        .arg("--root")
        .arg(&root)
        .arg("--keep-plans")
        .arg(kept.path())
        .args(flags)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let planned = kept.path().join("plan");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&planned)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let planners = phx_common::registry::PLANNERS;
    assert_eq!(files.len(), planners.len(), "{files:?}");
    for (file, p) in files.iter().zip(planners) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(&format!("-{}.jsonl", p.subsystem)), "{name}");
        let alone = Command::new(bins().join(p.binary))
            .arg("--config-dir")
            .arg(config)
            .arg("--state-root")
            .arg(&root)
            .args(own(p.binary))
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            alone.status.success(),
            "{}",
            String::from_utf8_lossy(&alone.stderr)
        );
        let inside = std::fs::read(file).unwrap();
        assert!(
            inside == alone.stdout,
            "{}: phoenix-cli planned other bytes than {} alone:\n--- phoenix-cli\n{}\n--- {}\n{}",
            name,
            p.binary,
            String::from_utf8_lossy(&inside),
            p.binary,
            String::from_utf8_lossy(&alone.stdout)
        );
        assert!(!inside.is_empty(), "{name}: an empty plan (no trailer)");
    }
}

#[test]
fn the_example_plans_the_bytes_each_binary_prints() {
    same_plans(&repo("examples/etc"), example_node(), &[], |_| vec![]);
}

#[test]
fn the_originals_files_plan_the_bytes_each_binary_prints() {
    let fixture = repo("tests/fixtures/phoenix-upstream");
    same_plans(&fixture, node_for_the_originals_files(), &[], |_| vec![]);
}

#[test]
fn planner_flags_reach_the_libraries_as_they_reach_the_binaries() {
    let flags = ["--start-all", "--allow-lockout", "--restart"];
    same_plans(
        &repo("examples/etc"),
        example_node(),
        &flags,
        |binary| match binary {
            "phx-fw" => vec!["--allow-lockout"],
            "phx-lxc" | "phx-vm" => vec!["--restart", "--start-all"],
            _ => vec![],
        },
    );
}
