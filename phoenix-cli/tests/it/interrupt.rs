//! Ctrl-C while a program runs (phx-apply; the planners plan in
//! phoenix-cli's own process): the program stops, phoenix-cli stops after
//! it with 130, runs nothing more and leaves no scratch directory behind.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn an_interrupt_stops_the_run_after_the_program_and_removes_the_scratch_directory() {
    let bins = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let started = bins.path().join("started");
    // phx-apply: a program that says it started, then waits to be interrupted.
    let path = bins.path().join("phx-apply");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho phx-apply >>'{}'\nexec sleep 30\n",
            started.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A node's files to plan against: `all` plans both groups first, then
    // runs phx-apply once per phase.
    let root = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/state/."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let child = Command::new(env!("CARGO_BIN_EXE_phoenix-cli"))
        .args(["all", "--config-dir"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/etc"))
        .arg("--root")
        .arg(root.path())
        .env("PHX_BIN_DIR", bins.path())
        .env("TMPDIR", tmp.path())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !started.exists() {
        assert!(Instant::now() < deadline, "phx-apply never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // As a terminal's Ctrl-C: the whole foreground process group.
    killpg(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let ran = std::fs::read_to_string(&started).unwrap();
    assert_eq!(
        ran.lines().count(),
        1,
        "no phx-apply after the interrupt: {ran}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}");
}
