//! Asking a Proxmox tool what is running (`pct list`, `qm list`): the one
//! read-only command the guest planners run while planning.

use std::collections::HashSet;
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

/// Which guests run, from one `<prog> list`, and what to tell the operator.
#[derive(Debug, Default)]
pub struct Running {
    pub ids: HashSet<u32>,
    /// `<prog> list` calls made (0 or 1).
    pub calls: usize,
    pub notes: Vec<String>,
}

/// The running guests by `<prog> list`, read with `parse`. Under a state
/// root other than `/`, a missing `prog` means planning offline with every
/// guest (`guests`: "container", "VM") taken as stopped, said in a note; on
/// the host itself it is an error.
pub fn running(
    prog: &str,
    guests: &str,
    state_root: &Path,
    path: Option<&OsStr>,
    parse: fn(&str) -> HashSet<u32>,
) -> anyhow::Result<Running> {
    let mut r = Running::default();
    match list(prog, state_root, path) {
        Ok(out) => {
            r.calls = 1;
            r.ids = parse(&out);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && state_root != Path::new("/") => {
            r.notes.push(format!(
                "{prog} is not on PATH: planning offline against {} with every {guests} taken as stopped",
                state_root.display()
            ));
        }
        Err(e) => anyhow::bail!("running `{prog} list` for the {guests}s' running state: {e}"),
    }
    Ok(r)
}
