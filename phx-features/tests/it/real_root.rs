//! base_setup in a REAL Debian 12 root: the container's root is the minbase
//! root scripts/build-debian-root makes with mmdebstrap (what a Proxmox
//! Debian template holds), the pct double chroots into it alone, and the
//! recipe runs with that root's own apt-get (against Debian's mirror: this
//! test alone opts the double into the network), locale-gen and dpkg-query.
//! Planned by the phx-features binary, applied by the phx-apply binary.
//!
//! A second container has `docker`: Docker's repository is out of this
//! machine's reach, so Docker's own packages go through the apt-get double
//! (which records them in the real dpkg status) and the key fetch through
//! the curl double, while everything from Debian (ca-certificates, curl,
//! fuse-overlayfs) comes from the real apt-get, and the real apt-get must
//! read the repository file the recipe writes.
//!
//! Without the cached root the test fails, unless `PHX_SKIP_E2E=debian-root`
//! skips it explicitly (`.ci/run` builds the root and never sets the switch).

use crate::common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const CT: u32 = 900;
const DOCKER_CT: u32 = 110;

/// apt-get in the docker container, in front of Debian's on its PATH:
/// Docker's packages (named as the apt-get double names them) go to the
/// double, everything else to the real apt-get. The real `update` reads
/// the sources without docker.list (whose host is out of reach), then the
/// double's records that the index was made while docker.list was there.
const DOCKER_APT_GET: &str = r#"#!/bin/sh
set -eu
double=/usr/local/share/doubles/apt-get
case ${1:-} in
update)
    /usr/bin/apt-get -o Dir::Etc::SourceParts=/usr/local/share/doubles/no-parts update
    exec "$double" update
    ;;
install)
    shift
    opts="" real="" docker=""
    for p in "$@"; do
        case $p in
        -*) opts="$opts $p" ;;
        docker-ce | docker-ce-cli | containerd.io | docker-buildx-plugin | docker-compose-plugin) docker="$docker $p" ;;
        *) real="$real $p" ;;
        esac
    done
    [ -z "$docker" ] || "$double" install $opts $docker
    [ -z "$real" ] || exec /usr/bin/apt-get install $opts $real
    ;;
*) exec /usr/bin/apt-get "$@" ;;
esac
"#;

