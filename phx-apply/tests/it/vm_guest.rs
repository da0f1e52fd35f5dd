//! Guest steps on a VM, through its guest agent (`qm guest exec`, the qm
//! double running each command in the VM's own root): the same kinds as in
//! a container — files written, read back and backed up, guards with the
//! command's own status, secrets, JSON merges, handlers, `--rollback` — and
//! a VM whose agent cannot answer fails with qm's message.

use crate::guest_support::*;
use phx_apply::{apply, Options, Status};
use phx_plan::{
    Action, CommandStep, FromGuestStep, Guest, GuestCommandStep, GuestFileStep, GuestHandlerStep,
    GuestJsonStep, GuestSecretStep, HandlerStep, JsonSet,
};
use serde_json::json;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

const VM: u32 = 1001;
const CONF: &str = "/etc/app/app.conf";
const CA_JSON: &str = "/etc/step-ca/ca.json";

fn opts(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(qm_path()),
        // The double's agent answers at once, or not until something changes.
        agent_wait: std::time::Duration::ZERO,
        ..Default::default()
    }
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn put_vm(root: &Path, vmid: u32, p: &str, content: &[u8], mode: u32, uid: u32) {
    let host = in_vm(root, vmid, p);
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(&host, content).unwrap();
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(&host, Some(uid), Some(uid)).unwrap();
}

fn stat_vm(root: &Path, vmid: u32, p: &str) -> (Vec<u8>, u32, u32) {
    let host = in_vm(root, vmid, p);
    let m = std::fs::metadata(&host).unwrap();
    (std::fs::read(&host).unwrap(), m.mode() & 0o7777, m.uid())
}

fn write_conf(vmid: u32, content: &str) -> Action {
    Action::GuestFile(GuestFileStep {
        guest: Guest::vm(vmid),
        path: CONF.into(),
        content: Some(content.into()),
        mode: Some("0600".into()),
        owner: Some("root".into()),
        group: Some("root".into()),
        ..Default::default()
    })
}

fn steps() -> Vec<phx_plan::Step> {
    let vm = Guest::vm(VM);
    plan(vec![
        write_conf(VM, "new content\n"),
        Action::GuestFile(GuestFileStep {
            guest: vm,
            path: "/etc/app/sub/new.conf".into(),
            content: Some("made by the run\n".into()),
            ..Default::default()
        }),
        Action::GuestJson(GuestJsonStep {
            guest: vm,
            path: CA_JSON.into(),
            set: vec![JsonSet {
                pointer: "/authority/claims/defaultTLSCertDuration".into(),
                value: json!("48h"),
            }],
            ..Default::default()
        }),
        Action::GuestSecret(GuestSecretStep {
            guest: vm,
            path: "/etc/app/secret".into(),
            bytes: 16,
            mode: "0600".into(),
        }),
        Action::GuestCommand(GuestCommandStep {
            guest: vm,
            command: CommandStep {
                show_output: false,
                argv: argv(&["sh", "-c", "echo ran >> /root/ran"]),
                unless: Some(argv(&["test", "-e", "/root/ran"])),
                only_if: None,
                desc: "mark".into(),
                notify: vec!["s6".into()],
                timeout_s: None,
            },
        }),
        Action::FromGuest(FromGuestStep {
            guest: vm,
            from: "/etc/app/public.crt".into(),
            path: "/ssl/public.crt".into(),
            mode: Some("0644".into()),
            notify: vec![],
        }),
        Action::GuestHandler(GuestHandlerStep {
            guest: vm,
            handler: HandlerStep {
                argv: argv(&["sh", "-c", "echo handled >> /root/handled"]),
                desc: "handle".into(),
                only_if: Some(argv(&["test", "-e", "/root/ran"])),
                ..Default::default()
            },
        }),
    ])
}

fn vm_with_files() -> (tempfile::TempDir, Vec<u8>) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_vm(r, VM, Some("1"));
    put_vm(r, VM, CONF, b"old\n", 0o640, 65534);
    let ca = format!(
        "{}\n",
        serde_json::to_string_pretty(
            &json!({"authority": {"claims": {"defaultTLSCertDuration": "24h"}}, "key": "K"})
        )
        .unwrap()
    );
    put_vm(r, VM, CA_JSON, ca.as_bytes(), 0o600, 1000);
    put_vm(r, VM, "/etc/app/public.crt", b"PUBLIC\xc3\xa9\n", 0o644, 0);
    std::fs::create_dir_all(r.join("ssl")).unwrap();
    (root, ca.into_bytes())
}

