//! The way into a guest. A container is reached with `pct exec <ctid> --
//! argv`, whose exit status and streams are the command's. A VM is reached
//! through its QEMU guest agent with `qm guest exec <vmid> --timeout T
//! [--pass-stdin 1] -- argv`, which exits 0 whatever the command did and
//! prints a JSON object instead (qemu-server src/PVE/CLI/qm.pm:962-1056, the
//! `exec` method, printed by `$print_agent_result` at :1292): `exited`,
//! `exitcode` (or `signal`), `out-data` and `err-data` (base64-decoded by
//! qm, src/PVE/QemuServer/Agent.pm:153-181 qemu_exec_status, so each byte
//! is one character of the JSON string), `out-truncated`/`err-truncated`.
//! `decode` turns that back into the command's status and streams, so every
//! guest step (read-back, guards, framed writes, rollback) works unchanged.
//!
//! Limits qm sets: stdin (`--pass-stdin`) at most 1 MiB (qm.pm:1017-1023),
//! and a wait of `--timeout` seconds, 30 by default (qm.pm:1036), after
//! which qm prints only the `pid` and leaves the command running. Phoenix
//! passes the run's command timeout (`--command-timeout`, 600 s by default)
//! as `--timeout`, so an `apt-get install` in a VM gets what it gets in a
//! container; the host-side limit on qm itself is that plus a grace period.

use crate::run::{run_within, show, Ran};
use crate::Options;
use phx_plan::Guest;
use std::time::Duration;

/// The most `qm guest exec --pass-stdin` takes (qm.pm:1020: more is refused).
pub const QM_STDIN_LIMIT: usize = 1 << 20;

/// What qm itself may take beyond the guest command's timeout: its own
/// start, the agent's round trips, printing.
const QM_GRACE: Duration = Duration::from_secs(30);

/// The host argv that runs `argv` in `guest` (`stdin`: content follows on stdin).
pub fn host_argv(guest: Guest, argv: &[String], stdin: bool, timeout: Duration) -> Vec<String> {
    let mut v: Vec<String> = match guest {
        Guest::Ct(ctid) => vec!["pct".into(), "exec".into(), ctid.to_string()],
        Guest::Vm(vmid) => {
            let mut v = vec!["qm".into(), "guest".into(), "exec".into(), vmid.to_string()];
            v.extend(["--timeout".into(), timeout.as_secs().max(1).to_string()]);
            if stdin {
                v.extend(["--pass-stdin".into(), "1".into()]);
            }
            v
        }
    };
    v.push("--".into());
    v.extend(argv.iter().cloned());
    v
}

/// How a report shows `argv` run in `guest`: the host command line.
pub fn shown(guest: Guest, argv: &[String], timeout: Duration) -> String {
    show(&host_argv(guest, argv, false, timeout))
}

/// Runs `argv` in `guest` with `input` on stdin, within `timeout`: the
/// command's own status and streams. A VM whose agent cannot run it, a
/// command still running at the timeout, or more output than the agent
/// captures is an error naming the VM.
pub fn run_in(
    opts: &Options,
    guest: Guest,
    argv: &[String],
    input: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<Ran> {
    let host = host_argv(guest, argv, input.is_some(), timeout);
    let Guest::Vm(_) = guest else {
        return run_within(&host, opts, input, timeout);
    };
    if let Some(data) = input.filter(|d| d.len() > QM_STDIN_LIMIT) {
        return Err(std::io::Error::other(format!(
            "{guest}: {} bytes would go on stdin; qm guest exec --pass-stdin takes at most 1 MiB \
             (qemu-server src/PVE/CLI/qm.pm:1020)",
            data.len()
        )));
    }
    let ran = run_within(&host, opts, input, timeout + QM_GRACE)?;
    decode(guest, &argv[0], timeout, ran)
}

/// qm's report → the command's status and streams.
pub fn decode(guest: Guest, prog: &str, timeout: Duration, qm: Ran) -> std::io::Result<Ran> {
    let fail = |what: String| Err(std::io::Error::other(format!("{guest}: {what}")));
    if !qm.ok() {
        // Agent errors: "No QEMU guest agent configured", "VM N is not
        // running", "QEMU guest agent is not running", "Agent error: …"
        // (src/PVE/QemuServer/Agent.pm:91-113). The command did not run:
        // qm's status and message stand for it, as pct's do when pct exec
        // cannot enter a container (a check then says "not there yet").
        return Ok(not_run(guest, qm.code, &qm.output()));
    }
    let Ok(serde_json::Value::Object(res)) = serde_json::from_str(&qm.stdout) else {
        return fail(format!(
            "qm guest exec printed no report: {:?}",
            qm.output()
        ));
    };
    if res.get("exited").and_then(as_flag) != Some(true) {
        let pid = res.get("pid").map_or("?".to_string(), |p| p.to_string());
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "{guest}: {prog} did not finish within {} s (qm guest exec --timeout); it may still be running in the VM as pid {pid}",
                timeout.as_secs()
            ),
        ));
    }
    for stream in ["out-truncated", "err-truncated"] {
        if res.get(stream).and_then(as_flag) == Some(true) {
            return fail(format!(
                "{prog} printed more than the guest agent captures ({stream})"
            ));
        }
    }
    let code = res
        .get("exitcode")
        .and_then(serde_json::Value::as_i64)
        .and_then(|c| i32::try_from(c).ok());
    Ok(Ran {
        code,
        stdout: bytes_of(res.get("out-data")),
        stderr: bytes_of(res.get("err-data")),
    })
}

