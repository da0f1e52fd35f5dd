//! A cloud-init password (`user_config.password`) reaches its VM only
//! through a root-only snippet that phx-apply fills in from the VM file:
//! never in a plan, a diff, a log, an error or a process's arguments (the
//! qm and pvesm doubles log every argv). Against the qm and pvesm TEST
//! DOUBLES.

use crate::common;

use common::*;
use phx_vm::{Options, StartMode};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const SECRET: &str = "hunter2-Sekret!";
const SNIPPET: &str = "var/lib/vz/snippets/phoenix-vm-1001-user.yaml";
const VENDOR: &str = "vendor=local:snippets/phoenix-vendor.yaml";

fn set_password(cfg: &Path, i: usize, pw: Option<&str>) {
    edit_json(&cfg.join(VM), |v| {
        v["vms"][i]["user_config"] = match pw {
            Some(p) => json!({"username": "ops", "password": p}),
            None => json!({"username": "ops"}),
        }
    });
}

/// The example configuration in a directory inside `root`: under --root,
/// phx-apply reads the password's file inside the root, as every path.
fn config_in(root: &Path) -> tempfile::TempDir {
    let cfg = tempfile::tempdir_in(root).unwrap();
    for f in [HYP, LXC, VM] {
        std::fs::copy(example_dir().join(f), cfg.path().join(f)).unwrap();
    }
    cfg
}

/// `LetsGo vm` with --diff through phoenix-cli; everything it printed.
fn letsgo(cfg: &Path, root: &Path) -> String {
    let out = phoenix_cli(&[
        "LetsGo",
        "vm",
        "--config-dir",
        cfg.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--run-commands",
        "--diff",
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    text
}

/// Every place a secret must never be: what was printed, the plan, and the
/// argv logs of qm, pvesm and pct.
fn assert_nowhere(secret: &str, printed: &str, plan_json: &str, root: &Path) {
    assert!(!printed.contains(secret), "printed: {printed}");
    assert!(!plan_json.contains(secret), "in the plan");
    for prog in ["qm", "pvesm", "pct"] {
        let log = log(root, prog).join("\n");
        assert!(!log.contains(secret), "{prog}.log: {log}");
    }
}

fn plan_json(cfg: &Path, root: &Path) -> String {
    let p = plan(&load_dir(cfg), root, Options::default());
    serde_json::to_string(&p.plan.steps).unwrap()
}

/// The example with a password on VM 1001 (a running clone), converged.
fn converged() -> (tempfile::TempDir, tempfile::TempDir, String) {
    let root = tempfile::tempdir().unwrap();
    let cfg = config_in(root.path());
    set_password(cfg.path(), 1, Some(SECRET));
    prepare_host(cfg.path(), root.path());
    let plan = plan_json(cfg.path(), root.path());
    let printed = letsgo(cfg.path(), root.path());
    (cfg, root, format!("{plan}\n{printed}"))
}

/// The crypt on the snippet's `password:` line.
fn snippet_crypt(text: &str) -> String {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password line: {text}"));
    serde_json::from_str(line).unwrap()
}

/// No file under the root holds `secret` in clear (backups included), but
/// the operator's own configuration `cfg`, where the secret comes from (it
/// lies inside the root: phx-apply reads `secret_from.file` there).
fn clear_nowhere_on_the_host(secret: &str, root: &Path, cfg: &Path) {
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p == cfg {
                continue;
            }
            if p.is_dir() {
                dirs.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "{} holds the clear password", p.display());
            }
        }
    }
}

/// Proxmox turns cipassword into a SHA-512 crypt before it reaches the
/// user data (qemu-server API2/Qemu.pm:2533 encrypt_pw, Cloudinit.pm): so does
/// Phoenix, and the clear value is on neither the host nor the drive.
#[test]
fn the_password_is_a_sha512_crypt_in_a_root_only_snippet_and_nowhere_else() {
    let (cfg, root, printed) = converged();
    let r = root.path();
    let snippet = r.join(SNIPPET);
    let text = std::fs::read_to_string(&snippet).unwrap();
    let crypt = snippet_crypt(&text);
    let salt = crypt
        .strip_prefix("$6$")
        .unwrap()
        .split('$')
        .next()
        .unwrap();
    let openssl = std::process::Command::new("openssl")
        .args(["passwd", "-6", "-salt", salt, SECRET])
        .output()
        .expect("openssl, to check the crypt with a real tool");
    assert_eq!(String::from_utf8_lossy(&openssl.stdout).trim_end(), crypt);
    clear_nowhere_on_the_host(SECRET, r, cfg.path());
    assert!(text.starts_with("#cloud-config\n") && text.contains("user: \"ops\"\n"));
    let mode = std::fs::metadata(&snippet).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        vm_key(r, 1001, "cicustom"),
        Some(format!(
            "user=local:snippets/phoenix-vm-1001-user.yaml,{VENDOR}"
        )),
        "one cicustom value: the user snippet and the agent's vendor data"
    );
    assert!(vm_key(r, 1001, "cipassword").is_none());
    // qm start refuses a cicustom snippet that is missing or on a storage
    // without snippets: the VM running proves both were in place.
    assert!(running_vms(r).contains(&1001));
    let storage = std::fs::read_to_string(r.join("etc/pve/storage.cfg")).unwrap();
    assert!(
        storage.contains("content iso,vztmpl,backup,snippets"),
        "{storage}"
    );
    assert!(
        printed.contains("<secret>"),
        "the diff names the secret file: {printed}"
    );
    assert_nowhere(SECRET, &printed, "", r);
    // Nothing else got the user snippet: the template and the other clone.
    assert_eq!(vm_key(r, 1002, "cicustom").as_deref(), Some(VENDOR));
    drop(cfg);
}

