//! Guest writes against the pct double: a write whose stdin is cut short
//! installs nothing, changed guest files are backed up inside the guest, and
//! `--rollback` brings them back byte for byte with mode and owner.

use crate::guest_support;

use guest_support::*;
use phx_apply::{apply, Options, Status};
use phx_plan::{Action, GuestFileStep, GuestJsonStep, GuestSecretStep, JsonSet};
use serde_json::json;
use std::path::Path;

const CT: u32 = 101;
const CONF: &str = "/etc/app/app.conf";
const CA_JSON: &str = "/etc/step-ca/ca.json";

fn opts(root: &Path, path: std::ffi::OsString) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(path),
        ..Default::default()
    }
}

fn file(content: &str, mode: Option<&str>) -> Action {
    Action::GuestFile(GuestFileStep {
        guest: CT.into(),
        path: CONF.into(),
        content: Some(content.into()),
        mode: mode.map(String::from),
        owner: Some("root".into()),
        group: Some("root".into()),
        ..Default::default()
    })
}

fn json_set(value: &str) -> Action {
    Action::GuestJson(GuestJsonStep {
        guest: CT.into(),
        path: CA_JSON.into(),
        set: vec![JsonSet {
            pointer: "/authority/claims/defaultTLSCertDuration".into(),
            value: json!(value),
        }],
        ..Default::default()
    })
}

fn ca_json(duration: &str) -> Vec<u8> {
    let doc = json!({"root": "/etc/step-ca/certs/root_ca.crt", "authority": {
        "claims": {"defaultTLSCertDuration": duration},
        "provisioners": [{"type": "JWK", "name": "admin", "key": {"kid": "K"},
                          "encryptedKey": "E".repeat(20_000)}]}});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap()).into_bytes()
}

/// A guest with CONF (0640 nobody:nogroup) and CA_JSON (0600, uid 1000).
fn guest() -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let root = tempfile::tempdir().unwrap();
    running_ct(root.path(), CT);
    let conf = "x".repeat(70_000).into_bytes();
    put(root.path(), CT, CONF, &conf, 0o640, 65534, 65534);
    let ca = ca_json("24h");
    put(root.path(), CT, CA_JSON, &ca, 0o600, 1000, 1000);
    (root, conf, ca)
}

/// `pct` that lets only the first 4096 bytes of a write's stdin through,
/// as when phx-apply dies while the in-guest `cat` is reading.
fn cutting_pct() -> std::ffi::OsString {
    let dir = tempfile::tempdir().unwrap().keep();
    let script = format!(
        "#!/bin/sh\nfor a; do case $a in phx-write|phx-rewrite) head -c 4096 | {0} \"$@\"; exit $?;; esac; done\nexec {0} \"$@\"\n",
        pct_double().display()
    );
    let pct = dir.join("pct");
    std::fs::write(&pct, script).unwrap();
    std::fs::set_permissions(&pct, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path_with(&dir)
}

#[test]
fn a_write_cut_short_installs_nothing() {
    let (root, conf, ca) = guest();
    let r = root.path();
    let path = cutting_pct();
    for (action, p, old) in [
        (file(&"y".repeat(70_000), None), CONF, &conf),
        (json_set("48h"), CA_JSON, &ca),
    ] {
        let report = apply(&plan(vec![action]), &opts(r, path.clone())).unwrap();
        let o = &report.outcomes[0];
        assert_eq!(o.status, Status::Failed, "{o:?}");
        assert!(o.detail.contains("is left as it was"), "{}", o.detail);
        assert_eq!(&stat(r, CT, p).0, old, "{p} is left as it was");
        assert_eq!(temps_beside(r, CT, p), Vec::<String>::new());
    }
}

#[test]
fn changed_guest_files_are_backed_up_inside_the_guest_and_rolled_back_exactly() {
    let (root, conf, ca) = guest();
    let r = root.path();
    let path = pct_path();
    let steps = plan(vec![
        file("new content\n", Some("0600")),
        json_set("48h"),
        Action::GuestFile(GuestFileStep {
            guest: CT.into(),
            path: "/etc/app/new.conf".into(),
            content: Some("made by the run\n".into()),
            ..Default::default()
        }),
        Action::GuestSecret(GuestSecretStep {
            guest: CT.into(),
            path: "/etc/app/secret".into(),
            bytes: 16,
            mode: "0600".into(),
        }),
    ]);
    let report = apply(&steps, &opts(r, path.clone())).unwrap();
    assert!(
        report.outcomes.iter().all(|o| o.status == Status::Changed),
        "{:?}",
        report.outcomes
    );
    assert_eq!(stat(r, CT, CONF), (b"new content\n".to_vec(), 0o600, 0, 0));
    let (new_ca, mode, uid, _) = stat(r, CT, CA_JSON);
    assert!(String::from_utf8(new_ca).unwrap().contains("48h"));
    assert_eq!(
        (mode, uid),
        (0o600, 1000),
        "guest_json keeps mode and owner"
    );
    assert_eq!(stat(r, CT, "/etc/app/secret").0.len(), 32);
    let dir = report.backup_dir.expect("the run has a backup");
    let run_id = dir.file_name().unwrap().to_string_lossy().into_owned();
    // The backups are inside the guest, with the old mode and owner.
    let saved = format!("/var/lib/phoenix/backups/{run_id}");
    assert_eq!(
        stat(r, CT, &format!("{saved}{CONF}")),
        (conf.clone(), 0o640, 65534, 65534)
    );
    assert_eq!(
        stat(r, CT, &format!("{saved}{CA_JSON}")),
        (ca.clone(), 0o600, 1000, 1000)
    );
    // A rerun converges.
    let again = apply(&steps, &opts(r, path.clone())).unwrap();
    assert!(
        again.outcomes.iter().all(|o| o.status == Status::Ok),
        "{:?}",
        again.outcomes
    );

    let done = phx_apply::rollback::rollback_and_rerun(&opts(r, path), &dir).unwrap();
    assert_eq!(stat(r, CT, CONF), (conf, 0o640, 65534, 65534));
    assert_eq!(stat(r, CT, CA_JSON), (ca, 0o600, 1000, 1000));
    assert!(
        !in_ct(r, CT, "/etc/app/new.conf").exists(),
        "/etc/app/new.conf removed: {done:?}"
    );
    // A generated secret stays (what it encrypted may need it): reported.
    assert_eq!(stat(r, CT, "/etc/app/secret").0.len(), 32, "{done:?}");
    assert!(
        done.lines
            .iter()
            .any(|l| l.starts_with(&format!("kept CT {CT}: /etc/app/secret: a secret"))),
        "{done:?}"
    );
    assert!(
        done.lines.contains(&format!("restored CT {CT}: {CONF}")),
        "{done:?}"
    );
}

#[test]
fn a_stopped_guest_is_reported_per_file_and_not_touched() {
    let (root, conf, _) = guest();
    let r = root.path();
    let path = pct_path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/host.conf"), "old host\n").unwrap();
    let steps = plan(vec![
        file("new\n", None),
        Action::File(phx_plan::FileStep {
            path: "/etc/host.conf".into(),
            content: "new host\n".into(),
            ..Default::default()
        }),
    ]);
    let report = apply(&steps, &opts(r, path.clone())).unwrap();
    let dir = report.backup_dir.unwrap();
    assert!(pct(r, &["stop", "101"]).status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phx-apply"))
        .args([
            "--root",
            r.to_str().unwrap(),
            "--run-commands",
            "--rollback",
        ])
        .arg(&dir)
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "CT {CT}: {CONF} not restored: CT {CT} is not running"
        )),
        "{err}"
    );
    assert!(
        err.contains("restored /etc/host.conf"),
        "the host is restored: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(r.join("etc/host.conf")).unwrap(),
        "old host\n"
    );
    assert_eq!(
        stat(r, CT, CONF).0,
        b"new\n",
        "nothing of the stopped guest touched"
    );
    assert_ne!(stat(r, CT, CONF).0, conf);
}

