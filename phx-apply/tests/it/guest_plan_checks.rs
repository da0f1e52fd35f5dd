//! Issue 21, items 17 and 18: guest step kinds get the whole-plan checks
//! host steps get, so each of these is refused before anything runs (exit 2)
//! instead of failing half-way through the run, or never.

use crate::guest_support;

use guest_support::*;
use phx_apply::check_plan;
use phx_plan::{
    Action, CommandStep, GuestCommandStep, GuestFileStep, GuestJsonStep, GuestSecretStep, JsonSet,
    JsonUpsert,
};
use serde_json::json;

fn refused(a: Action, why: &str) {
    let e = check_plan(&plan(vec![a])).unwrap_err().to_string();
    assert!(e.contains(why), "wanted {why:?} in: {e}");
    assert!(e.contains("step \"s0\""), "the step is named: {e}");
}

fn file(ctid: u32) -> GuestFileStep {
    GuestFileStep {
        guest: ctid.into(),
        path: "/etc/x".into(),
        content: Some("x".into()),
        ..Default::default()
    }
}

fn command(argv: &[&str]) -> GuestCommandStep {
    GuestCommandStep {
        guest: 101.into(),
        command: CommandStep {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            desc: "d".into(),
            ..Default::default()
        },
    }
}

fn json_at(pointer: &str) -> Action {
    Action::GuestJson(GuestJsonStep {
        guest: 101.into(),
        path: "/etc/step-ca/ca.json".into(),
        set: vec![JsonSet {
            pointer: pointer.into(),
            value: json!(1),
        }],
        ..Default::default()
    })
}

#[test]
fn ctid_zero() {
    refused(Action::GuestFile(file(0)), "ctid 0 is not a CT id");
    let mut c = command(&["true"]);
    c.guest = 99.into();
    refused(Action::GuestCommand(c), "ctid 99 is not a CT id");
    let mut c = command(&["true"]);
    c.guest = phx_plan::Guest::vm(42);
    refused(Action::GuestCommand(c), "vmid 42 is not a VM id");
}

#[test]
fn a_vms_file_content_must_fit_through_qm_guest_exec_stdin() {
    let mut f = file(101);
    f.guest = phx_plan::Guest::vm(1001);
    f.content = Some("x".repeat(1 << 20));
    refused(Action::GuestFile(f.clone()), "at most 1 MiB");
    // The same content is fine for a container (16 MiB bound).
    f.guest = 101.into();
    check_plan(&plan(vec![Action::GuestFile(f)])).unwrap();
}

#[test]
fn a_pointer_without_a_leading_slash() {
    refused(
        json_at("authority/x"),
        "set pointer \"authority/x\" is not a JSON pointer",
    );
    let upsert = Action::GuestJson(GuestJsonStep {
        guest: 101.into(),
        path: "/etc/step-ca/ca.json".into(),
        upsert: vec![JsonUpsert {
            array: "authority/provisioners".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
    refused(
        upsert,
        "upsert array \"authority/provisioners\" is not a JSON pointer",
    );
}

#[test]
fn the_empty_pointer_the_whole_document() {
    refused(json_at(""), "set pointer \"\" is the whole document");
}

#[test]
fn nul_in_argv() {
    refused(
        Action::GuestCommand(command(&["echo", "a\0b"])),
        "argv holds a NUL byte",
    );
}

#[test]
fn empty_guards() {
    let mut c = command(&["true"]);
    c.command.unless = Some(vec![]);
    refused(Action::GuestCommand(c), "unless is an empty argv");
    let mut c = command(&["true"]);
    c.command.only_if = Some(vec![]);
    refused(Action::GuestCommand(c), "only_if is an empty argv");
}

#[test]
fn unbounded_secret_bytes() {
    for bytes in [0, (1 << 20) + 1] {
        let s = Action::GuestSecret(GuestSecretStep {
            guest: 101.into(),
            path: "/etc/s".into(),
            bytes,
            mode: "0600".into(),
        });
        refused(s, &format!("bytes {bytes} must be between 1 and"));
    }
}

#[test]
fn unbounded_content() {
    let mut f = file(101);
    f.content = Some("x".repeat((16 << 20) + 1));
    refused(Action::GuestFile(f), "over the 16777216-byte bound");
}

#[test]
fn content_from_the_executors_state() {
    let mut f = file(101);
    f.content = None;
    f.content_from = Some("/var/lib/phoenix/backups/x/.phoenix-manifest".into());
    refused(Action::GuestFile(f), "is the executor's own state");
}

#[test]
fn a_write_over_the_guests_backups() {
    let mut f = file(101);
    f.path = "/var/lib/phoenix/backups/1-2-3/etc/x".into();
    refused(
        Action::GuestFile(f),
        "where Phoenix keeps the guest's backups",
    );
}

#[test]
fn a_refused_plan_exits_2_and_reaches_no_guest() {
    let root = tempfile::tempdir().unwrap();
    let plan_file = root.path().join("plan.jsonl");
    std::fs::write(&plan_file, jsonl(&plan(vec![Action::GuestFile(file(0))]))).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phx-apply"))
        .args(["--root", root.path().to_str().unwrap(), "--run-commands"])
        .arg(&plan_file)
        .env("PATH", pct_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ctid 0 is not a CT id"));
    assert!(
        !root.path().join("pct.log").exists(),
        "pct was never called"
    );
}

#[test]
fn a_guest_handler_runs_in_a_vm_not_in_a_container() {
    let h = |guest: phx_plan::Guest| {
        Action::GuestHandler(phx_plan::GuestHandlerStep {
            guest,
            handler: phx_plan::HandlerStep {
                argv: vec!["true".into()],
                desc: "d".into(),
                ..Default::default()
            },
        })
    };
    refused(h(101.into()), "a guest_handler runs in a VM (vmid)");
    check_plan(&plan(vec![h(phx_plan::Guest::vm(1001))])).unwrap();
}