/// The doubles the docker container needs beside its real root: the
/// router above, the apt-get double behind it (which puts the docker
/// double in place with docker-ce-cli), curl (the key) and systemctl (a
/// chroot has no systemd).
fn docker_doubles(root: &Path) {
    let r = rootfs(root, DOCKER_CT);
    let share = r.join("usr/local/share/doubles");
    std::fs::create_dir_all(share.join("no-parts")).unwrap();
    let put = |to: PathBuf, text: &str| {
        std::fs::write(&to, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    put(share.join("apt-get"), &read(guest_double("apt-get")));
    put(share.join("docker"), &read(guest_double("docker")));
    put(r.join("usr/local/bin/apt-get"), DOCKER_APT_GET);
    for d in ["curl", "systemctl"] {
        put(r.join("usr/local/bin").join(d), &read(guest_double(d)));
    }
}

/// The tarball scripts/build-debian-root keeps (a link to the current one).
pub(crate) fn debian_root() -> PathBuf {
    std::env::var_os("PHX_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/phoenix-test"))
        .join("debian-root.tar")
}

/// The Debian 12 root's tarball when it is there; when it is not, the test
/// named `test` fails (a real component is missing) unless PHX_SKIP_E2E
/// lists debian-root, and then `None`: the test returns.
pub(crate) fn debian_root_for(test: &str) -> Option<PathBuf> {
    let tarball = debian_root();
    let missing = (!tarball.exists()).then(|| {
        format!(
            "the Debian 12 root {} (run scripts/build-debian-root)",
            tarball.display()
        )
    });
    real_component(test, "debian-root", missing).then_some(tarball)
}

/// A node whose pct double makes containers from the real root: the
/// tarball unpacked as the double's template-root (no guest doubles in it),
/// and the template file `pct create` checks.
pub(crate) fn real_node(tarball: &Path) -> tempfile::TempDir {
    let node = tempfile::tempdir().unwrap();
    let tree = node.path().join("var/lib/pct-double/template-root");
    std::fs::create_dir_all(&tree).unwrap();
    phx_testkit::stdout_of(
        Command::new("tar")
            .arg("-xf")
            .arg(tarball)
            .arg("-C")
            .arg(&tree)
            .output()
            .unwrap(),
    );
    let t = node
        .path()
        .join("var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst");
    std::fs::create_dir_all(t.parent().unwrap()).unwrap();
    std::fs::write(t, "template stand-in\n").unwrap();
    node
}

/// `pct exec ct -- argv` through the double (no network), its output.
pub(crate) fn inside(root: &Path, ct: u32, argv: &[&str]) -> String {
    let out = Command::new("pct")
        .args(["exec", &ct.to_string(), "--"])
        .args(argv)
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    stdout_of(out)
}

/// phx-apply on the plan file, under the node, with the double's network:
/// the outcome of every step.
/// phx-features' plan of the configuration in `dir` on the node `root`,
/// written to `dir/plan.jsonl` for phx-apply.
pub(crate) fn plan_into(dir: &Path, root: &Path) -> PathBuf {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(dir)
        .arg("--state-root")
        .arg(root)
        .output()
        .unwrap();
    let plan_file = dir.join("plan.jsonl");
    std::fs::write(&plan_file, stdout_of(out)).unwrap();
    plan_file
}

pub(crate) fn apply(root: &Path, plan: &Path) -> Vec<Value> {
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
    report["outcomes"].as_array().unwrap().clone()
}

pub(crate) fn changed(outcomes: &[Value]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o["status"] == "changed")
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// The packages an install step names (its argv after `install` and the
/// options): read from the plan, as the recipe says them.
fn packages_of(plan: &str, id: &str) -> Vec<String> {
    let step = plan
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in:\n{plan}"));
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
    let Some(tarball) = debian_root_for("base_setup_with_the_real_apt_get_in_a_debian_12_root")
    else {
        return;
    };
    let node = real_node(&tarball);
    let root = node.path();
    // The example's CT 900 as a plain running container (a golden
    // template's features are phx-lxc's), with base_setup; CT 110 made from
    // the same template, with docker alone.
    let dir = config_with(&example_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| k == "900" || k == "110");
        let template = lxcs["900"]["template"].clone();
        lxcs["900"]["start_at_boot"] = json!(true);
        lxcs["900"]["features"] = json!(["base_setup"]);
        lxcs["900"]
            .as_object_mut()
            .unwrap()
            .remove("template_snapshot_name");
        let docker = lxcs["110"].as_object_mut().unwrap();
        docker.remove("clone_from_ctid");
        docker.remove("dependencies");
        docker.insert("template".into(), template);
        docker.insert("features".into(), json!(["docker"]));
        docker.insert(
            "pct_options".into(),
            json!(["nesting=1", "keyctl=1", "fuse=1"]),
        );
    });
    no_vms(dir.path());
    running(root, CT);
    running(root, DOCKER_CT);
    docker_doubles(root);
    let r = rootfs(root, CT);
    assert!(
        r.join("usr/bin/apt-get").is_file() && !r.join("usr/local/bin/apt-get").exists(),
        "the container runs Debian's own apt-get"
    );

    let plan_file = plan_into(dir.path(), root);
    let plan = std::fs::read_to_string(&plan_file).unwrap();

    let first = apply(root, &plan_file);
    assert!(!changed(&first).is_empty(), "{first:?}");
    let log = read(root.join("pct.log"));
    // One index refresh for base_setup; docker's needs one more, to have
    // curl and ca-certificates for the key before its source exists (as
    // phx-features' help says).
    for (ct, refreshes) in [(CT, 1), (DOCKER_CT, 2)] {
        let update = format!("exec {ct} -- apt-get update");
        assert_eq!(
            log.lines().filter(|l| l.contains(&update)).count(),
            refreshes,
            "CT {ct}'s index refreshes:\n{log}"
        );
    }
    base_setup_is_there(root, &plan);
    docker_is_there(root, &plan);

    // Again: nothing changes, and only guards run (no apt-get, no
    // locale-gen, no double changing anything).
    std::fs::write(root.join("pct.log"), "").unwrap();
    std::fs::remove_file(rootfs(root, DOCKER_CT).join("var/log/phx-doubles.log")).unwrap();
    let second = apply(root, &plan_file);
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
    assert_eq!(
        guest_log(root, DOCKER_CT),
        "",
        "CT {DOCKER_CT}'s doubles did something"
    );
}

