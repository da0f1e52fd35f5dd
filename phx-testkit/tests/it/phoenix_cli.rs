//! phoenix-cli end to end on a preview root, through scripts/phoenix-cli
//! with the workspace's debug binaries (PHX_BIN_DIR) so the shim runs the
//! debug phoenix-cli and does not trigger a release build.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::PathBuf;

pub(crate) fn repo(p: &str) -> PathBuf {
    phx_testkit::workspace().join(p)
}

pub(crate) fn cli() -> Command {
    // target/<profile>/deps/<this test> → target/<profile>, where the workspace's binaries are.
    let bins = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    for tool in phx_common::registry::shipped() {
        assert!(
            bins.join(tool).exists(),
            "{tool} is not built in {}: run `cargo test --workspace`",
            bins.display()
        );
    }
    let mut c = Command::new("bash");
    c.arg(repo("scripts/phoenix-cli")).env("PHX_BIN_DIR", bins);
    c
}

#[test]
fn setup_net_then_check_reports_converged() {
    let root = tempfile::tempdir().unwrap();
    let state = repo("examples/state");
    for f in ["etc/network/interfaces", "etc/hosts"] {
        std::fs::create_dir_all(root.path().join(f).parent().unwrap()).unwrap();
        std::fs::copy(state.join(f), root.path().join(f)).unwrap();
    }
    let cfg = repo("examples/etc");
    let args = |verb: &str| {
        vec![
            verb.to_string(),
            "net".into(),
            "--config-dir".into(),
            cfg.display().to_string(),
            "--root".into(),
            root.path().display().to_string(),
        ]
    };
    cli()
        .args(args("check"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains("+\taddress 10.0.0.13/24"));
    cli()
        .args(args("setup"))
        .assert()
        .success()
        .stderr(predicate::str::contains("changed"));
    cli()
        .args(args("check"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 would change"));
}

#[test]
fn usage_errors_exit_2() {
    cli()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown verb"));
    for args in [&["setup", "lxc"][..], &["setup", "dns", "lxc"]] {
        cli()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("'lxc' does not belong to setup"));
    }
    cli()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("LetsGo"));
}

#[test]
fn check_accepts_diff_and_check_flags_again() {
    let root = tempfile::tempdir().unwrap();
    let cfg = repo("examples/etc");
    let r = root.path().display().to_string();
    cli()
        .args([
            "check",
            "net",
            "--diff",
            "--check",
            "--config-dir",
            cfg.to_str().unwrap(),
            "--root",
            &r,
        ])
        .assert()
        .code(3);
}

#[test]
fn all_applies_nothing_when_a_later_phase_refuses_to_plan() {
    let root = tempfile::tempdir().unwrap();
    // CT 102 bind-mounts a host directory that this empty root lacks and
    // phx-storage does not make (outside every storage directory): phx-lxc refuses.
    let cfg = phx_testkit::copy_config(&repo("examples/etc"));
    phx_testkit::edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        v["lxc_configs"]["102"]["mount_points"][0]["host_path"] = "/srv/ssl".into()
    });
    cli()
        .args([
            "all",
            "net",
            "lxc",
            "--config-dir",
            cfg.path().to_str().unwrap(),
            "--root",
            root.path().to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("phx-lxc refused to plan"));
    assert!(
        !root.path().join("etc/hostname").exists(),
        "setup must not have been applied"
    );
}

#[test]
fn graph_draws_the_estate_with_phx_graph() {
    cli()
        .args(["graph", "--format", "dot", "--config-dir"])
        .arg(repo("examples/etc"))
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph estate {"))
        .stdout(predicate::str::contains("CT 103 Step-CA"));
}

#[test]
fn a_wrong_subsystem_is_answered_with_the_valid_names() {
    cli()
        .args(["setup", "dsn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown subsystem 'dsn'"))
        .stderr(predicate::str::contains("net storage dns fw gpu lxc"));
}

#[test]
fn version_is_printed() {
    cli()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("phoenix-cli "));
}

#[test]
fn tool_flags_reach_their_tool() {
    let root = tempfile::tempdir().unwrap();
    let cfg = repo("examples/etc");
    // phx-lxc itself refuses the pair: proof that both flags reached it.
    cli()
        .args(["plan", "lxc", "--no-start", "--start-all", "--config-dir"])
        .arg(&cfg)
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("phx-lxc refused to plan"))
        .stderr(predicate::str::contains("--start-all"));
    // A flag for a tool the run does not plan is refused, not dropped.
    cli()
        .args(["setup", "--restart", "--config-dir"])
        .arg(&cfg)
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lxc is not planned"));
}

