//! Running argv commands: no shell, output captured for the report, and
//! nothing unbounded. Every command gets a time limit and a cap on what it
//! may print: a hung `ifreload` or a guest file that is really `/dev/zero`
//! fails its step instead of holding the lock forever or eating the host's
//! memory. On either, the command's whole process group is killed.

use crate::Options;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// The most a command may print on stdout: room for the largest guest file
/// a step may write (16 MiB) read back, with margin.
pub const STDOUT_LIMIT: usize = 64 << 20;
/// The most a command may print on stderr: diagnostics, not data.
pub const STDERR_LIMIT: usize = 1 << 20;

/// What a command did: its status, and what it printed on each stream.
#[derive(Debug)]
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
    let (tx, events) = mpsc::channel();
    if let Some(s) = child.stdout.take() {
        capture(s, Stream::Out, STDOUT_LIMIT, group, &overflow, tx.clone());
    }
    if let Some(s) = child.stderr.take() {
        capture(s, Stream::Err, STDERR_LIMIT, group, &overflow, tx.clone());
    }
    let waiter = tx;
    std::thread::spawn(move || {
        let _ = waiter.send(Event::Exited(child.wait()));
    });
    let got = collect(&events, group, Instant::now() + timeout);
    if let Some(w) = writer {
        // A child that exits without reading (e.g. the CT is not running) breaks the pipe.
        let _ = w.join();
    }
    let Some(status) = got.status.transpose()? else {
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
        stdout: String::from_utf8_lossy(&got.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&got.stderr).into_owned(),
    })
}

enum Stream {
    Out,
    Err,
}

/// What the child's threads report: its exit, and each stream at its end.
enum Event {
    Exited(std::io::Result<std::process::ExitStatus>),
    Read(Stream, Vec<u8>),
}

struct Collected {
    /// `None`: the deadline passed first, and the group was killed.
    status: Option<std::io::Result<std::process::ExitStatus>>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// How long the streams may stay open after the group was killed: only
/// something that left the group (a daemon) can still hold them.
const AFTER_KILL: Duration = Duration::from_secs(5);

/// Waits, blocking, for the exit and both streams' ends, up to `deadline`
/// (something left in the background may hold the pipes open: it counts
/// against the same time). Past it, the group is killed.
fn collect(events: &mpsc::Receiver<Event>, group: u32, deadline: Instant) -> Collected {
    let mut got = Collected {
        status: None,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    let mut exited = None;
    let mut open_streams = 2;
    let mut killed_at: Option<Instant> = None;
    while exited.is_none() || open_streams > 0 {
        let until = killed_at.map_or(deadline, |k| k + AFTER_KILL);
        let wait = until.saturating_duration_since(Instant::now());
        match events.recv_timeout(wait) {
            Ok(Event::Exited(st)) => exited = Some(st),
            Ok(Event::Read(Stream::Out, b)) => (got.stdout, open_streams) = (b, open_streams - 1),
            Ok(Event::Read(Stream::Err, b)) => (got.stderr, open_streams) = (b, open_streams - 1),
            Err(mpsc::RecvTimeoutError::Timeout) if killed_at.is_none() => {
                kill_group(group);
                killed_at = Some(Instant::now());
            }
            // Killed and still held open, or every thread gone: what we have.
            Err(_) => break,
        }
    }
    got.status = if killed_at.is_some() { None } else { exited };
    got
}

/// Reads a stream up to `limit` bytes on a thread; one byte more kills the
/// process group and marks the run as over its limit.
fn capture(
    mut stream: impl Read + Send + 'static,
    which: Stream,
    limit: usize,
    group: u32,
    overflow: &Arc<AtomicBool>,
    done: mpsc::Sender<Event>,
) {
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
        let _ = done.send(Event::Read(which, kept));
    });
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
