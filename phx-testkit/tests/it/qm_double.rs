//! The qm TEST DOUBLE itself: where it refuses what qm refuses for the
//! options Phoenix passes (qemu-server's CLI and API), so a plan the real
//! qm would fail on fails here too.

use phx_testkit::double;
use std::path::Path;
use std::process::Command;

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

fn fails(root: &Path, args: &[&str], msg: &str) {
    let (code, err) = qm(root, args);
    assert_eq!(code, 255, "qm {args:?} must exit 255");
    assert!(err.contains(msg), "qm {args:?}: {err:?} should say {msg:?}");
}

fn conf(root: &Path, id: u32) -> String {
    std::fs::read_to_string(root.join(format!("etc/pve/qemu-server/{id}.conf"))).unwrap()
}

/// qemu-server src/PVE/CLI/qm.pm:1314 param_mapping: `--sshkeys` is a file path,
/// its text URL-encoded by qm; keys given inline fail as the file they name
/// does not exist (pve-common PVE/File.pm:105 file_get_contents).
#[test]
fn sshkeys_is_a_file_qm_reads_and_encodes() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(r, &["create", "100", "--name", "a"]);
    fails(
        r,
        &["set", "100", "--sshkeys", "ssh-ed25519%20AAAA%20k%40h%0A"],
        "can't open 'ssh-ed25519%20AAAA%20k%40h%0A' - No such file or directory",
    );
    fails(
        r,
        &["set", "100", "--sshkeys", "/run/keys"],
        "can't open '/run/keys' - No such file or directory",
    );
    std::fs::create_dir_all(r.join("run")).unwrap();
    std::fs::write(r.join("run/keys"), "ssh-ed25519 AAAA+/= k@h\n").unwrap();
    ok(r, &["set", "100", "--sshkeys", "/run/keys"]);
    assert!(
        conf(r, 100).contains("sshkeys: ssh-ed25519%20AAAA%2B%2F%3D%20k%40h%0A\n"),
        "{}",
        conf(r, 100)
    );
    std::fs::write(r.join("run/keys"), "not a key\n").unwrap();
    fails(
        r,
        &["create", "101", "--sshkeys", "/run/keys"],
        "SSH public key validation error",
    );
}

/// qemu-server src/PVE/API2/Qemu.pm:6561 template: "unable to create template,
/// because VM contains snapshots"; pve-guest-common AbstractConfig.pm
/// snapshot_prepare: no snapshot of a template.
#[test]
fn snapshots_and_templates_exclude_each_other() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(r, &["create", "100", "--name", "a"]);
    ok(r, &["snapshot", "100", "clean"]);
    fails(
        r,
        &["template", "100"],
        "unable to create template, because VM contains snapshots",
    );
    ok(r, &["create", "101", "--name", "b"]);
    ok(r, &["template", "101"]);
    fails(
        r,
        &["snapshot", "101", "clean"],
        "you can't take a snapshot if it's a template",
    );
    fails(
        r,
        &["template", "101"],
        "you can't convert a template to a template",
    );
}

#[test]
fn disks_on_a_storage_without_images_content_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("etc/pve")).unwrap();
    std::fs::write(
        r.join("etc/pve/storage.cfg"),
        "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nzfspool: tank-vm\n\tpool tank/vm\n\tcontent images\n",
    )
    .unwrap();
    // qemu-server src/PVE/API2/Qemu.pm:185-192.
    fails(
        r,
        &["create", "100", "--name", "a", "--scsi0", "local:8"],
        "storage: storage 'local' does not support vm images",
    );
    assert!(!r.join("etc/pve/qemu-server/100.conf").exists());
    ok(r, &["create", "100", "--name", "a", "--scsi0", "tank-vm:8"]);
    fails(
        r,
        &["set", "100", "--scsi1", "local:1"],
        "does not support vm images",
    );
}

/// What `--action stop|delete` plans: shutdown with qemu-server's
/// parameters (src/PVE/API2/Qemu.pm:3877-3895; a stopped VM is not refused:
/// src/PVE/QemuServer.pm:6254-6255) and destroy, refused while running
/// (Qemu.pm:2842), with no --force.
#[test]
fn shutdown_and_destroy_take_qemu_servers_parameters_and_refuse_as_it_does() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(r, &["create", "100", "--name", "a"]);
    ok(r, &["start", "100"]);
    fails(
        r,
        &["destroy", "100", "--purge", "1"],
        "VM 100 is running - destroy failed",
    );
    fails(
        r,
        &["destroy", "100", "--force", "1"],
        "force: property is not defined",
    );
    fails(
        r,
        &["shutdown", "100", "--timeout", "-1"],
        "timeout: type check ('integer') failed",
    );
    ok(
        r,
        &["shutdown", "100", "--timeout", "60", "--forceStop", "1"],
    );
    ok(
        r,
        &["shutdown", "100", "--timeout", "60", "--forceStop", "1"],
    );
    ok(r, &["destroy", "100", "--purge", "1"]);
    assert!(!r.join("etc/pve/qemu-server/100.conf").exists());
}

/// qemu-server src/PVE/API2/Qemu.pm:2873: every destroy removes the VM's
/// firewall file (PVE::Firewall::remove_vmfw_conf), purge or not.
#[test]
fn destroy_removes_the_vms_firewall_file() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let fw = r.join("etc/pve/firewall");
    std::fs::create_dir_all(&fw).unwrap();
    for id in ["100", "101"] {
        ok(r, &["create", id, "--name", "a"]);
        std::fs::write(fw.join(format!("{id}.fw")), "[OPTIONS]\nenable: 1\n").unwrap();
    }
    ok(r, &["destroy", "100", "--purge", "1"]);
    ok(r, &["destroy", "101"]);
    assert!(!fw.join("100.fw").exists(), "purged");
    assert!(!fw.join("101.fw").exists(), "without --purge too");
}

/// Qemu.pm:2829 check_protection (before the running check), then
/// QemuServer.pm:1846-1848 destroy_vm's check_lock (not with --skiplock).
#[test]
fn destroy_refuses_a_protected_or_locked_vm() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(r, &["create", "100", "--name", "a", "--protection", "1"]);
    ok(r, &["start", "100"]);
    fails(
        r,
        &["destroy", "100", "--purge", "1"],
        "can't remove VM 100 - protection mode enabled",
    );
    ok(r, &["stop", "100"]);
    ok(r, &["set", "100", "--protection", "0"]);
    let path = r.join("etc/pve/qemu-server/100.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("lock: backup\n{text}")).unwrap();
    fails(
        r,
        &["destroy", "100", "--purge", "1"],
        "VM is locked (backup)",
    );
    assert!(path.exists());
    ok(r, &["destroy", "100", "--purge", "1", "--skiplock", "1"]);
    assert!(!path.exists());
}

/// Qemu.pm vm_reboot: `--timeout` is its one option (:3984-3997,
/// additionalProperties => 0); a stopped VM is refused (:4013).
#[test]
fn reboot_takes_only_a_timeout_and_refuses_a_stopped_vm() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(r, &["create", "100", "--name", "a"]);
    fails(r, &["reboot", "100"], "VM 100 not running");
    ok(r, &["start", "100"]);
    fails(
        r,
        &["reboot", "100", "--forceStop", "1"],
        "forceStop: property is not defined in schema",
    );
    fails(
        r,
        &["reboot", "100", "--timeout", "-1"],
        "timeout: type check ('integer') failed",
    );
    ok(r, &["reboot", "100", "--timeout", "30"]);
}