#[test]
fn all_json_prints_one_document_with_every_phase() {
    let root = tempfile::tempdir().unwrap();
    // A fresh node's files, so every tool (phx-lxc's bind-mount sources too) can plan.
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo("examples/state").join("."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    phx_testkit::put_images(&repo("examples/etc"), root.path());
    let out = cli()
        .args(["all", "--json", "--config-dir"])
        .arg(repo("examples/etc"))
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert!(v["setup"]["outcomes"]
        .as_array()
        .is_some_and(|o| !o.is_empty()));
    // LetsGo's two phases: the guests (lxc and vm), then ca inside them.
    for phase in ["guests", "ca"] {
        assert!(
            v[phase]["outcomes"]
                .as_array()
                .is_some_and(|o| !o.is_empty()),
            "{phase}: {}",
            v[phase]
        );
    }
}

#[test]
fn confirm_with_nothing_armed_says_so() {
    let root = tempfile::tempdir().unwrap();
    cli()
        .args(["confirm", "--root", root.path().to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("nothing to confirm"));
}

/// A fresh node's files under a temp root, and a copy of the example
/// configuration without its one record that makes phx-dns warn (a warning
/// is planner output, not the recap this looks at).
fn fresh_setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo("examples/state").join("."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    let cfg = phx_testkit::copy_config(&repo("examples/etc"));
    phx_testkit::edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        v["vms"][1]["dns_records"] = serde_json::json!([]);
    });
    (root, cfg)
}

fn lines(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn a_converged_setup_prints_one_recap_line_per_subsystem() {
    let (root, cfg) = fresh_setup();
    let run = |extra: &[&str]| {
        cli()
            .arg("setup")
            .arg("--config-dir")
            .arg(cfg.path())
            .args(["--root", root.path().to_str().unwrap()])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone()
    };
    let first = lines(&run(&[]).stderr);
    assert!(
        first.iter().any(|l| l.contains(" changed ")),
        "the first run changes files: {first:?}"
    );
    let again = run(&[]);
    assert!(again.stdout.is_empty());
    // phx-storage's notes (the example's dataset on a pool this machine
    // cannot see, its bind source outside the dataset) are planner output,
    // said on every run, and the commands a preview does not run (their
    // guards neither: under --root nothing tells they are done) are listed
    // on every run: neither is the recap this looks at.
    let recap: Vec<String> = lines(&again.stderr)
        .into_iter()
        .filter(|l| !l.starts_with("phx-storage: note: ") && !l.starts_with("would run: "))
        .collect();
    // phx-gpu plans nothing for the example (no nvidia_driver), and a tool
    // with no step has no recap line.
    assert_eq!(recap.len(), 4, "{recap:?}");
    for (line, tool) in recap
        .iter()
        .zip(["phx-net", "phx-storage", "phx-dns", "phx-fw"])
    {
        assert!(
            line.starts_with(&format!("{tool}: "))
                && line.contains(" ok, 0 changed, ")
                && line.ends_with(", 0 failed"),
            "{line}"
        );
    }
    // --verbose reaches phx-apply (every step, timed) and names the phase.
    let verbose = lines(&run(&["--verbose"]).stderr);
    assert_eq!(verbose[0], "phoenix-cli: setup: net storage dns fw gpu");
    assert!(
        verbose
            .iter()
            .any(|l| l.contains("] ok ") && l.contains("net:hostname")),
        "{verbose:?}"
    );
    assert!(verbose
        .iter()
        .any(|l| l.starts_with("phx-fw: ") && l.contains(" in ")));
}

#[test]
fn color_reaches_phx_apply_and_a_bad_value_is_refused() {
    let (root, cfg) = fresh_setup();
    let check = |color: &str| {
        cli()
            .args(["check", "net", "--color", color, "--config-dir"])
            .arg(cfg.path())
            .args(["--root", root.path().to_str().unwrap()])
            .env_remove("NO_COLOR")
            .assert()
            .code(3)
            .get_output()
            .clone()
    };
    let coloured = check("always");
    assert!(
        String::from_utf8_lossy(&coloured.stdout).contains("\x1b[32m+"),
        "coloured diff"
    );
    let plain = check("never");
    assert!(!plain.stdout.contains(&0x1b) && !plain.stderr.contains(&0x1b));
    cli()
        .args(["setup", "--color", "sometimes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--color needs auto, always or never",
        ));
}

#[test]
fn all_does_not_start_letsgo_while_a_rollback_is_armed() {
    let (root, cfg) = fresh_setup();
    phx_testkit::put_images(cfg.path(), root.path());
    // What setup over SSH leaves until the operator confirms.
    let armed = root.path().join("var/lib/phoenix/armed");
    std::fs::create_dir_all(&armed).unwrap();
    std::fs::write(
        armed.join("1700000000-000000000-42"),
        "phoenix-rollback-1700000000-000000000-42\n",
    )
    .unwrap();
    let out = cli()
        .args(["all", "--json", "--config-dir"])
        .arg(cfg.path())
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("LetsGo was not started"))
        .stderr(predicate::str::contains("phoenix-cli confirm"))
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert!(v["setup"]["outcomes"]
        .as_array()
        .is_some_and(|o| !o.is_empty()));
    assert!(v["guests"].is_null() && v["ca"].is_null(), "{v}");
    // Confirmed, LetsGo goes on.
    std::fs::remove_file(armed.join("1700000000-000000000-42")).unwrap();
    cli()
        .args(["LetsGo", "--config-dir"])
        .arg(cfg.path())
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .success();
}

