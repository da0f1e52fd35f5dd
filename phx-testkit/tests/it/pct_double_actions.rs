//! The pct TEST DOUBLE's guest actions (what `--action stop|restart|delete`
//! plans): shutdown, reboot and destroy take pve-container's parameters and
//! refuse what it refuses.

use crate::pct_double::{fails, ok};

/// What `--action stop|delete` plans: shutdown with pve-container's
/// parameters (src/PVE/API2/LXC/Status.pm:334-346, refused when stopped
/// :363) and destroy (src/PVE/API2/LXC.pm:822-841, refused while running
/// unless --force :880).
#[test]
fn shutdown_and_destroy_take_pves_parameters_and_refuse_as_it_does() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let t = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    ok(r, &["create", "101", t]);
    ok(r, &["start", "101"]);
    fails(
        r,
        &["shutdown", "101", "--timeout", "soon"],
        "timeout: type check ('integer') failed",
    );
    fails(
        r,
        &["shutdown", "101", "--force", "1"],
        "force: property is not defined",
    );
    fails(
        r,
        &["destroy", "101", "--purge", "1"],
        "unable to destroy CT 101 - container is running",
    );
    ok(
        r,
        &["shutdown", "101", "--timeout", "60", "--forceStop", "1"],
    );
    fails(
        r,
        &["shutdown", "101", "--timeout", "60", "--forceStop", "1"],
        "CT 101 not running",
    );
    fails(
        r,
        &["destroy", "101", "--purge", "maybe"],
        "purge: type check ('boolean') failed",
    );
    ok(r, &["destroy", "101", "--purge", "1"]);
    assert!(!r.join("etc/pve/lxc/101.conf").exists());
    fails(r, &["destroy", "101", "--purge", "1"], "does not exist");
}

/// pve-container src/PVE/API2/LXC.pm:907: every destroy removes the CT's
/// firewall file (PVE::Firewall::remove_vmfw_conf), purge or not.
#[test]
fn destroy_removes_the_containers_firewall_file() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let t = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    let fw = r.join("etc/pve/firewall");
    std::fs::create_dir_all(&fw).unwrap();
    for id in ["101", "102"] {
        ok(r, &["create", id, t]);
        std::fs::write(fw.join(format!("{id}.fw")), "[OPTIONS]\nenable: 1\n").unwrap();
    }
    ok(r, &["destroy", "101", "--purge", "1"]);
    ok(r, &["destroy", "102"]);
    assert!(!fw.join("101.fw").exists(), "purged");
    assert!(!fw.join("102.fw").exists(), "without --purge too");
}

/// LXC.pm:859-860 early_checks: a protected or locked CT is refused
/// before anything else (even running), and nothing is removed.
#[test]
fn destroy_refuses_a_protected_or_locked_container() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let t = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    ok(r, &["create", "101", t, "--protection", "1"]);
    ok(r, &["start", "101"]);
    fails(
        r,
        &["destroy", "101", "--purge", "1", "--force", "1"],
        "can't remove CT 101 - protection mode enabled",
    );
    ok(r, &["stop", "101"]);
    ok(r, &["set", "101", "--protection", "0"]);
    let path = r.join("etc/pve/lxc/101.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("lock: backup\n{text}")).unwrap();
    fails(
        r,
        &["destroy", "101", "--purge", "1"],
        "CT is locked (backup)",
    );
    assert!(path.exists());
    std::fs::write(&path, text).unwrap();
    ok(r, &["destroy", "101", "--purge", "1"]);
}

/// Status.pm vm_reboot: `--timeout` is its one option (:513-527,
/// additionalProperties => 0), and a stopped CT is refused in pct's own
/// words (:542, "VM", not "CT").
#[test]
fn reboot_takes_only_a_timeout_and_refuses_a_stopped_container() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(
        r,
        &[
            "create",
            "101",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        ],
    );
    fails(r, &["reboot", "101"], "VM 101 not running");
    ok(r, &["start", "101"]);
    fails(
        r,
        &["reboot", "101", "--forceStop", "1"],
        "forceStop: property is not defined in schema",
    );
    fails(
        r,
        &["reboot", "101", "--timeout", "soon"],
        "timeout: type check ('integer') failed",
    );
    ok(r, &["reboot", "101", "--timeout", "30"]);
    ok(r, &["reboot", "101"]);
}
