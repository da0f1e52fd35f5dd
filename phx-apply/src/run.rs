//! Running argv commands: no shell, output captured for the report, and
//! nothing unbounded. Every command gets a time limit and a cap on what it
//! may print: a hung `ifreload` or a guest file that is really `/dev/zero`
//! fails its step instead of holding the lock forever or eating the host's
//! memory. On either, the command's whole process group is killed.

use crate::Options;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most a command may print on stdout: room for the largest guest file
/// a step may write (16 MiB) read back, with margin.
pub const STDOUT_LIMIT: usize = 64 << 20;
/// The most a command may print on stderr: diagnostics, not data.
pub const STDERR_LIMIT: usize = 1 << 20;

/// What a command did: its status, and what it printed on each stream.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
    /// Both streams, for reports, without the trailing newline.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
            .trim_end()
            .to_string()
    }
}

pub fn run(argv: &[String], opts: &Options) -> std::io::Result<Ran> {
    run_with_input(argv, opts, None)
}

/// Runs argv with `input` on stdin, within `--command-timeout`.
pub fn run_with_input(
    argv: &[String],
    opts: &Options,
    input: Option<&[u8]>,
) -> std::io::Result<Ran> {
    run_within(argv, opts, input, opts.command_timeout)
}

/// Runs argv with `input` on stdin (written from a thread, so a chatty child
/// cannot deadlock against us). Content travels this way, never in argv.
/// Past `timeout`, or past an output limit, the child's process group is
/// killed and the error names the limit.
pub fn run_within(
    argv: &[String],
    opts: &Options,
    input: Option<&[u8]>,
    timeout: Duration,
) -> std::io::Result<Ran> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty argv"))?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills what it started too
        // (a `sh -c` and its `sleep`, `pct exec` and its helper).
        .process_group(0);
    if !opts.live() {
        // Test doubles of pct / pve-firewall keep their state under this root.
        cmd.env("PHX_ROOT", &opts.root);
    }
    if let Some(path) = &opts.path {
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn()?;
    let group = child.id();
    let writer = match (input, child.stdin.take()) {
        (Some(data), Some(mut stdin)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&data)))
        }
        _ => None,
    };
    let overflow = Arc::new(AtomicBool::new(false));
    let stdout = child
        .stdout
        .take()
        .map(|s| capture(s, STDOUT_LIMIT, group, &overflow));
    let stderr = child
        .stderr
        .take()
        .map(|s| capture(s, STDERR_LIMIT, group, &overflow));
    let deadline = Instant::now() + timeout;
    let mut status = wait_until(&mut child, group, deadline);
    // Something it left in the background may hold the pipes open: it gets
    // what is left of the time, then the group goes.
    while [&stdout, &stderr]
        .iter()
        .any(|h| h.as_ref().is_some_and(|h| !h.is_finished()))
    {
        if Instant::now() >= deadline {
            kill_group(group);
            status = Ok(None);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let collect = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    let (out, err) = (collect(stdout), collect(stderr));
    if let Some(w) = writer {
        // A child that exits without reading (e.g. the CT is not running) breaks the pipe.
        let _ = w.join();
    }
    let Some(status) = status? else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "timed out after {} s (the command timeout); its process group was killed",
                timeout.as_secs_f64()
            ),
        ));
    };
    if overflow.load(Ordering::Relaxed) {
        return Err(std::io::Error::other(format!(
            "printed more than the limit ({} MiB on stdout, {} MiB on stderr); its process group was killed",
            STDOUT_LIMIT >> 20,
            STDERR_LIMIT >> 20
        )));
    }
    Ok(Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    })
}

/// Reads a stream up to `limit` bytes on a thread; one byte more kills the
/// process group and marks the run as over its limit.
fn capture(
    mut stream: impl Read + Send + 'static,
    limit: usize,
    group: u32,
    overflow: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<u8>> {
    let overflow = Arc::clone(overflow);
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) if kept.len() + n > limit => {
                    overflow.store(true, Ordering::Relaxed);
                    kill_group(group);
                    break;
                }
                Ok(n) => kept.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        kept
    })
}

/// The child's status, or `None` when `timeout` passed first (the group is
/// then killed and the child reaped).
fn wait_until(
    child: &mut Child,
    group: u32,
    deadline: Instant,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(group);
            child.wait()?;
            return Ok(None);
        }
        // Short commands are seen quickly; long ones cost few wakeups.
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn kill_group(group: u32) {
    if let Ok(pgid) = i32::try_from(group) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Shows an argv the way a shell user would type it, for reports.
pub fn show(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+%@".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
