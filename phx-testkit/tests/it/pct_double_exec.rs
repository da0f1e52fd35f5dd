//! The pct TEST DOUBLE's `exec` and `push`: commands really run inside a
//! per-container root (private mount namespace + chroot), with the host's
//! /usr read-only and the container's own /etc, /var and /usr/local.

use phx_testkit::double;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

fn pct(root: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(double("pct"))
        .args(args)
        .env("PHX_ROOT", root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn running(root: &Path, id: &str) {
    assert_eq!(pct(root, &["create", id, TEMPLATE], "").0, 0);
    assert_eq!(pct(root, &["start", id], "").0, 0);
}

fn rootfs(root: &Path, id: &str) -> std::path::PathBuf {
    root.join(format!("var/lib/pct-double/ct/{id}/rootfs"))
}

#[test]
fn exec_runs_inside_the_container_and_returns_its_status() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(pct(r, &["create", "200", TEMPLATE], "").0, 0);
    let (code, _, err) = pct(r, &["exec", "200", "--", "true"], "");
    assert_eq!(code, 255, "a stopped container refuses exec: {err}");
    assert!(err.contains("not running"), "{err}");
    assert_eq!(pct(r, &["start", "200"], "").0, 0);
    let (code, out, err) = pct(
        r,
        &[
            "exec",
            "200",
            "--",
            "sh",
            "-c",
            "cat > /etc/motd; cat /etc/hostname; touch /usr/x; exit 7",
        ],
        "written through stdin\n",
    );
    assert_eq!(code, 7, "{err}");
    assert_eq!(out, "CT200\n", "the container's own /etc");
    assert!(
        err.contains("Read-only file system"),
        "/usr is the host's, read-only: {err}"
    );
    let motd = std::fs::read_to_string(rootfs(r, "200").join("etc/motd")).unwrap();
    assert_eq!(motd, "written through stdin\n");
    assert!(
        !Path::new("/etc/motd").exists() || std::fs::read_to_string("/etc/motd").unwrap() != motd
    );
    // /usr/local is the container's own and writable; a second container does not see it.
    running(r, "201");
    let (code, _, err) = pct(
        r,
        &["exec", "200", "--", "touch", "/usr/local/bin/mine"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(rootfs(r, "200").join("usr/local/bin/mine").exists());
    assert_eq!(
        pct(
            r,
            &["exec", "201", "--", "test", "-e", "/usr/local/bin/mine"],
            ""
        )
        .0,
        1
    );
}

#[test]
fn push_copies_with_perms_and_owner_and_needs_the_directory() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running(r, "300");
    let src = r.join("src.txt");
    std::fs::write(&src, "pushed\n").unwrap();
    let s = src.to_str().unwrap();
    let (code, _, err) = pct(
        r,
        &[
            "push",
            "300",
            s,
            "/etc/pushed",
            "--perms",
            "0600",
            "--user",
            "root",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let m = std::fs::metadata(rootfs(r, "300").join("etc/pushed")).unwrap();
    assert_eq!((m.permissions().mode() & 0o777, m.uid()), (0o600, 0));
    let (code, _, err) = pct(r, &["push", "300", s, "/no/such/dir/f"], "");
    assert_eq!(code, 255);
    assert!(err.contains("No such file or directory"), "{err}");
    let (code, _, _) = pct(
        r,
        &["push", "300", s, "/etc/x", "--user", "nobody-here"],
        "",
    );
    assert_eq!(code, 255, "an unknown user in the container is refused");
}

#[test]
fn a_clone_starts_with_its_source_root_and_destroy_removes_it() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running(r, "400");
    assert_eq!(
        pct(
            r,
            &["exec", "400", "--", "sh", "-c", "echo base > /etc/base"],
            ""
        )
        .0,
        0
    );
    assert_eq!(pct(r, &["stop", "400"], "").0, 0);
    assert_eq!(pct(r, &["clone", "400", "401"], "").0, 0);
    assert_eq!(
        std::fs::read_to_string(rootfs(r, "401").join("etc/base")).unwrap(),
        "base\n"
    );
    assert_eq!(pct(r, &["destroy", "401"], "").0, 0);
    assert!(!rootfs(r, "401").exists());
}
