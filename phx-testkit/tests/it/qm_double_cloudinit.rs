//! The qm TEST DOUBLE's guest boot (doubles/qm-cloudinit.py): the QEMU
//! guest agent arrives only through cloud-init `packages` in a vendor or user
//! snippet, once per cloud-init instance (Proxmox's instance-id hashes the
//! user and network data, not the vendor data), and on the boot that
//! installs it answers only when `runcmd` started it.

use phx_testkit::double;
use std::path::Path;
use std::process::Command;

const VENDOR: &str = "#cloud-config\npackages:\n  - qemu-guest-agent\nruncmd:\n  - [systemctl, start, qemu-guest-agent]\n";

fn qm(root: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(double("qm"))
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ok(root: &Path, args: &[&str]) {
    let (code, err) = qm(root, args);
    assert_eq!(code, 0, "qm {args:?}: {err}");
}

fn pings(root: &Path, id: &str) -> bool {
    let (code, err) = qm(root, &["guest", "cmd", id, "ping"]);
    assert!(
        code == 0 || err.contains("QEMU guest agent is not running"),
        "{err}"
    );
    code == 0
}

fn installed(root: &Path, id: &str) -> bool {
    let status = root.join(format!(
        "var/lib/qm-double/vm/{id}/rootfs/var/lib/dpkg/status"
    ));
    std::fs::read_to_string(status)
        .unwrap_or_default()
        .contains("Package: qemu-guest-agent\nStatus: install ok installed")
}

/// A node whose `local` allows snippets, with snippet `name` holding `text`.
fn node(snippets: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("etc/pve")).unwrap();
    std::fs::write(
        r.join("etc/pve/storage.cfg"),
        "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets\n\n\
         lvmthin: local-lvm\n\tthinpool data\n\tcontent rootdir,images\n",
    )
    .unwrap();
    let dir = r.join("var/lib/vz/snippets");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in snippets {
        std::fs::write(dir.join(name), text).unwrap();
    }
    d
}

/// `qm create <id>` with the agent and a cloud-init drive, plus `extra`.
fn create(root: &Path, id: &str, extra: &[&str]) {
    let mut args = vec![
        "create",
        id,
        "--name",
        "vm",
        "--agent",
        "1",
        "--ide2",
        "local-lvm:cloudinit",
    ];
    args.extend(extra);
    ok(root, &args);
}

#[test]
fn a_vm_started_with_the_vendor_snippet_answers_and_one_without_does_not() {
    let d = node(&[("vendor.yaml", VENDOR)]);
    let r = d.path();
    create(
        r,
        "100",
        &["--cicustom", "vendor=local:snippets/vendor.yaml"],
    );
    create(r, "101", &[]);
    for id in ["100", "101"] {
        ok(r, &["start", id]);
    }
    assert!(pings(r, "100") && installed(r, "100"));
    assert!(!pings(r, "101") && !installed(r, "101"));
    // A VM without a cloud-init drive has no datasource: nothing runs.
    ok(
        r,
        &[
            "create",
            "102",
            "--agent",
            "1",
            "--cicustom",
            "vendor=local:snippets/vendor.yaml",
        ],
    );
    ok(r, &["start", "102"]);
    assert!(!pings(r, "102"));
}

#[test]
fn vendor_data_runs_once_per_instance_and_the_instance_is_the_user_and_network_data() {
    let d = node(&[("vendor.yaml", VENDOR)]);
    let r = d.path();
    create(r, "100", &[]);
    ok(r, &["start", "100"]);
    ok(r, &["stop", "100"]);
    // Booted before: the vendor snippet added now does not run.
    ok(
        r,
        &[
            "set",
            "100",
            "--cicustom",
            "vendor=local:snippets/vendor.yaml",
        ],
    );
    ok(r, &["start", "100"]);
    assert!(!pings(r, "100"), "the same instance ran vendor data again");
    // New user data is a new instance: its first boot installs the agent.
    ok(r, &["stop", "100"]);
    ok(r, &["set", "100", "--ciuser", "ops"]);
    ok(r, &["start", "100"]);
    assert!(pings(r, "100"));
}

#[test]
fn the_agent_installed_at_a_boot_without_runcmd_answers_from_the_next_boot() {
    let d = node(&[(
        "vendor.yaml",
        "#cloud-config\npackages: [qemu-guest-agent]\n",
    )]);
    let r = d.path();
    create(
        r,
        "100",
        &["--cicustom", "vendor=local:snippets/vendor.yaml"],
    );
    ok(r, &["start", "100"]);
    assert!(installed(r, "100"));
    assert!(
        !pings(r, "100"),
        "the static unit is started by udev at boot only"
    );
    ok(r, &["reboot", "100"]);
    assert!(pings(r, "100"));
}

#[test]
fn user_data_overrides_or_disables_vendor_data() {
    let d = node(&[
        ("vendor.yaml", VENDOR),
        ("own-packages.yaml", "#cloud-config\npackages: [htop]\n"),
        ("off.yaml", "#cloud-config\nvendor_data: {enabled: false}\n"),
        ("plain.yaml", "#cloud-config\nhostname: a\n"),
    ]);
    let r = d.path();
    for (id, user) in [
        ("100", "own-packages.yaml"),
        ("101", "off.yaml"),
        ("102", "plain.yaml"),
    ] {
        let custom = format!("user=local:snippets/{user},vendor=local:snippets/vendor.yaml");
        create(r, id, &["--cicustom", &custom]);
        ok(r, &["start", id]);
    }
    assert!(!pings(r, "100"), "user packages replace vendor packages");
    assert!(!pings(r, "101"), "vendor data turned off");
    assert!(
        pings(r, "102"),
        "user data without those keys keeps vendor's"
    );
}