/// Only what phx-apply counts as an armed run stops `all`: a stray file in
/// armed/ (an editor's leftover) is no rollback `confirm` could disarm.
#[test]
fn a_stray_file_in_the_armed_directory_does_not_stop_letsgo() {
    let (root, cfg) = fresh_setup();
    phx_testkit::put_images(cfg.path(), root.path());
    let armed = root.path().join("var/lib/phoenix/armed");
    std::fs::create_dir_all(&armed).unwrap();
    std::fs::write(armed.join(".1700000000-000000000-42.swp"), "").unwrap();
    let out = cli()
        .args(["all", "--json", "--config-dir"])
        .arg(cfg.path())
        .args(["--root", root.path().to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert!(!v["guests"].is_null(), "{v}");
}

/// The upstream fixture's disks under `root` (the disks double's state), all
/// blank but the first, which carries a GPT; that first disk.
fn fixture_disks_first_signed(root: &std::path::Path) -> String {
    let text =
        std::fs::read_to_string(phx_testkit::upstream_dir().join("phoenix_hypervisor_config.json"))
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let disks: Vec<String> = v["zfs"]["pools"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["disks"].as_array().unwrap().clone())
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let state: serde_json::Map<String, serde_json::Value> = disks
        .iter()
        .map(|d| {
            let sigs = if *d == disks[0] {
                serde_json::json!([{"type": "gpt", "offset": "0x200"}])
            } else {
                serde_json::json!([])
            };
            (
                d.clone(),
                serde_json::json!({"signatures": sigs, "partitions": []}),
            )
        })
        .collect();
    let p = root.join("var/lib/disks-double/disks.json");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::Value::Object(state).to_string()).unwrap();
    disks[0].clone()
}

#[test]
fn setup_plans_storage_after_net_and_passes_wipe_disks_to_phx_storage_alone() {
    let root = tempfile::tempdir().unwrap();
    let signed = fixture_disks_first_signed(root.path());
    // The fixture's cloud image is in place: its default source is on the
    // internet, which tests never reach (phx-storage's fetch tests serve one).
    phx_testkit::put_images(&phx_testkit::upstream_dir(), root.path());
    let run = |extra: &[&str]| {
        cli()
            .args(["setup", "storage", "--config-dir"])
            .arg(phx_testkit::upstream_dir())
            .args(["--root", root.path().to_str().unwrap(), "--run-commands"])
            .args(extra)
            .env("PATH", phx_testkit::all_doubles_path())
            .assert()
            .get_output()
            .clone()
    };
    // The signed disk is refused, and nothing runs.
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--wipe-disks"), "{err}");
    assert!(!root.path().join("var/lib/zfs-double/state.json").exists());
    // Named on phoenix-cli's command line, it reaches phx-storage: erased,
    // and the pools are made.
    let made = run(&["--wipe-disks", &signed, "--verbose"]);
    let err = String::from_utf8_lossy(&made.stderr);
    assert!(made.status.success(), "{err}");
    assert!(err.contains("phoenix-cli: setup: storage"), "{err}");
    let state = std::fs::read_to_string(root.path().join("var/lib/zfs-double/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    for pool in ["quickOS", "fastData"] {
        assert!(state["pools"].get(pool).is_some(), "{state}");
    }
}
