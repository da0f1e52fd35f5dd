//! base_setup in a REAL Debian 12 root: the container's root is the minbase
//! root scripts/build-debian-root makes with mmdebstrap (what a Proxmox
//! Debian template holds), the pct double chroots into it alone, and the
//! recipe runs with that root's own apt-get (against Debian's mirror: this
//! test alone opts the double into the network), locale-gen and dpkg-query.
//! Planned by the phx-features binary, applied by the phx-apply binary.
//!
//! Without the cached root the test fails, unless `PHX_SKIP_E2E=debian-root`
//! skips it explicitly (`.ci/run` builds the root and never sets the switch).

use crate::common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CT: u32 = 900;

/// The tarball scripts/build-debian-root keeps (a link to the current one).
fn debian_root() -> PathBuf {
    std::env::var_os("PHX_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/phoenix-test"))
        .join("debian-root.tar")
}

/// A node whose pct double makes containers from the real root: the
/// tarball unpacked as the double's template-root (no guest doubles in it),
/// and the template file `pct create` checks.
fn real_node(tarball: &Path) -> tempfile::TempDir {
    let node = tempfile::tempdir().unwrap();
    let tree = node.path().join("var/lib/pct-double/template-root");
    std::fs::create_dir_all(&tree).unwrap();
    let out = Command::new("tar")
        .arg("-xf")
        .arg(tarball)
        .arg("-C")
        .arg(&tree)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = node
        .path()
        .join("var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst");
    std::fs::create_dir_all(t.parent().unwrap()).unwrap();
    std::fs::write(t, "template stand-in\n").unwrap();
    node
}

/// `pct exec CT -- argv` through the double (no network), its output.
fn inside(root: &Path, argv: &[&str]) -> String {
    let out = Command::new("pct")
        .args(["exec", &CT.to_string(), "--"])
        .args(argv)
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    stdout_of(out)
}

/// phx-apply on the plan file, under the node, with the double's network:
/// the outcome of every step.
fn apply(root: &Path, plan: &Path) -> (Vec<Value>, Output) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("phx-apply"))
        .arg("--root")
        .arg(root)
        .args(["--run-commands", "--json"])
        .arg(plan)
        .env("PATH", pct_path())
        .env("PCT_DOUBLE_NETWORK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "phx-apply failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes = report["outcomes"].as_array().unwrap().clone();
    (outcomes, out)
}

fn changed(outcomes: &[Value]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o["status"] == "changed")
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// The packages base_setup's install step names (its argv after `install`
/// and the options): read from the plan, as the recipe says them.
fn packages_of(plan: &str) -> Vec<String> {
    let step = plan
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|s| s["id"] == format!("features-{CT}-base_setup-install"))
        .unwrap_or_else(|| panic!("no base_setup install step in:\n{plan}"));
    let argv: Vec<&str> = step["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let at = argv.iter().position(|a| *a == "install").unwrap();
    argv[at + 1..]
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.to_string())
        .collect()
}

#[test]
fn base_setup_with_the_real_apt_get_in_a_debian_12_root() {
    let tarball = debian_root();
    let missing = (!tarball.exists()).then(|| {
        format!(
            "the Debian 12 root {} (run scripts/build-debian-root)",
            tarball.display()
        )
    });
    if !real_component(
        "base_setup_with_the_real_apt_get_in_a_debian_12_root",
        "debian-root",
        missing,
    ) {
        return;
    }
    let node = real_node(&tarball);
    let root = node.path();
    // The example's template container alone, running, with base_setup.
    let dir = config_with(&example_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| k == "900");
        lxcs["900"]["start_at_boot"] = json!(true);
        lxcs["900"]["features"] = json!(["base_setup"]);
    });
    no_vms(dir.path());
    running(root, CT);
    let r = rootfs(root, CT);
    assert!(
        r.join("usr/bin/apt-get").is_file() && !r.join("usr/local/bin/apt-get").exists(),
        "the container runs Debian's own apt-get"
    );

    let out = features_cmd()
        .arg("--config-dir")
        .arg(dir.path())
        .arg("--state-root")
        .arg(root)
        .output()
        .unwrap();
    let plan = stdout_of(out);
    let packages = packages_of(&plan);
    assert!(
        packages.iter().any(|p| p == "locales") && packages.len() > 1,
        "{packages:?}"
    );
    let plan_file = dir.path().join("plan.jsonl");
    std::fs::write(&plan_file, &plan).unwrap();

    let (first, _) = apply(root, &plan_file);
    assert!(!changed(&first).is_empty(), "{first:?}");
    let log = read(root.join("pct.log"));
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("-- apt-get update"))
            .count(),
        1,
        "one index refresh:\n{log}"
    );

    // Every package installed, per the root's own dpkg-query.
    let mut query = vec!["dpkg-query", "-W", "-f=${Package} ${Status}\\n"];
    query.extend(packages.iter().map(String::as_str));
    let status = inside(root, &query);
    for p in &packages {
        assert!(
            status
                .lines()
                .any(|l| l == format!("{p} install ok installed")),
            "{p} is not installed per dpkg-query -W:\n{status}"
        );
    }
    assert_eq!(read(r.join("etc/default/locale")), "LANG=en_US.UTF-8\n");
    let locales = inside(root, &["locale", "-a"]);
    assert!(
        locales.lines().any(|l| l == "en_US.utf8"),
        "locale -a:\n{locales}"
    );

    // Again: nothing changes, and only guards run (no apt-get, no locale-gen).
    std::fs::write(root.join("pct.log"), "").unwrap();
    let (second, _) = apply(root, &plan_file);
    assert_eq!(
        changed(&second),
        Vec::<String>::new(),
        "the second run changed these steps"
    );
    let log = read(root.join("pct.log"));
    assert!(!log.is_empty(), "the guards ran through pct exec");
    for line in log.lines() {
        assert!(
            !line.contains("apt-get") && !line.contains("phx-locale-gen"),
            "the second run did more than guard: {line}"
        );
    }
}
