//! The command-line contract: plan is the default, stdin works, render
//! prints or writes the files, usage errors exit 2.

use crate::common;
use common::*;
use predicates::prelude::*;

#[test]
fn plan_is_the_default_and_reads_stdin() {
    let mut stdin = String::new();
    for n in [HYP, LXC, VM] {
        stdin.push_str(&std::fs::read_to_string(example_dir().join(n)).unwrap());
    }
    let from_dir = phx_fw()
        .arg("plan")
        .arg("--config-dir")
        .arg(example_dir())
        .env_remove("SSH_CLIENT")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let from_stdin = phx_fw()
        .arg("-")
        .write_stdin(stdin)
        .env_remove("SSH_CLIENT")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(from_dir, from_stdin);
    let text = String::from_utf8(from_dir).unwrap();
    // Four files and the restart, then the trailer that closes every plan stream.
    assert_eq!(text.lines().count(), 6);
    assert_eq!(
        text.lines().last(),
        Some(r#"{"v":1,"tool":"phx-fw","kind":"end","steps":5}"#)
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            (v["v"].as_u64(), v["tool"].as_str()),
            (Some(1), Some("phx-fw"))
        );
    }
}

#[test]
fn render_writes_under_out_dir() {
    let out = tempfile::tempdir().unwrap();
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(example_dir())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout("");
    for f in ["cluster.fw", "102.fw", "103.fw", "1001.fw"] {
        assert!(out.path().join("etc/pve/firewall").join(f).is_file(), "{f}");
    }
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(upstream_dir())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "==> /etc/pve/firewall/cluster.fw <==\n[OPTIONS]\n",
        ));
}

#[test]
fn bad_simulate_queries_are_usage_errors() {
    phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .args(["--from", "vm9000", "--to", "host", "--dport", "22"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no static IPv4 address"));
    phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .args(["--from", "outside", "--to", "8.8.8.8", "--dport", "22"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither end"));
    phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .args(["--from", "host"])
        .assert()
        .code(2);
}

#[test]
fn the_pve_firewall_double_warns_like_perl_on_bad_lines() {
    // The double itself (phx-testkit/doubles/pve-firewall-double), so the apply test's
    // "no warnings for our files" means something.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("etc/pve/firewall");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cluster.fw"),
        "stray\n[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -dport 22\n",
    )
    .unwrap();
    let double = double("pve-firewall");
    let out = std::process::Command::new(&double)
        .arg("compile")
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/etc/pve/firewall/cluster.fw (line 1): skip line"),
        "{err}"
    );
    assert!(
        err.contains("/etc/pve/firewall/cluster.fw (line 5) - errors in rule parameters"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("detected changes\n"));
    // As the real one (pve_firewall.pm compile): errors are warnings, exit 0.
    assert!(out.status.success());
}
