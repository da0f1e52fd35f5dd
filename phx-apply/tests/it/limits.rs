//! Nothing a command does is unbounded: endless output fails the step at a
//! documented limit with memory bounded, and a command that does not end is
//! killed at its timeout, with everything it started.

use assert_cmd::Command;
use phx_apply::{apply, Options, Status};
use phx_plan::*;
use std::time::{Duration, Instant};

use crate::common;
use common::{opts, step};

fn command(id: &str, script: &str) -> Step {
    step(
        id,
        Action::Command(CommandStep {
            argv: argv(&["sh", "-c", script]),
            desc: id.into(),
            ..Default::default()
        }),
    )
}

/// The largest resident set of any child this test process waited for
/// (process-wide: the test that reads it runs alone).
fn children_max_rss_kib() -> i64 {
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given, nothing else.
    assert_eq!(
        unsafe { nix::libc::getrusage(nix::libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss
}

#[test]
fn endless_output_fails_the_step_at_the_limit_and_memory_stays_bounded() {
    if !crate::alone::alone(
        "limits::endless_output_fails_the_step_at_the_limit_and_memory_stays_bounded",
    ) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let lines = [
        serde_json::json!({"v":1,"tool":"t","id":"zero","kind":"command","argv":["cat","/dev/zero"],"desc":"a guest file that is /dev/zero"}),
        serde_json::json!({"v":1,"tool":"t","kind":"end","steps":1}),
    ];
    let plan: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let t0 = Instant::now();
    Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--root", root.path().to_str().unwrap(), "--run-commands"])
        .args(["--command-timeout", "120"])
        .write_stdin(plan)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "printed more than the limit (64 MiB on stdout",
        ));
    let rss = children_max_rss_kib();
    assert!(rss < 256 * 1024, "phx-apply grew to {rss} KiB");
    assert!(t0.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_command_that_does_not_end_is_killed_at_its_timeout_with_its_children() {
    let root = tempfile::tempdir().unwrap();
    let o = Options {
        command_timeout: Duration::from_secs(1),
        ..opts(root.path())
    };
    let script = "sleep 60 & echo $! > \"$PHX_ROOT/bg.pid\"; wait";
    let t0 = Instant::now();
    let r = apply(&[command("hang", script)], &o).unwrap();
    let failed = r.failed().expect("the step failed");
    assert!(
        failed.detail.contains("timed out after 1 s"),
        "{}",
        failed.detail
    );
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    let pid = std::fs::read_to_string(root.path().join("bg.pid")).unwrap();
    // Gone, or a zombie nobody has reaped yet: not sleeping on. A SIGKILL is
    // delivered asynchronously: on a loaded machine the child may still be
    // runnable for a moment after the kill, so it gets a few seconds to die.
    let gone = || {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        (stat.is_empty() || stat.contains(") Z "), stat)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = gone();
    while !seen.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        seen = gone();
    }
    assert!(seen.0, "the background sleep survived: {}", seen.1);
}

/// A step that says it takes long (a vLLM install, a driver build) gets its
/// own `timeout_s` over --command-timeout; the others keep the latter.
#[test]
fn a_long_step_gets_its_own_timeout_and_no_other_does() {
    let root = tempfile::tempdir().unwrap();
    let o = Options {
        command_timeout: Duration::from_secs(1),
        ..opts(root.path())
    };
    let long = step(
        "long",
        Action::Command(CommandStep {
            argv: argv(&["sleep", "2"]),
            desc: "long".into(),
            timeout_s: Some(30),
            ..Default::default()
        }),
    );
    let r = apply(&[long], &o).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Changed, "{:?}", r.outcomes[0]);
    let r = apply(&[command("short", "sleep 2")], &o).unwrap();
    assert!(r
        .failed()
        .expect("the step failed")
        .detail
        .contains("timed out after 1 s"));
    // A guest step carries it through the plan as JSON.
    let mut plan = Plan::new("t");
    guest_steps::long_command(&mut plan, "g", 101u32, argv(&["true"]), None, "g");
    let line = serde_json::to_string(&plan.steps[0]).unwrap();
    assert!(
        line.contains(&format!("\"timeout_s\":{LONG_STEP_S}")),
        "{line}"
    );
}

#[test]
fn a_guard_that_does_not_end_fails_its_step() {
    let root = tempfile::tempdir().unwrap();
    let o = Options {
        command_timeout: Duration::from_secs(1),
        ..opts(root.path())
    };
    let guarded = step(
        "guarded",
        Action::Command(CommandStep {
            argv: argv(&["true"]),
            unless: Some(argv(&["sleep", "60"])),
            desc: "guarded".into(),
            ..Default::default()
        }),
    );
    let r = apply(&[guarded], &o).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Failed);
    assert!(
        r.outcomes[0].detail.contains("timed out"),
        "{}",
        r.outcomes[0].detail
    );
}

#[test]
fn a_zero_command_timeout_is_refused() {
    Command::cargo_bin("phx-apply")
        .unwrap()
        .args(["--command-timeout", "0", "--check"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--command-timeout"));
}
