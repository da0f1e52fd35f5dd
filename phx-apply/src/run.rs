//! Running argv commands: no shell, output captured for the report.

use crate::Options;
use std::process::{Command, Stdio};

pub struct Ran {
    pub code: Option<i32>,
    pub output: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

pub fn run(argv: &[String], opts: &Options) -> std::io::Result<Ran> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty argv"))?;
    let mut cmd = Command::new(prog);
    cmd.args(args).stdin(Stdio::null());
    if !opts.live() {
        // Test doubles of pct / pve-firewall keep their state under this root.
        cmd.env("PHX_ROOT", &opts.root);
    }
    if let Some(path) = &opts.path {
        cmd.env("PATH", path);
    }
    let out = cmd.output()?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(Ran {
        code: out.status.code(),
        output,
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