#[test]
fn a_second_run_changes_nothing_and_calls_no_mutating_qm_or_pvesm() {
    let (cfg, root, _) = converged();
    let r = root.path();
    let before = std::fs::metadata(r.join(SNIPPET)).unwrap();
    let again = plan(&load_dir(cfg.path()), r, Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", again.plan.steps);
    clear_logs(r);
    letsgo(cfg.path(), r);
    assert!(mutating(&log(r, "qm")).is_empty(), "{:?}", log(r, "qm"));
    assert!(log(r, "pvesm").is_empty(), "{:?}", log(r, "pvesm"));
    let after = std::fs::metadata(r.join(SNIPPET)).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((before.ino(), before.mtime()), (after.ino(), after.mtime()));
}

#[test]
fn a_new_password_rewrites_the_snippet_and_rebuilds_the_running_vms_drive() {
    let (cfg, root, _) = converged();
    let r = root.path();
    let new = "correct-horse-battery";
    set_password(cfg.path(), 1, Some(new));
    clear_logs(r);
    let plan = plan_json(cfg.path(), r);
    let printed = letsgo(cfg.path(), r);
    assert_eq!(
        mutating(&log(r, "qm")),
        vec!["qm cloudinit update 1001"],
        "only the drive is rebuilt"
    );
    let text = std::fs::read_to_string(r.join(SNIPPET)).unwrap();
    assert!(phx_plan::crypt::sha512_matches(new, &snippet_crypt(&text)));
    clear_nowhere_on_the_host(new, r, cfg.path());
    assert_nowhere(new, &printed, &plan, r);
    assert_nowhere(SECRET, &printed, &plan, r);
}

#[test]
fn a_removed_password_takes_the_snippet_away() {
    let (cfg, root, _) = converged();
    let r = root.path();
    set_password(cfg.path(), 1, None);
    clear_logs(r);
    let plan = plan_json(cfg.path(), r);
    // --diff shows a removed file's old content: not this one's.
    let printed = letsgo(cfg.path(), r);
    // The running VM's drive is rebuilt without the old password.
    assert_eq!(
        mutating(&log(r, "qm")),
        vec![
            format!("qm set 1001 --cicustom {VENDOR}"),
            "qm cloudinit update 1001".to_string()
        ]
    );
    assert_eq!(vm_key(r, 1001, "cicustom").as_deref(), Some(VENDOR));
    assert!(!r.join(SNIPPET).exists(), "the old password stays on disk");
    assert!(printed.contains("<secret>"), "{printed}");
    assert_nowhere(SECRET, &printed, &plan, r);
}

/// `qm` (the double) run by hand on the test root, as an operator would.
fn qm_by_hand(root: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("qm")
        .args(args)
        .env("PATH", doubles())
        .env("PHX_ROOT", root)
        .output()
        .unwrap()
}

#[test]
fn a_running_vm_whose_password_was_removed_restarts_without_its_snippet() {
    // The snippet goes while the running VM's conf still names it (the
    // delete waits in [PENDING]); qm applies pending changes before it
    // builds the cloud-init drive, so the VM starts again.
    let (cfg, root, _) = converged();
    let r = root.path();
    set_password(cfg.path(), 1, None);
    letsgo(cfg.path(), r);
    assert!(!r.join(SNIPPET).exists());
    for args in [
        &["stop", "1001"][..],
        &["start", "1001"],
        &["reboot", "1001"],
    ] {
        let out = qm_by_hand(r, args);
        assert!(
            out.status.success(),
            "qm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(vm_key(r, 1001, "cicustom").as_deref(), Some(VENDOR));
}

#[test]
fn a_reboot_rebuilds_the_drive_and_needs_the_snippet() {
    // What makes the test above worth having: the double's reboot, like
    // qm's, builds the cloud-init drive and fails without the snippet.
    let (_cfg, root, _) = converged();
    let r = root.path();
    std::fs::remove_file(r.join(SNIPPET)).unwrap();
    let out = qm_by_hand(r, &["reboot", "1001"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn clones_of_a_template_with_a_password_do_not_inherit_its_snippet() {
    let root = tempfile::tempdir().unwrap();
    let cfg = config_in(root.path());
    set_password(cfg.path(), 0, Some(SECRET));
    let r = root.path();
    prepare_host(cfg.path(), r);
    let plan = plan_json(cfg.path(), r);
    let printed = letsgo(cfg.path(), r);
    assert_eq!(
        vm_key(r, 9000, "cicustom"),
        Some(format!(
            "user=local:snippets/phoenix-vm-9000-user.yaml,{VENDOR}"
        ))
    );
    for clone in [1001, 1002] {
        assert_eq!(
            vm_key(r, clone, "cicustom").as_deref(),
            Some(VENDOR),
            "VM {clone}"
        );
    }
    assert_nowhere(SECRET, &printed, &plan, r);
}

#[test]
fn a_plan_applied_after_its_entry_moved_refuses_instead_of_using_another_vms_password() {
    let root = tempfile::tempdir().unwrap();
    let cfg = config_in(root.path());
    set_password(cfg.path(), 1, Some(SECRET));
    set_password(cfg.path(), 2, Some("the-builders-password"));
    let r = root.path();
    prepare_host(cfg.path(), r);
    let planned = plan(
        &load_dir(cfg.path()),
        r,
        Options {
            start: StartMode::None,
            restart: false,
        },
    );
    // The operator swaps the two entries before the plan is applied.
    edit_json(&cfg.path().join(VM), |v| {
        let vms = v["vms"].as_array_mut().unwrap();
        vms.swap(1, 2);
    });
    let report = phx_apply::apply(&planned.plan.steps, &apply_opts(r, doubles().clone())).unwrap();
    let failed = report.failed().expect("the step fails");
    assert!(
        failed.detail.contains("changed since the plan was made"),
        "{}",
        failed.detail
    );
    assert!(!failed.detail.contains("the-builders-password") && !failed.detail.contains(SECRET));
    assert!(!r.join(SNIPPET).exists());
}

#[test]
fn a_password_read_from_a_stream_is_refused_with_exit_2() {
    let cfg = copy_config(&example_dir());
    set_password(cfg.path(), 1, Some(SECRET));
    let root = tempfile::tempdir().unwrap();
    let mut docs = String::new();
    for f in [HYP, LXC, VM] {
        docs.push_str(&std::fs::read_to_string(cfg.path().join(f)).unwrap());
    }
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .args(["-", "--state-root", root.path().to_str().unwrap()])
        .env("PATH", doubles())
        .write_stdin(docs)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vms[1].user_config.password: <secret>"),
        "{err}"
    );
    assert!(err.contains("read from a file"), "{err}");
    assert!(!err.contains(SECRET) && !String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn a_password_that_is_not_a_string_or_no_local_dir_storage_is_refused_unshown() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["user_config"] = json!({"username": "ops", "password": 12345678})
    });
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .args(["--config-dir", cfg.path().to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vms[1].user_config.password: <secret>"),
        "{err}"
    );
    assert!(!err.contains("12345678"), "{err}");

    set_password(cfg.path(), 1, Some(SECRET));
    let root = tempfile::tempdir().unwrap();
    let storage = root.path().join("etc/pve/storage.cfg");
    std::fs::create_dir_all(storage.parent().unwrap()).unwrap();
    std::fs::write(
        &storage,
        "lvmthin: local-lvm\n\tthinpool data\n\tcontent rootdir,images\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .args(["--config-dir", cfg.path().to_str().unwrap()])
        .args(["--state-root", root.path().to_str().unwrap()])
        .env("PATH", doubles())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/etc/pve/storage.cfg") && err.contains("no storage \"local\""),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn a_password_in_a_vm_file_outside_the_root_is_refused_with_exit_2() {
    // phx-apply would read the plan's path inside the root, where it is not.
    let cfg = copy_config(&example_dir());
    set_password(cfg.path(), 1, Some(SECRET));
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let out = assert_cmd::Command::cargo_bin("phx-vm")
        .unwrap()
        .args(["--config-dir", cfg.path().to_str().unwrap()])
        .args(["--state-root", root.path().to_str().unwrap()])
        .env("PATH", doubles())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "vms[1].user_config.password: <secret>: under --root, the VM file inside the root"
        ),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}