#[test]
fn a_guest_backup_that_does_not_verify_restores_nothing() {
    let (root, _, _) = guest();
    let r = root.path();
    let path = pct_path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/host.conf"), "old host\n").unwrap();
    let steps = plan(vec![
        Action::File(phx_plan::FileStep {
            path: "/etc/host.conf".into(),
            content: "new host\n".into(),
            ..Default::default()
        }),
        file("new\n", None),
    ]);
    let dir = apply(&steps, &opts(r, path.clone()))
        .unwrap()
        .backup_dir
        .unwrap();
    let run_id = dir.file_name().unwrap().to_string_lossy().into_owned();
    let backup = in_ct(r, CT, &format!("/var/lib/phoenix/backups/{run_id}{CONF}"));
    let mut torn = std::fs::read(&backup).unwrap();
    torn.truncate(100);
    std::fs::write(&backup, torn).unwrap();
    let err = phx_apply::rollback::rollback_and_rerun(&opts(r, path), &dir)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not match its size and SHA-256"), "{err}");
    assert!(err.contains("nothing was restored"), "{err}");
    assert_eq!(
        std::fs::read_to_string(r.join("etc/host.conf")).unwrap(),
        "new host\n"
    );
    assert_eq!(stat(r, CT, CONF).0, b"new\n");
}

#[test]
fn directories_a_guest_write_made_are_recorded_and_removed_by_the_rollback() {
    let (root, _, _) = guest();
    let r = root.path();
    let path = pct_path();
    let steps = plan(vec![
        Action::GuestFile(GuestFileStep {
            guest: CT.into(),
            path: "/etc/newapp/conf.d/app.conf".into(),
            content: Some("made by the run\n".into()),
            ..Default::default()
        }),
        Action::GuestSecret(GuestSecretStep {
            guest: CT.into(),
            path: "/etc/keys/new/secret".into(),
            bytes: 16,
            mode: "0600".into(),
        }),
    ]);
    let report = apply(&steps, &opts(r, path.clone())).unwrap();
    assert!(
        report.outcomes.iter().all(|o| o.status == Status::Changed),
        "{:?}",
        report.outcomes
    );
    let dir = report.backup_dir.unwrap();
    // Someone else puts a file in one of the new directories: it stays.
    std::fs::write(in_ct(r, CT, "/etc/keys/other"), "not the run's\n").unwrap();
    let done = phx_apply::rollback::rollback_and_rerun(&opts(r, path), &dir).unwrap();
    // The generated secret is kept, and so is the directory holding it.
    assert!(in_ct(r, CT, "/etc/keys/new/secret").exists(), "{done:?}");
    for gone in ["/etc/newapp", "/etc/newapp/conf.d"] {
        assert!(!in_ct(r, CT, gone).exists(), "{gone} removed: {done:?}");
        assert!(
            done.lines
                .contains(&format!("removed CT {CT}: {gone}/ (the run created it)")),
            "{done:?}"
        );
    }
    assert!(in_ct(r, CT, "/etc/keys/other").exists());
    assert!(in_ct(r, CT, "/etc").is_dir(), "only what the run made goes");
}
