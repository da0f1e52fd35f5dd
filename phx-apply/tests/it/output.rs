//! What the phx-apply binary prints: each step as it finishes (not all at
//! the end), colour only where asked for or on a terminal, diffs of new
//! files from /dev/null, and a converged run as one recap line per subsystem.

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Write};

fn phx_apply() -> Command {
    Command::cargo_bin("phx-apply").unwrap()
}

fn file_step(tool: &str, id: &str, path: &str, content: &str) -> String {
    serde_json::json!({"v": 1, "tool": tool, "id": id, "kind": "file", "path": path, "content": content})
        .to_string()
}

fn command_step(tool: &str, id: &str, argv: &[&str]) -> String {
    serde_json::json!({"v": 1, "tool": tool, "id": id, "kind": "command", "argv": argv, "desc": id})
        .to_string()
}

/// Steps (one JSON line each) of one tool and its trailer.
fn segment(tool: &str, steps: &[String]) -> String {
    let mut s: String = steps.iter().map(|l| format!("{l}\n")).collect();
    s.push_str(&format!(
        "{{\"v\":1,\"tool\":\"{tool}\",\"kind\":\"end\",\"steps\":{}}}\n",
        steps.len()
    ));
    s
}

/// Two tools' plan: three files, two of them for `phx-a`.
fn two_tools() -> String {
    segment(
        "phx-a",
        &[
            file_step("phx-a", "a1", "/etc/a1", "one\n"),
            file_step("phx-a", "a2", "/etc/a2", "two\n"),
        ],
    ) + &segment("phx-b", &[file_step("phx-b", "b", "/etc/b", "bee\n")])
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// An SGR colour sequence (`ESC [ … m`) anywhere in `s`.
fn has_colour(s: &str) -> bool {
    s.split("\x1b[").skip(1).any(|rest| {
        let code: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        rest[code.len()..].starts_with('m')
    })
}

/// The first step's line must be out while the second command still runs.
/// The second command blocks on a FIFO that the test opens only after it has
/// read that line, and it leaves `done` behind when it finishes; a report
/// printed at the end would arrive only after a watchdog released the FIFO,
/// with `done` already there.
#[test]
fn each_step_is_printed_as_it_finishes() {
    let root = tempfile::tempdir().unwrap();
    let fifo = root.path().join("go");
    let done = root.path().join("done");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let waits = format!("read x < '{}'; : > '{}'", fifo.display(), done.display());
    let plan = segment(
        "t",
        &[
            command_step("t", "first", &["true"]),
            command_step("t", "second", &["sh", "-c", &waits]),
        ],
    );
    let plan_file = root.path().join("plan.jsonl");
    std::fs::write(&plan_file, plan).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("phx-apply"))
        .arg("--root")
        .arg(root.path())
        .arg("--run-commands")
        .arg(&plan_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let release = |fifo: std::path::PathBuf| {
        move || {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(fifo) {
                let _ = f.write_all(b"go\n");
            }
        }
    };
    // Only so a broken build fails instead of hanging; not a timing check.
    let watchdog = release(fifo.clone());
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        watchdog()
    });
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.starts_with("[1/2] "))
        .expect("a line for the first step");
    assert!(first.contains("first"), "{first}");
    assert!(
        !done.exists(),
        "the first step's line came only after the second command finished"
    );
    std::thread::spawn(release(fifo));
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    assert!(done.exists());
    assert!(
        rest.iter().any(|l| l.starts_with("[2/2] changed")),
        "{rest:?}"
    );
    assert_eq!(
        rest.last().unwrap(),
        "t: 0 ok, 2 changed, 0 skipped, 0 failed"
    );
}

#[test]
fn a_converged_run_prints_one_recap_line_per_subsystem_and_verbose_every_step() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    phx_apply()
        .args(["--root", r])
        .write_stdin(two_tools())
        .assert()
        .success();
    let out = phx_apply()
        .args(["--root", r, "--diff"])
        .write_stdin(two_tools())
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(text(&out.stdout), "", "no diff when nothing changes");
    assert_eq!(
        text(&out.stderr),
        "phx-a: 2 ok, 0 changed, 0 skipped, 0 failed\n\
         phx-b: 1 ok, 0 changed, 0 skipped, 0 failed\n"
    );
    let verbose = phx_apply()
        .args(["--root", r, "--verbose"])
        .write_stdin(two_tools())
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let lines: Vec<String> = text(&verbose).lines().map(String::from).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    for (line, (n, id)) in lines.iter().zip([(1, "a1"), (2, "a2"), (3, "b")]) {
        let want = format!("[{n}/3] ok ");
        assert!(line.starts_with(&want) && line.contains(id), "{line}");
        assert!(
            line.ends_with(" ms)") || line.ends_with(" s)"),
            "its time: {line}"
        );
    }
    assert!(lines[3].starts_with("phx-a: 2 ok, 0 changed, 0 skipped, 0 failed in "));
    assert!(lines[4].starts_with("phx-b: 1 ok, "));
}

