//! Every file a step reads is read inside the root, bounded, and only when
//! it is a regular file (issue 21, items 8 and 9): a FIFO as a target or as
//! a secret's file used to hang the run for ever while it held the lock, and
//! `secret_from.file` was read from the host under `--root`.

use phx_apply::{apply, Options, Report};
use phx_plan::*;
use std::path::Path;
use std::time::Duration;

use crate::common;
use common::{opts, step};

/// `apply` on a thread: a read that blocks fails the test instead of hanging it.
fn apply_within(plan: Vec<Step>, opts: Options) -> Report {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(apply(&plan, &opts).unwrap()).unwrap());
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the run blocked on a read")
}

fn fifo(at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    nix::unistd::mkfifo(at, nix::sys::stat::Mode::S_IRWXU).unwrap();
}

fn failed_saying(r: &Report, says: &str) {
    let f = r
        .failed()
        .unwrap_or_else(|| panic!("no step failed: {:?}", r.outcomes));
    assert!(f.detail.contains(says), "{}", f.detail);
}

fn file(path: &str, content: &str) -> FileStep {
    FileStep {
        path: path.into(),
        content: content.into(),
        ..Default::default()
    }
}

#[test]
fn a_fifo_as_a_targets_path_is_refused_not_waited_on() {
    let root = tempfile::tempdir().unwrap();
    fifo(&root.path().join("etc/target"));
    let r = apply_within(
        vec![step("f", Action::File(file("/etc/target", "x\n")))],
        opts(root.path()),
    );
    failed_saying(&r, "is a FIFO, not a regular file");
    let absent = AbsentStep {
        path: "/etc/target".into(),
        ..Default::default()
    };
    let r = apply_within(vec![step("rm", Action::Absent(absent))], opts(root.path()));
    failed_saying(&r, "is a FIFO, not a regular file");
}

/// A root-only file whose content is the password at `/vms/0/user_config/password`
/// of the JSON file `from`.
fn secret_step(from: &str) -> Step {
    let mut f = file("/etc/secret.yaml", "password: @S@\n");
    f.secret = true;
    f.mode = Some("0600".into());
    f.secret_from = Some(SecretRef {
        file: from.into(),
        pointer: "/vms/0/user_config/password".into(),
        placeholder: "@S@".into(),
        guard: None,
        sha512_crypt: false,
    });
    step("s", Action::File(f))
}

fn vm_file(password: &str) -> String {
    format!(r#"{{"vms":[{{"vmid":9001,"user_config":{{"password":"{password}"}}}}]}}"#)
}

#[test]
fn a_secrets_file_is_read_inside_the_root() {
    let root = tempfile::tempdir().unwrap();
    let inside = root.path().join("etc/phoenix/vms.json");
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, vm_file("from-inside")).unwrap();
    let r = apply_within(
        vec![secret_step("/etc/phoenix/vms.json")],
        opts(root.path()),
    );
    assert!(r.failed().is_none(), "{:?}", r.outcomes);
    let written = std::fs::read_to_string(root.path().join("etc/secret.yaml")).unwrap();
    assert_eq!(written, "password: \"from-inside\"\n");

    // A file that exists only on the host, outside the root, is not read.
    let host = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(host.path(), vm_file("from-the-host")).unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = apply_within(
        vec![secret_step(&host.path().display().to_string())],
        opts(root.path()),
    );
    failed_saying(&r, "does not exist");
    assert!(!root.path().join("etc/secret.yaml").exists());
}

#[test]
fn a_fifo_as_a_secrets_file_is_refused_not_waited_on() {
    let root = tempfile::tempdir().unwrap();
    fifo(&root.path().join("etc/phoenix/vms.json"));
    let r = apply_within(
        vec![secret_step("/etc/phoenix/vms.json")],
        opts(root.path()),
    );
    failed_saying(&r, "is a FIFO, not a regular file");
}
