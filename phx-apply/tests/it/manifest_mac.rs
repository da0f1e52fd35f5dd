//! The backup manifest is authenticated: a rollback checks every line's MAC
//! and every file in the backup before it touches anything, and refuses,
//! with nothing restored, a changed line, an added one, a file the manifest
//! does not vouch for, or a backup whose mode was changed (setuid).

use phx_apply::apply;
use phx_plan::*;
use std::path::{Path, PathBuf};

use crate::common;
use common::{opts, step};

const HOSTS: &str = "/etc/hosts";

/// A run that replaced /etc/hosts and created /etc/new: (root, its backup dir).
fn applied() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/hosts"), "old\n").unwrap();
    let file = |id: &str, path: &str, content: &str| {
        step(
            id,
            Action::File(FileStep {
                path: path.into(),
                content: content.into(),
                ..Default::default()
            }),
        )
    };
    let r = apply(
        &[file("h", HOSTS, "new\n"), file("n", "/etc/new", "made\n")],
        &opts(root.path()),
    )
    .unwrap();
    let dir = r.backup_dir.unwrap();
    (root, dir)
}

fn manifest(dir: &Path) -> PathBuf {
    dir.join(phx_apply::manifest::MANIFEST)
}

/// The rollback is refused, and the run's changes are all still there.
fn refused(root: &Path, dir: &Path, why: &str) {
    let err = phx_apply::rollback::rollback(root, dir).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains(why), "{msg}");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/hosts")).unwrap(),
        "new\n"
    );
    assert!(root.join("etc/new").exists(), "nothing was undone");
}

#[test]
fn every_line_carries_a_mac_and_the_key_is_roots_alone() {
    use std::os::unix::fs::PermissionsExt;
    let (root, dir) = applied();
    let text = std::fs::read_to_string(manifest(&dir)).unwrap();
    assert!(text
        .lines()
        .all(|l| l.rsplit_once('\t').is_some_and(|(_, m)| m.len() == 64)));
    let key = root.path().join("var/lib/phoenix/manifest.key");
    let meta = std::fs::metadata(&key).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!(meta.len(), 32);
}

#[test]
fn a_tampered_line_is_refused() {
    let (root, dir) = applied();
    let text = std::fs::read_to_string(manifest(&dir)).unwrap();
    // Point the created file's removal at another file; keep the MAC.
    let tampered = text.replacen("\"/etc/new\"", "\"/etc/hosts\"", 1);
    assert_ne!(tampered, text);
    std::fs::write(manifest(&dir), tampered).unwrap();
    refused(root.path(), &dir, "the MAC does not verify");
}

#[test]
fn an_added_line_is_refused() {
    let (root, dir) = applied();
    let mut text = std::fs::read_to_string(manifest(&dir)).unwrap();
    let last_mac = text
        .lines()
        .last()
        .unwrap()
        .rsplit_once('\t')
        .unwrap()
        .1
        .to_string();
    text.push_str(&format!(
        "{{\"handler\":{{\"argv\":[\"sh\",\"-c\",\"touch /tmp/owned\"]}}}}\t{last_mac}\n"
    ));
    std::fs::write(manifest(&dir), text).unwrap();
    refused(root.path(), &dir, "the MAC does not verify");
}

#[test]
fn a_line_without_a_mac_is_refused() {
    let (root, dir) = applied();
    let mut text = std::fs::read_to_string(manifest(&dir)).unwrap();
    text.push_str("{\"created\":{\"path\":\"/etc/hosts\"}}\n");
    std::fs::write(manifest(&dir), text).unwrap();
    refused(root.path(), &dir, "no MAC");
}

#[test]
fn a_stray_file_in_the_backup_is_refused() {
    let (root, dir) = applied();
    std::fs::create_dir_all(dir.join("etc/cron.d")).unwrap();
    std::fs::write(dir.join("etc/cron.d/evil"), "* * * * * root sh\n").unwrap();
    refused(root.path(), &dir, "the manifest does not vouch for it");
}

#[test]
fn a_setuid_bit_added_to_a_backup_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (root, dir) = applied();
    let saved = dir.join("etc/hosts");
    std::fs::set_permissions(&saved, std::fs::Permissions::from_mode(0o4755)).unwrap();
    refused(root.path(), &dir, "has mode 4755, the manifest says 0644");
    // And the manifest's mode cannot be changed to match it.
    let text = std::fs::read_to_string(manifest(&dir)).unwrap();
    let tampered = text.replacen("\"mode\":420", "\"mode\":2541", 1);
    assert_ne!(tampered, text);
    std::fs::write(manifest(&dir), tampered).unwrap();
    refused(root.path(), &dir, "the MAC does not verify");
}

#[test]
fn a_manifest_moved_to_another_runs_directory_is_refused() {
    let (root, dir) = applied();
    let other = dir.with_file_name("1700000000-000000000-1");
    std::fs::rename(&dir, &other).unwrap();
    refused(root.path(), &other, "the MAC does not verify");
}

#[test]
fn a_key_others_can_read_is_not_trusted() {
    use std::os::unix::fs::PermissionsExt;
    let (root, dir) = applied();
    let key = root.path().join("var/lib/phoenix/manifest.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(root.path(), &dir, "readable by it alone");
}
