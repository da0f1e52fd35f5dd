//! The qm TEST DOUBLE's guest agent: `guest exec` and `guest cmd … ping`
//! (`agent … ping`) in a per-VM root, refusing in qemu-server's order
//! (src/PVE/QemuServer/Agent.pm:109-113) and printing qm's JSON report.

use phx_testkit::double;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// qm's exit status, stdout and stderr, with `input` on its stdin.
fn qm_in(root: &Path, args: &[&str], input: Option<&[u8]>) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(double("qm"))
        .args(args)
        .env("PHX_ROOT", root)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = input {
        // qm may refuse before reading it all.
        let _ = child.stdin.take().unwrap().write_all(data);
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn qm(root: &Path, args: &[&str]) -> (i32, Vec<u8>, String) {
    qm_in(root, args, None)
}

fn ok(root: &Path, args: &[&str]) {
    let (code, _, err) = qm(root, args);
    assert_eq!(code, 0, "qm {args:?}: {err}");
}

fn fails(root: &Path, args: &[&str], msg: &str) {
    let (code, _, err) = qm(root, args);
    assert_eq!(code, 255, "qm {args:?} must exit 255: {err}");
    assert!(err.contains(msg), "qm {args:?}: {err:?} should say {msg:?}");
}

fn with_agent_package(root: &Path, id: u32) {
    let status = root.join(format!(
        "var/lib/qm-double/vm/{id}/rootfs/var/lib/dpkg/status"
    ));
    std::fs::write(
        status,
        "Package: qemu-guest-agent\nStatus: install ok installed\n\n",
    )
    .unwrap();
}

/// A running VM 100 whose agent answers.
fn vm() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &["create", "100", "--name", "a", "--agent", "1"]);
    with_agent_package(d.path(), 100);
    ok(d.path(), &["start", "100"]);
    d
}

fn report(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn the_agent_is_refused_in_qemu_servers_order() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    fails(
        r,
        &["guest", "cmd", "100", "ping"],
        "Configuration file 'nodes/pve/qemu-server/100.conf' does not exist",
    );
    ok(r, &["create", "100", "--name", "a"]);
    // No `agent` key: said first, even of a stopped VM.
    fails(
        r,
        &["guest", "cmd", "100", "ping"],
        "No QEMU guest agent configured",
    );
    fails(
        r,
        &["guest", "exec", "100", "--", "true"],
        "No QEMU guest agent configured",
    );
    ok(r, &["set", "100", "--agent", "1"]);
    fails(r, &["agent", "100", "ping"], "VM 100 is not running");
    ok(r, &["start", "100"]);
    // Running, but the image has no agent in it.
    fails(
        r,
        &["guest", "exec", "100", "--", "true"],
        "QEMU guest agent is not running",
    );
    with_agent_package(r, 100);
    let (code, out, _) = qm(r, &["guest", "cmd", "100", "ping"]);
    assert_eq!(
        (code, out.as_slice()),
        (0, &b""[..]),
        "ping's {{}} prints nothing"
    );
    ok(r, &["agent", "100", "ping"]);
    // Disabled in the config: the VM has no agent device.
    ok(r, &["set", "100", "--agent", "enabled=0"]);
    fails(
        r,
        &["agent", "100", "ping"],
        "QEMU guest agent is not running",
    );
    ok(r, &["set", "100", "--agent", "1,fstrim_cloned_disks=1"]);
    ok(r, &["agent", "100", "ping"]);
}

#[test]
fn exec_prints_the_commands_status_and_output_as_qm_does_and_exits_0() {
    let d = vm();
    let r = d.path();
    let (code, out, _) = qm(
        r,
        &[
            "guest",
            "exec",
            "100",
            "--",
            "sh",
            "-c",
            "printf 'caf\\303\\251'; echo oops >&2; exit 3",
        ],
    );
    assert_eq!(code, 0, "qm exits 0 whatever the command did");
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.starts_with("{\n   \"err-data\" : \"oops\\n\",\n   \"exitcode\" : 3,\n"),
        "{text}"
    );
    // Each output byte one character, as qm prints its byte string.
    assert_eq!(report(&out)["out-data"], "caf\u{00c3}\u{00a9}");
    let (_, out, _) = qm(r, &["guest", "exec", "100", "--", "true"]);
    assert_eq!(
        report(&out),
        serde_json::json!({"exitcode": 0, "exited": 1}),
        "no empty data keys"
    );
    fails(
        r,
        &["guest", "exec", "100", "--", "no-such-program"],
        "Agent error: Failed to execute child process",
    );
    fails(
        r,
        &["guest", "exec", "100"],
        "command or input-data (or both) required",
    );
}

#[test]
fn stdin_is_passed_up_to_1_mib_and_the_timeout_returns_the_pid() {
    let d = vm();
    let r = d.path();
    let args = [
        "guest",
        "exec",
        "100",
        "--pass-stdin",
        "1",
        "--",
        "sh",
        "-c",
        "cat > /root/got; wc -c < /root/got",
    ];
    let (code, out, err) = qm_in(r, &args, Some(b"hello"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(report(&out)["out-data"], "5\n");
    let got = r.join("var/lib/qm-double/vm/100/rootfs/root/got");
    assert_eq!(std::fs::read(&got).unwrap(), b"hello");
    let big = vec![b'x'; (1 << 20) + 1];
    let (code, _, err) = qm_in(r, &args, Some(&big));
    assert_eq!(code, 255);
    assert!(
        err.contains("'input-data' (STDIN) is limited to 1 MiB, aborting"),
        "{err}"
    );
    // Without --pass-stdin the command's stdin is empty.
    let (_, out, _) = qm_in(
        r,
        &["guest", "exec", "100", "--", "wc", "-c"],
        Some(b"ignored"),
    );
    assert_eq!(report(&out)["out-data"], "0\n");
    let (code, out, err) = qm(
        r,
        &["guest", "exec", "100", "--timeout", "1", "--", "sleep", "5"],
    );
    assert_eq!(code, 0);
    assert!(err.contains("timeout reached, returning pid"), "{err}");
    assert!(report(&out)["pid"].is_u64() && report(&out).get("exited").is_none());
    fails(
        r,
        &[
            "guest",
            "exec",
            "100",
            "--timeout",
            "5",
            "--synchronous",
            "0",
            "--",
            "true",
        ],
        "synchronous: needs to be set for 'timeout'",
    );
}

#[test]
fn a_clone_starts_from_its_sources_root_and_create_from_the_image_skeleton() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let skel = r.join("var/lib/qm-double/template-root/etc");
    std::fs::create_dir_all(&skel).unwrap();
    std::fs::write(skel.join("from-image"), "image\n").unwrap();
    ok(r, &["create", "9000", "--name", "t", "--agent", "1"]);
    let t = r.join("var/lib/qm-double/vm/9000/rootfs");
    assert_eq!(std::fs::read(t.join("etc/from-image")).unwrap(), b"image\n");
    std::fs::write(t.join("etc/made-in-template"), "t\n").unwrap();
    ok(r, &["template", "9000"]);
    ok(r, &["clone", "9000", "1001", "--name", "c"]);
    let c = r.join("var/lib/qm-double/vm/1001/rootfs");
    assert_eq!(
        std::fs::read(c.join("etc/made-in-template")).unwrap(),
        b"t\n"
    );
    ok(r, &["destroy", "1001"]);
    assert!(!c.exists(), "destroy removes the VM's root");
}
