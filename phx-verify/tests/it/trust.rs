//! The trust check through the pct double (pct status, pct exec … cat):
//! a running trusted_ca container whose bundle holds the root passes, one
//! whose bundle lacks it fails by name, a stopped one is skipped.

use assert_cmd::Command;
use phx_testkit::{double, example_dir};
use std::ffi::OsString;
use std::path::Path;

fn pct(path: &OsString, root: &Path, args: &[&str]) {
    let st = std::process::Command::new("pct")
        .args(args)
        .env("PATH", path)
        .env("PHX_ROOT", root)
        .status()
        .unwrap();
    assert!(st.success(), "pct {args:?}");
}

fn self_signed(dir: &Path, cn: &str) -> String {
    let (key, crt) = (dir.join(format!("{cn}.key")), dir.join(format!("{cn}.crt")));
    let st = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-days", "1", "-subj", &format!("/CN={cn}"), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::read_to_string(crt).unwrap()
}

#[test]
fn a_running_trusting_container_holds_the_root_or_is_named() {
    let missing = phx_testkit::which("openssl")
        .is_none()
        .then(|| "openssl".to_string());
    if !phx_testkit::real_component("trust_through_pct", "openssl", missing) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(double("pct"), bin.path().join("pct")).unwrap();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin.path().to_path_buf()];
    dirs.extend(std::env::split_paths(&inherited));
    let path = std::env::join_paths(dirs).unwrap();

    let template = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    // The example's trusted_ca containers: 102, 110, 111.
    for ct in ["102", "110", "111"] {
        pct(&path, root.path(), &["create", ct, template]);
    }
    for ct in ["102", "110"] {
        pct(&path, root.path(), &["start", ct]);
    }
    let the_root = self_signed(root.path(), "Phoenix Root CA");
    let other = self_signed(root.path(), "Some Public CA");
    let bundle = |ct: &str, text: &str| {
        let f = root.path().join(format!(
            "var/lib/pct-double/ct/{ct}/rootfs/etc/ssl/certs/ca-certificates.crt"
        ));
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    bundle("102", &format!("{other}{the_root}"));
    bundle("110", &other);
    let root_file = root.path().join("Phoenix Root CA.crt");

    let out = Command::cargo_bin("phx-verify")
        .unwrap()
        .arg("--config-dir")
        .arg(example_dir())
        .args([
            "--skip",
            "dns",
            "--skip",
            "ca",
            "--skip",
            "routes",
            "--root-cert",
        ])
        .arg(&root_file)
        .env("PATH", &path)
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |start: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(start))
            .map(str::to_string)
    };
    let ok = line("ok    trust  CT 102 ").unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        ok.contains("/etc/ssl/certs/ca-certificates.crt holds the root (SHA-256 "),
        "{ok}"
    );
    let failed = line("FAIL  trust  CT 110 ").unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        failed.contains("(1 certificates) lacks the root"),
        "{failed}"
    );
    assert!(
        line("skip  trust  CT 111 ").is_some_and(|l| l.ends_with("not running")),
        "{stdout}"
    );
    assert!(
        line("skip  trust  VM 1001 ").is_some_and(|l| l.contains("phx-ca puts no root in VMs")),
        "{stdout}"
    );
    assert!(
        stdout.contains("8 checks: 1 ok, 1 failed, 6 skipped"),
        "{stdout}"
    );
}
