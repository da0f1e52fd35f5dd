//! The pveam TEST DOUBLE itself: it refuses what pveam refuses for the
//! downloads phx-storage plans (pve-manager PVE/API2/Nodes.pm apl_download),
//! and keeps or refuses an existing file as pve-common's
//! download_file_from_url does, so a plan the real pveam would fail on fails
//! here too.

use phx_testkit::double;
use std::path::Path;
use std::process::Command;

const T: &str = "debian-12-standard_12.7-1_amd64.tar.zst";

fn pveam(root: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(double("pveam"))
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap()
        ),
    )
}

fn fails(root: &Path, args: &[&str], msg: &str) {
    let (code, out) = pveam(root, args);
    assert_eq!(code, 255, "pveam {args:?} must exit 255: {out}");
    assert!(
        out.contains(msg),
        "pveam {args:?}: {out:?} should say {msg:?}"
    );
}

#[test]
fn download_refuses_as_pveam_and_keeps_a_matching_file() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    // No index yet (no `pveam update`): every template is unknown.
    fails(
        root,
        &["download", "local", T],
        "template: no such template",
    );
    let (code, out) = pveam(root, &["update"]);
    assert_eq!((code, out.trim()), (0, "update successful"));
    fails(
        root,
        &["download", "local", "nosuch.tar.zst"],
        "template: no such template",
    );
    fails(
        root,
        &["download", "nosuch", T],
        "storage 'nosuch' does not exist",
    );
    fails(
        root,
        &["download", "local-lvm", T],
        "storage 'local-lvm' does not support templates",
    );
    let at = root.join("var/lib/vz/template/cache").join(T);
    assert!(!at.exists(), "nothing written by a refusal");
    let (code, out) = pveam(root, &["download", "local", T]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(&at).unwrap(),
        format!("pveam-double template {T}\n")
    );
    let (code, out) = pveam(root, &["download", "local", T]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no need to download"), "{out}");
    std::fs::write(&at, "another file").unwrap();
    fails(root, &["download", "local", T], "checksum mismatch");
    assert_eq!(std::fs::read_to_string(&at).unwrap(), "another file");
    let names: Vec<_> = std::fs::read_dir(at.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temp file left: {names:?}");
}
