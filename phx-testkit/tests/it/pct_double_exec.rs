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

/// A tiny REAL root in the pct double's template-root: its own /usr with
/// the host's sh, env, cat and ls and the libraries they load (as `ldd`
/// names them), its own passwd — what an unpacked template brings, without
/// the Debian tarball the real-root recipe test uses.
fn real_template_root(root: &Path) {
    let t = root.join("var/lib/pct-double/template-root");
    for d in ["usr/bin", "usr/lib", "usr/lib64", "etc", "tmp"] {
        std::fs::create_dir_all(t.join(d)).unwrap();
    }
    for link in ["bin", "sbin", "lib", "lib64"] {
        if let Ok(to) = std::fs::read_link(Path::new("/").join(link)) {
            std::os::unix::fs::symlink(to, t.join(link)).unwrap();
        }
    }
    let progs = ["/usr/bin/sh", "/usr/bin/env", "/usr/bin/cat", "/usr/bin/ls"];
    let ldd = Command::new("ldd").args(progs).output().unwrap();
    let libs: Vec<String> = String::from_utf8(ldd.stdout)
        .unwrap()
        .split_whitespace()
        .filter(|w| w.starts_with('/') && !w.ends_with(':'))
        .map(str::to_string)
        .collect();
    for f in progs.iter().map(|p| p.to_string()).chain(libs) {
        let to = t.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    std::fs::write(t.join("etc/passwd"), "root:x:0:0:template:/root:/bin/sh\n").unwrap();
}

#[test]
fn a_real_root_runs_alone_with_its_own_usr_and_no_network_unless_asked() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    real_template_root(r);
    running(r, "500");
    assert_eq!(
        std::fs::read_to_string(rootfs(r, "500").join("etc/passwd")).unwrap(),
        "root:x:0:0:template:/root:/bin/sh\n",
        "the real root's own /etc is kept, not replaced by the skeleton's"
    );
    let (code, out, err) = pct(
        r,
        &[
            "exec",
            "500",
            "--",
            "sh",
            "-c",
            // The host's /usr has python3 (the double runs on it); the
            // container's does not. Its /usr is its own and writable.
            "ls /usr/bin; echo mine > /usr/bin/mine; cat /etc/hostname; cat /proc/net/dev",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let listed: Vec<&str> = lines.by_ref().take(4).collect();
    assert_eq!(
        listed,
        ["cat", "env", "ls", "sh"],
        "only the root's own /usr: {out}"
    );
    assert_eq!(lines.next(), Some("CT500"));
    assert_eq!(
        std::fs::read_to_string(rootfs(r, "500").join("usr/bin/mine")).unwrap(),
        "mine\n"
    );
    // /proc/net/dev lists the reader's network namespace: loopback alone.
    let ifaces: Vec<&str> = lines
        .skip(2)
        .map(|l| l.split(':').next().unwrap().trim())
        .collect();
    assert_eq!(ifaces, ["lo"], "no network by default: {out}");

    // Opted in: the host's interfaces and its resolv.conf.
    let seen = phx_testkit::stdout_of(
        Command::new(double("pct"))
            .args([
                "exec",
                "500",
                "--",
                "cat",
                "/proc/net/dev",
                "/etc/resolv.conf",
            ])
            .env("PHX_ROOT", r)
            .env("PCT_DOUBLE_NETWORK", "1")
            .output()
            .unwrap(),
    );
    // Names only: the byte counters move between two reads.
    let names = |dev: &str| -> Vec<String> {
        dev.lines()
            .skip(2)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, _)| n.trim().to_string())
            .collect()
    };
    let host_dev = std::fs::read_to_string("/proc/net/dev").unwrap();
    assert_eq!(names(&seen), names(&host_dev), "the host's network: {seen}");
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap();
    assert!(
        seen.ends_with(&host_resolv),
        "the host's resolv.conf: {seen}"
    );
    let out = Command::new(double("pct"))
        .args(["exec", "500", "--", "true"])
        .env("PHX_ROOT", r)
        .env("PCT_DOUBLE_NETWORK", "yes")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255), "an unclear opt-in is refused");
}

#[test]
fn push_into_a_real_root_writes_its_usr_and_stays_inside_it() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    real_template_root(r);
    running(r, "501");
    let src = r.join("src.txt");
    std::fs::write(&src, "pushed\n").unwrap();
    let s = src.to_str().unwrap();
    let (code, _, err) = pct(r, &["push", "501", s, "/usr/bin/pushed"], "");
    assert_eq!(code, 0, "a real root's /usr is its own: {err}");
    // An absolute symlink inside the container points into the container.
    let outside = tempfile::tempdir().unwrap();
    let host_dir = outside.path().to_str().unwrap().to_string();
    std::os::unix::fs::symlink(&host_dir, rootfs(r, "501").join("etc/away")).unwrap();
    std::fs::create_dir_all(rootfs(r, "501").join(host_dir.trim_start_matches('/'))).unwrap();
    let (code, _, err) = pct(r, &["push", "501", s, "/etc/away/f"], "");
    assert_eq!(code, 0, "{err}");
    assert!(!outside.path().join("f").exists(), "written on the host");
    assert!(rootfs(r, "501")
        .join(host_dir.trim_start_matches('/'))
        .join("f")
        .exists());
}