#[test]
fn a_quiet_run_shows_what_changed_and_the_recap() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a1"), "one\n").unwrap();
    let err = phx_apply()
        .args(["--root", r])
        .write_stdin(two_tools())
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let lines: Vec<&str> = std::str::from_utf8(&err).unwrap().lines().collect();
    assert!(lines[0].starts_with("[2/3] changed") && lines[0].contains("/etc/a2 (new)"));
    assert!(lines[1].starts_with("[3/3] changed") && lines[1].contains("/etc/b (new)"));
    assert_eq!(lines[2], "phx-a: 1 ok, 1 changed, 0 skipped, 0 failed");
    assert_eq!(lines[3], "phx-b: 0 ok, 1 changed, 0 skipped, 0 failed");
    assert!(lines[4].starts_with("this run's backup (for --rollback): "));
    assert_eq!(lines.len(), 5, "{lines:?}");
}

#[test]
fn a_new_file_is_diffed_from_dev_null() {
    let root = tempfile::tempdir().unwrap();
    let out = phx_apply()
        .args(["--root", root.path().to_str().unwrap(), "--check", "--diff"])
        .write_stdin(segment("t", &[file_step("t", "a", "/etc/a", "hello\n")]))
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        text(&out),
        "--- /dev/null\n+++ b/etc/a\n@@ -0,0 +1 @@\n+hello\n"
    );
}

/// Output of `phx-apply ARGS --diff` on a new file under a fresh root, with `env` set.
fn diff_run(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let root = tempfile::tempdir().unwrap();
    let out = phx_apply()
        .args(["--root", root.path().to_str().unwrap(), "--diff"])
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .write_stdin(segment("t", &[file_step("t", "a", "/etc/a", "hello\n")]))
        .assert()
        .success()
        .get_output()
        .clone();
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn colour_is_on_with_always_and_off_with_never_no_color_or_a_pipe() {
    let (out, err) = diff_run(&["--color", "always"], &[("NO_COLOR", "1")]);
    assert!(out.contains("\x1b[32m+hello\x1b[0m"), "{out:?}");
    assert!(has_colour(&err), "the recap too: {err:?}");
    for (args, env) in [
        (&["--color", "never"][..], &[][..]),
        (&[][..], &[][..]),
        (&["--color", "auto"][..], &[("NO_COLOR", "1")][..]),
    ] {
        let (out, err) = diff_run(args, env);
        assert!(
            !has_colour(&out) && !has_colour(&err),
            "{args:?} {env:?}: {out:?} {err:?}"
        );
        assert!(out.contains("+hello"));
    }
}

/// `script` (util-linux) gives phx-apply a terminal: auto colours it, and
/// NO_COLOR set to anything but "" turns that off.
#[test]
fn on_a_terminal_auto_colours_unless_no_color_is_set() {
    let root = tempfile::tempdir().unwrap();
    let plan = root.path().join("plan.jsonl");
    std::fs::write(
        &plan,
        segment("t", &[file_step("t", "a", "/etc/a", "hello\n")]),
    )
    .unwrap();
    let on_tty = |no_color: Option<&str>| {
        let sub = tempfile::tempdir_in(root.path()).unwrap();
        let cmd = format!(
            "'{}' --root '{}' --check --diff '{}'",
            assert_cmd::cargo::cargo_bin("phx-apply").display(),
            sub.path().display(),
            plan.display()
        );
        let mut c = std::process::Command::new("script");
        c.args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .env("TERM", "xterm")
            .env("SHELL", "/bin/sh")
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null());
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().expect("script (util-linux) runs");
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("\x1b[32m+hello"), "{coloured:?}");
    assert!(has_colour(&on_tty(Some(""))), "an empty NO_COLOR is unset");
    let plain = on_tty(Some("1"));
    assert!(plain.contains("+hello") && !has_colour(&plain), "{plain:?}");
}

#[test]
fn json_keeps_stdout_one_document_with_each_steps_tool_and_time() {
    let root = tempfile::tempdir().unwrap();
    let out = phx_apply()
        .args([
            "--root",
            root.path().to_str().unwrap(),
            "--json",
            "--diff",
            "--color",
            "always",
        ])
        .write_stdin(two_tools())
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let o = &v["outcomes"];
    assert_eq!(o[0]["tool"], "phx-a");
    assert_eq!(o[2]["tool"], "phx-b");
    assert!(o[0]["elapsed_ms"].is_u64());
    let diff = o[0]["diff"].as_str().unwrap();
    assert!(
        diff.starts_with("--- /dev/null") && !has_colour(diff),
        "{diff:?}"
    );
    // The lines and the recap go to stderr, coloured as asked.
    let err = text(&out.stderr);
    assert!(err.contains("phx-b") && has_colour(&err), "{err:?}");
}
