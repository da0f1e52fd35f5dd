//! Asking a Proxmox tool what is running (`pct list`, `qm list`): the one
//! read-only command the guest planners run while planning.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `<prog> list` from PATH (`path`, else the process's); under a state
/// root other than `/` with `PHX_ROOT` set to it, so a test double reads the
/// same tree. Its stdout, or an error saying how it failed.
pub fn list(prog: &str, state_root: &Path, path: Option<&OsStr>) -> std::io::Result<String> {
    let mut cmd = Command::new(prog);
    cmd.arg("list").stdin(Stdio::null());
    if state_root != Path::new("/") {
        cmd.env("PHX_ROOT", state_root);
    }
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "`{prog} list` exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