/// A command that could not be run in `guest`: `code` (qm's, 255 for its
/// errors) and why, on stderr.
pub fn not_run(guest: Guest, code: Option<i32>, why: &str) -> Ran {
    Ran {
        code: code.or(Some(255)),
        stdout: String::new(),
        stderr: format!("{guest}: {why}\n"),
    }
}

/// qm prints booleans as 1/0 (Agent.pm:173-178); JSON booleans are read too.
fn as_flag(v: &serde_json::Value) -> Option<bool> {
    v.as_bool().or_else(|| v.as_i64().map(|n| n != 0))
}

/// qm puts the decoded bytes into its JSON one character per byte (a
/// Perl byte string printed with `utf8 => 1`): characters up to U+00FF are
/// those bytes again.
fn bytes_of(v: Option<&serde_json::Value>) -> String {
    let Some(s) = v.and_then(serde_json::Value::as_str) else {
        return String::new();
    };
    if s.chars().all(|c| (c as u32) <= 0xff) {
        let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        s.to_string()
    }
}

/// Whether VM `vmid`'s agent answers: `qm guest cmd <vmid> ping` (the
/// command `qm agent` is an alias of, kept "until PVE 8.0", qm.pm:1450),
/// or qm's message saying why not (without the VM's name: callers add it).
///
/// A running VM whose agent does not answer yet is asked again every
/// [`AGENT_RETRY`] until `opts.agent_wait` has passed: its first boot
/// installs the agent through cloud-init, long after `qm start` returned.
/// qm's refusals that no wait changes (no agent configured, the VM
/// stopped: qemu-server's assert_agent_available) end the wait at once.
pub fn ping(opts: &Options, vmid: u32) -> Result<(), String> {
    let argv: Vec<String> = ["qm", "guest", "cmd", &vmid.to_string(), "ping"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let deadline = std::time::Instant::now() + opts.agent_wait;
    loop {
        let why = match run_within(&argv, opts, None, opts.command_timeout) {
            Ok(r) if r.ok() => return Ok(()),
            Ok(r) => r.output(),
            Err(e) => e.to_string(),
        };
        let final_answer = why.contains("No QEMU guest agent configured")
            || why.contains("is not running") && !why.contains("guest agent is not running");
        if final_answer || std::time::Instant::now() + AGENT_RETRY > deadline {
            return Err(format!(
                "its guest agent does not answer ({}): {why}",
                show(&argv)
            ));
        }
        std::thread::sleep(AGENT_RETRY);
    }
}

/// How often a VM's agent is asked again while it is awaited.
pub const AGENT_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    fn qm(code: i32, stdout: &str) -> Ran {
        Ran {
            code: Some(code),
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    const T: Duration = Duration::from_secs(600);

    #[test]
    fn a_vm_command_line_carries_the_timeout_and_stdin_flag_and_never_content() {
        let a = host_argv(Guest::Vm(1001), &["cat".into()], true, T);
        assert_eq!(
            a,
            [
                "qm",
                "guest",
                "exec",
                "1001",
                "--timeout",
                "600",
                "--pass-stdin",
                "1",
                "--",
                "cat"
            ]
        );
        let c = host_argv(Guest::Ct(101), &["cat".into()], true, T);
        assert_eq!(c, ["pct", "exec", "101", "--", "cat"]);
    }

    #[test]
    fn the_commands_status_and_streams_come_out_of_qms_report() {
        // As qm prints it: pretty, canonical, booleans as 1/0.
        let out = "{\n   \"err-data\" : \"warn\\n\",\n   \"exitcode\" : 3,\n   \"exited\" : 1,\n   \"out-data\" : \"caf\u{00c3}\u{00a9}\\n\"\n}\n";
        let r = decode(Guest::Vm(7), "x", T, qm(0, out)).unwrap();
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr.as_str()),
            (Some(3), "café\n", "warn\n")
        );
        let r = decode(Guest::Vm(7), "x", T, qm(0, r#"{"exited":1,"signal":9}"#)).unwrap();
        assert_eq!(r.code, None);
        let r = decode(
            Guest::Vm(7),
            "x",
            T,
            qm(0, r#"{"exited":true,"exitcode":0}"#),
        )
        .unwrap();
        assert!(r.ok() && r.stdout.is_empty());
    }

    #[test]
    fn qm_failing_is_the_commands_failure_and_a_timeout_or_truncated_output_an_error() {
        let mut failed = qm(255, "");
        failed.stderr = "No QEMU guest agent configured\n".into();
        // Not run: qm's status and message, as pct's when it cannot enter.
        let r = decode(Guest::Vm(7), "x", T, failed).unwrap();
        assert_eq!(r.code, Some(255));
        assert_eq!(r.stderr, "VM 7: No QEMU guest agent configured\n");
        let e = decode(
            Guest::Vm(7),
            "apt-get",
            T,
            qm(0, "{\n   \"pid\" : 4242\n}\n"),
        )
        .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(
            e.to_string().contains("pid 4242") && e.to_string().contains("600 s"),
            "{e}"
        );
        let e = decode(
            Guest::Vm(7),
            "cat",
            T,
            qm(0, r#"{"exited":1,"exitcode":0,"out-truncated":1}"#),
        )
        .unwrap_err();
        assert!(e.to_string().contains("out-truncated"), "{e}");
        assert!(decode(Guest::Vm(7), "x", T, qm(0, "garbage")).is_err());
    }
}