#[test]
fn a_vms_files_commands_and_handlers_go_through_its_guest_agent_and_roll_back() {
    let (root, ca) = vm_with_files();
    let r = root.path();
    let before = qm_log(r).len();
    let report = apply(&steps(), &opts(r)).unwrap();
    let statuses: Vec<Status> = report.outcomes.iter().map(|o| o.status).collect();
    assert!(
        statuses.iter().all(|s| *s == Status::Changed),
        "{:?}",
        report.outcomes
    );
    assert_eq!(stat_vm(r, VM, CONF), (b"new content\n".to_vec(), 0o600, 0));
    assert_eq!(
        stat_vm(r, VM, "/etc/app/sub/new.conf").0,
        b"made by the run\n"
    );
    let (merged, mode, uid) = stat_vm(r, VM, CA_JSON);
    let merged: serde_json::Value = serde_json::from_slice(&merged).unwrap();
    assert_eq!(
        merged["authority"]["claims"]["defaultTLSCertDuration"],
        "48h"
    );
    assert_eq!(
        (merged["key"].as_str(), mode, uid),
        (Some("K"), 0o600, 1000)
    );
    let secret = stat_vm(r, VM, "/etc/app/secret").0;
    assert_eq!(secret.len(), 32);
    assert_eq!(stat_vm(r, VM, "/root/handled").0, b"handled\n");
    assert_eq!(report.handlers_fired(), ["s6"]);
    // Brought out of the VM byte for byte (qm's one character per byte undone).
    assert_eq!(
        std::fs::read(r.join("ssl/public.crt")).unwrap(),
        "PUBLICé\n".as_bytes()
    );

    let log = qm_log(r)[before..].to_vec();
    // The agent is asked once, before the first command in the VM.
    let pings: Vec<&String> = log.iter().filter(|l| l.contains(" ping")).collect();
    assert_eq!(pings, [&format!("qm guest cmd {VM} ping")], "{log:#?}");
    assert!(log[0].ends_with(" ping"), "{log:#?}");
    // Content and secrets travel on stdin: never in a process's arguments.
    let text = log.join("\n");
    for never in [
        "new content",
        "made by the run",
        "48h",
        "K\"",
        &String::from_utf8(secret).unwrap(),
    ] {
        assert!(!text.contains(never), "{never:?} in qm.log:\n{text}");
    }
    assert!(text.contains("--pass-stdin 1"), "{text}");

    // A rerun changes nothing: guards and read-backs only.
    let mark = qm_log(r).len();
    let again = apply(&steps(), &opts(r)).unwrap();
    let ok: Vec<Status> = again.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(
        ok,
        [
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Ok,
            Status::Skipped
        ],
        "{:?}",
        again.outcomes
    );
    let rerun = qm_log(r)[mark..].join("\n");
    for writer in [
        "phx-write",
        "phx-rewrite",
        "phx-secret",
        "phx-save",
        "phx-meta",
        "echo ran",
        "echo handled",
    ] {
        assert!(!rerun.contains(writer), "{writer} ran again:\n{rerun}");
    }
    assert_eq!(stat_vm(r, VM, "/root/ran").0, b"ran\n");

    let dir = report.backup_dir.expect("the run has a backup");
    let done = phx_apply::rollback::rollback_and_rerun(&opts(r), &dir).unwrap();
    assert_eq!(
        stat_vm(r, VM, CONF),
        (b"old\n".to_vec(), 0o640, 65534),
        "{done:?}"
    );
    assert_eq!(stat_vm(r, VM, CA_JSON).0, ca);
    assert!(!in_vm(r, VM, "/etc/app/sub").exists(), "{done:?}");
    assert!(!r.join("ssl/public.crt").exists(), "{done:?}");
    assert!(
        done.lines.contains(&format!("restored VM {VM}: {CONF}")),
        "{done:?}"
    );
    // The handler the run ran is run again in the VM, on the old files.
    assert_eq!(
        stat_vm(r, VM, "/root/handled").0,
        b"handled\nhandled\n",
        "{done:?}"
    );
}

