//! phoenix-cli speaks once: a warning once per run, a configuration error
//! once and blamed on its file and JSON path (not on whichever planner
//! loaded first), a mistyped verb or subsystem answered with a suggestion.

use super::phoenix_cli::{cli, repo};

/// The example's files and state under temp directories, the configuration
/// changed by `edit` (the LXC file's JSON).
fn example(edit: impl FnOnce(&mut serde_json::Value)) -> (tempfile::TempDir, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo("examples/state").join("."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    let cfg = phx_testkit::copy_config(&repo("examples/etc"));
    phx_testkit::edit_json(&cfg.path().join("phoenix_lxc_configs.json"), edit);
    (root, cfg)
}

fn run(verb: &[&str], cfg: &tempfile::TempDir, root: &tempfile::TempDir) -> std::process::Output {
    cli()
        .args(verb)
        .arg("--config-dir")
        .arg(cfg.path())
        .arg("--root")
        .arg(root.path())
        .output()
        .unwrap()
}

#[test]
fn check_all_says_a_loader_warning_once() {
    // An unknown key: every planner's loader warns about it, and so does
    // phx-fw's flows listing that check prints first.
    let (root, cfg) = example(|v| v["lxc_configs"]["900"]["frobnicate"] = 1.into());
    let out = run(&["check", "all"], &cfg, &root);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("lxc_configs.\"900\".frobnicate: unknown key"))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
}

#[test]
fn a_configuration_error_is_said_once_and_blamed_on_its_file_and_path() {
    // A container's memory: no business of phx-net, which plans first in
    // setup, nor of phx-fw, whose flows listing check prints first.
    let (root, cfg) = example(|v| v["lxc_configs"]["110"]["memory_mb"] = "lots".into());
    let file = cfg.path().join("phoenix_lxc_configs.json");
    for verb in ["setup", "LetsGo", "check"] {
        let out = run(&[verb], &cfg, &root);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {stderr}");
        let said: Vec<&str> = stderr.lines().filter(|l| l.contains("memory_mb")).collect();
        assert_eq!(
            said,
            [format!(
                "phoenix-cli: {}: lxc_configs.\"110\".memory_mb: \"lots\": an integer from 16 to 4294967295",
                file.display()
            )],
            "{verb}: {stderr}"
        );
        for planner in ["phx-net", "phx-fw", "phx-lxc", "refused to plan"] {
            assert!(!stderr.contains(planner), "{verb}: {stderr}");
        }
        assert!(out.stdout.is_empty(), "{verb}: nothing planned or listed");
    }
}

#[test]
fn a_mistyped_verb_or_subsystem_gets_a_suggestion() {
    for (args, said) in [
        (
            &["letsgo"][..],
            "phoenix-cli: unknown verb 'letsgo'; did you mean LetsGo?",
        ),
        (
            &["chek"],
            "phoenix-cli: unknown verb 'chek'; did you mean check?",
        ),
        (&["check", "dsn"], "phoenix-cli: did you mean dns?"),
        (&["setup", "Storage"], "phoenix-cli: did you mean storage?"),
    ] {
        let out = cli().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.lines().any(|l| l == said), "{args:?}: {stderr}");
    }
    // Nothing near: no guess.
    let out = cli().args(["check", "zzz"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("did you mean"));
}
