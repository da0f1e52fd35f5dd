//! Tests that read or change process-wide state (the umask, the children's
//! rusage, a process-wide counter, the child-subreaper flag) cannot share the
//! one-binary harness's process with tests running on other threads: each
//! runs again in a child process of the same test binary, by itself.
//! (phx-apply's and phx-common's harnesses include this file by path:
//! phx-testkit depends on those crates.)

use std::process::Command;

/// The variable that tells the child which test it is to run.
const ALONE_VAR: &str = "PHX_TEST_ALONE";

/// `test`: the test's name as the harness lists it (`module::function`). In the parent: runs the test binary on that
/// test alone, fails if it did not run exactly that one test and pass, and
/// returns false (the caller returns). In the child: returns true.
pub fn alone(test: &str) -> bool {
    if std::env::var(ALONE_VAR).is_ok_and(|v| v == test) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(&exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE_VAR, test)
        .output()
        .expect("start the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A name that filters nothing would "pass" with 0 tests run.
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test}, run alone in {}:\n{stdout}\n{stderr}",
        exe.display()
    );
    eprint!("{stderr}");
    false
}