#[test]
fn a_vm_whose_agent_cannot_answer_fails_its_steps_with_qms_message() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_vm(r, 1002, None);
    running_vm(r, 1003, Some("1"));
    assert!(qm(r, &["stop", "1003"]).status.success());
    running_vm(r, 1004, Some("enabled=0"));
    for (vmid, says) in [
        (1002, "No QEMU guest agent configured"),
        (1003, "VM 1003 is not running"),
        (1004, "QEMU guest agent is not running"),
    ] {
        let steps = plan(vec![write_conf(vmid, "x\n"), write_conf(vmid, "y\n")]);
        // Awaited a little: an agent that may still come (1004's, silent)
        // is asked again after 5 s; qm's final answers (1002: none
        // configured, 1003: stopped) are not.
        let pings = |r: &Path| {
            qm_log(r)
                .iter()
                .filter(|l| l.starts_with(&format!("qm guest cmd {vmid} ping")))
                .count()
        };
        let before = pings(r);
        let waiting = Options {
            agent_wait: std::time::Duration::from_secs(6),
            ..opts(r)
        };
        let report = apply(&steps, &waiting).unwrap();
        let asked = pings(r) - before;
        assert_eq!(asked, if vmid == 1004 { 2 } else { 1 }, "VM {vmid}");
        let o = &report.outcomes[0];
        assert_eq!(o.status, Status::Failed, "{o:?}");
        assert!(o.detail.contains(says), "{}", o.detail);
        assert!(
            o.detail.contains(&format!("qm guest cmd {vmid} ping")),
            "{}",
            o.detail
        );
        assert!(!in_vm(r, vmid, CONF).exists());
        // Through the command line: exit 1, qm's message on the report.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_phx-apply"))
            .args([
                "--root",
                r.to_str().unwrap(),
                "--run-commands",
                "--agent-wait",
                "0",
            ])
            .env("PATH", qm_path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&jsonl(&steps))?;
                c.wait_with_output()
            })
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains(says), "{all}");
    }
    // A check before the VM exists (a LetsGo whose guests phase makes it)
    // says so, as for a container not made yet: skipped, not failed.
    let check = Options {
        check: true,
        ..opts(r)
    };
    let report = apply(&plan(vec![write_conf(1005, "x\n")]), &check).unwrap();
    let o = &report.outcomes[0];
    assert_eq!(o.status, Status::Skipped, "{o:?}");
    assert!(
        o.detail.contains("not there yet") && o.detail.contains("VM 1005"),
        "{}",
        o.detail
    );
    // No step got past the ping: nothing was run in any of them.
    let log = qm_log(r);
    assert!(!log.iter().any(|l| l.contains("guest exec")), "{log:#?}");
}

#[test]
fn a_vms_file_too_big_for_qms_stdin_fails_before_anything_is_backed_up() {
    let (root, _) = vm_with_files();
    let r = root.path();
    std::fs::write(r.join("big"), "x".repeat(1 << 20)).unwrap();
    let steps = plan(vec![Action::GuestFile(GuestFileStep {
        guest: Guest::vm(VM),
        path: CONF.into(),
        content_from: Some("/big".into()),
        ..Default::default()
    })]);
    let report = apply(&steps, &opts(r)).unwrap();
    let o = &report.outcomes[0];
    assert_eq!(o.status, Status::Failed, "{o:?}");
    assert!(o.detail.contains("at most 1 MiB"), "{}", o.detail);
    assert_eq!(stat_vm(r, VM, CONF).0, b"old\n");
    assert!(!qm_log(r).iter().any(|l| l.contains("phx-save")));
}

#[test]
fn a_pruned_run_takes_a_vms_in_guest_backups_and_a_stopped_vm_holds_the_run() {
    let (root, _) = vm_with_files();
    let r = root.path();
    let keep = |n| Options {
        keep_backups: n,
        ..opts(r)
    };
    let backups = |id: &str| in_vm(r, VM, &format!("/var/lib/phoenix/backups/{id}"));
    let id = |rep: &phx_apply::Report| {
        let dir = rep.backup_dir.as_ref().expect("the run has a backup");
        dir.file_name().unwrap().to_string_lossy().into_owned()
    };
    let first = id(&apply(&plan(vec![write_conf(VM, "one\n")]), &keep(20)).unwrap());
    assert!(backups(&first).join("etc/app/app.conf").is_file());
    let second = apply(&plan(vec![write_conf(VM, "two\n")]), &keep(0)).unwrap();
    assert!(!backups(&first).exists(), "{:?}", second.pruning);
    let second = id(&second);
    // A stopped VM cannot be reached: its run stays, and the report says why.
    assert!(qm(r, &["stop", &VM.to_string()]).status.success());
    std::fs::write(r.join("host.conf"), "old\n").unwrap();
    let host = Action::File(phx_plan::FileStep {
        path: "/host.conf".into(),
        content: "new\n".into(),
        ..Default::default()
    });
    let third = apply(&plan(vec![host]), &keep(0)).unwrap();
    assert!(
        third
            .pruning
            .iter()
            .any(|l| l.contains(&second) && l.contains(&format!("VM {VM} is not running"))),
        "{:?}",
        third.pruning
    );
    assert!(backups(&second).is_dir());
}
