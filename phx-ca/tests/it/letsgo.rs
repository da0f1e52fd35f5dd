//! `phoenix-cli LetsGo` on an empty root, through the real phx-apply binary
//! and the pct and qm doubles: phx-lxc and phx-vm create and start the guests, then phx-ca
//! works inside them, and the root's fingerprint is printed. A check
//! afterwards finds nothing to do.

use crate::common;
use common::*;

fn cli() -> assert_cmd::Command {
    let bins = std::path::PathBuf::from(env!("CARGO_BIN_EXE_phx-ca"))
        .parent()
        .unwrap()
        .to_path_buf();
    for b in ["phoenix-cli", "phx-apply", "phx-lxc", "phx-vm"] {
        assert!(
            bins.join(b).exists(),
            "{b} is not built beside phx-ca: run `cargo test --workspace`"
        );
    }
    let mut c = assert_cmd::Command::new("bash");
    c.arg(workspace().join("scripts/phoenix-cli"))
        .env("PHX_BIN_DIR", bins)
        .env("PATH", ca_path());
    c
}

#[test]
fn letsgo_runs_lxc_then_ca_and_prints_the_root_fingerprint() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    install_guest_doubles(r);
    put_images(&example_dir(), r);
    // The host directory the example's guests bind-mount as /ssl.
    std::fs::create_dir_all(r.join("mnt/pve/tank/persistent/ssl")).unwrap();
    let args = |verb: &[&str]| {
        let mut a: Vec<String> = verb.iter().map(|s| s.to_string()).collect();
        a.extend(["--config-dir".into(), example_dir().display().to_string()]);
        a.extend([
            "--root".into(),
            r.display().to_string(),
            "--run-commands".into(),
        ]);
        a
    };
    let out = cli().args(args(&["LetsGo"])).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let export = "/mnt/pve/tank/persistent/ssl/phoenix_root_ca.crt";
    let fp = phx_common::pem::first_fingerprint(&read(r.join(&export[1..]))).unwrap();
    assert!(
        err.contains(&format!("root CA fingerprint (SHA-256): {fp}  {export}")),
        "{err}"
    );
    // Containers first, then the CA inside them (the golden template CT 900
    // is entered before its clones are made, to install its features).
    let log = pct_log(r);
    let first_exec = log
        .match_indices("pct exec ")
        .find(|(i, _)| !log[*i..].starts_with("pct exec 900 "))
        .unwrap()
        .0;
    assert!(log.rfind("pct create").unwrap() < first_exec);
    assert!(log.rfind("pct clone").unwrap() < first_exec);
    assert!(log.rfind("pct start").unwrap() < first_exec);
    // VM 1001 (trusted_ca), cloned from template 9000 by phx-vm in the same
    // run, holds the exported root, put there through its guest agent.
    let exported = read(r.join(&export[1..]));
    let vm_trust = vm_rootfs(r, 1001).join("usr/local/share/ca-certificates/phoenix-root-ca.crt");
    assert_eq!(read(vm_trust), exported);
    let qm = qm_log(r);
    assert!(
        qm.find("qm start 1001").unwrap() < qm.find("qm guest cmd 1001 ping").unwrap(),
        "{qm}"
    );

    // A second LetsGo: in the VM only the ping, guards and read-backs
    // (phx-ca's file, phx-features' recipes and volume), nothing written.
    let before = qm_log(r).len();
    let vm_log = vm_rootfs(r, 1001).join("var/log/phx-doubles.log");
    let vm_changes = std::fs::read_to_string(&vm_log).unwrap_or_default();
    let again = cli().args(args(&["LetsGo"])).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let rerun = &qm_log(r)[before..];
    // Guards: sh -c scripts named phx-probe, phx-installed…, or plain tests.
    let guard = [
        "-- sh -c ",
        "-- test -",
        "-- mountpoint -q ",
        "-- systemctl is-",
    ];
    let writes: Vec<&str> = rerun
        .lines()
        .filter(|l| l.contains("guest exec") && !guard.iter().any(|g| l.contains(g)))
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    let scripts: Vec<&str> = rerun
        .lines()
        .filter(|l| l.contains("-- sh -c "))
        .filter(|l| {
            ![
                " phx-probe",
                " phx-installed ",
                " phx-fstab-has ",
                " phx-locale-present ",
                " phx-portainer-running ",
            ]
            .iter()
            .any(|g| l.contains(g))
        })
        .collect();
    assert!(scripts.is_empty(), "{scripts:#?}");
    assert_eq!(
        std::fs::read_to_string(&vm_log).unwrap_or_default(),
        vm_changes,
        "nothing changed in VM 1001"
    );
    assert!(rerun.contains("qm guest cmd 1001 ping"), "{rerun}");

    let check = cli().args(args(&["check", "LetsGo"])).output().unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "a second look finds nothing to do:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