/// CT 900: every package of the plan's install step installed per the
/// root's own dpkg-query, the locale generated and the default.
fn base_setup_is_there(root: &Path, plan: &str) {
    let packages = packages_of(plan, &format!("features-{CT}-base_setup-install"));
    assert!(
        packages.iter().any(|p| p == "locales") && packages.len() > 1,
        "{packages:?}"
    );
    let mut query = vec!["dpkg-query", "-W", "-f=${Package} ${Status}\\n"];
    query.extend(packages.iter().map(String::as_str));
    let status = inside(root, CT, &query);
    for p in &packages {
        assert!(
            status
                .lines()
                .any(|l| l == format!("{p} install ok installed")),
            "{p} is not installed per dpkg-query -W:\n{status}"
        );
    }
    assert_eq!(
        read(rootfs(root, CT).join("etc/default/locale")),
        "LANG=en_US.UTF-8\n"
    );
    let locales = inside(root, CT, &["locale", "-a"]);
    assert!(
        locales.lines().any(|l| l == "en_US.utf8"),
        "locale -a:\n{locales}"
    );
}

/// CT 110: Docker's packages recorded by the double, Debian's ones (the
/// prerequisites, fuse-overlayfs) really installed, the repository file
/// as the real apt-get reads it, daemon.json, the service.
fn docker_is_there(root: &Path, plan: &str) {
    let r = rootfs(root, DOCKER_CT);
    let packages = packages_of(plan, &format!("features-{DOCKER_CT}-docker-install"));
    let log = guest_log(root, DOCKER_CT);
    let recorded = log
        .lines()
        .find_map(|l| l.strip_prefix("apt-get install -y "))
        .unwrap_or_else(|| panic!("the apt-get double installed nothing:\n{log}"));
    let (docker, debian): (Vec<&String>, Vec<&String>) = packages
        .iter()
        .partition(|p| recorded.split(' ').any(|r| r == p.as_str()));
    assert_eq!(
        docker,
        [
            "docker-ce",
            "docker-ce-cli",
            "containerd.io",
            "docker-buildx-plugin",
            "docker-compose-plugin"
        ],
        "Docker's packages, through the double"
    );
    assert_eq!(
        debian,
        ["fuse-overlayfs"],
        "Debian's, through the real apt-get"
    );
    let mut query = vec!["dpkg-query", "-W", "-f=${Package} ${Version} ${Status}\\n"];
    query.extend(packages.iter().map(String::as_str));
    query.extend(["ca-certificates", "curl"]);
    let status = inside(root, DOCKER_CT, &query);
    for p in packages
        .iter()
        .map(String::as_str)
        .chain(["ca-certificates", "curl"])
    {
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{p} ")))
            .unwrap_or_else(|| panic!("{p} unknown to dpkg-query:\n{status}"));
        assert!(line.ends_with(" install ok installed"), "{line}");
        let by_double = line.contains(" 0.0-double ");
        assert_eq!(by_double, docker.iter().any(|d| *d == p), "{line}");
    }
    assert_eq!(
        read(r.join("etc/apt/sources.list.d/docker.list")),
        "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n"
    );
    // The real apt-get reads it: what it would fetch for it (nothing is).
    let uris = inside(
        root,
        DOCKER_CT,
        &["/usr/bin/apt-get", "update", "--print-uris"],
    );
    assert!(
        uris.contains("'https://download.docker.com/linux/debian/dists/bookworm/stable/binary-amd64/Packages.xz'"),
        "{uris}"
    );
    assert!(read(r.join("etc/apt/keyrings/docker.asc"))
        .contains("https://download.docker.com/linux/debian/gpg"));
    let daemon: Value = serde_json::from_str(&read(r.join("etc/docker/daemon.json"))).unwrap();
    assert_eq!(daemon, json!({"storage-driver": "fuse-overlayfs"}));
    let state = r.join("var/lib/systemctl-double");
    assert!(state.join("enabled/docker").exists() && state.join("active/docker").exists());
}
