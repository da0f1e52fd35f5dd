//! Running argv commands: no shell, output captured for the report.

use crate::Options;
use std::io::Write;
use std::process::{Command, Stdio};

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

/// Runs argv with `input` on stdin (written from a thread, so a chatty child
/// cannot deadlock against us). Content travels this way, never in argv.
pub fn run_with_input(
    argv: &[String],
    opts: &Options,
    input: Option<&[u8]>,
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
        .stderr(Stdio::piped());
    if !opts.live() {
        // Test doubles of pct / pve-firewall keep their state under this root.
        cmd.env("PHX_ROOT", &opts.root);
    }
    if let Some(path) = &opts.path {
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn()?;
    let writer = match (input, child.stdin.take()) {
        (Some(data), Some(mut stdin)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&data)))
        }
        _ => None,
    };
    let out = child.wait_with_output()?;
    if let Some(w) = writer {
        // A child that exits without reading (e.g. the CT is not running) breaks the pipe.
        let _ = w.join();
    }
    Ok(Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
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
