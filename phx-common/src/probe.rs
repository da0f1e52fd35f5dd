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
    /// Whether `ids` says which guests run: false offline, where every
    /// guest is taken as stopped for want of knowing.
    pub known: bool,
    pub notes: Vec<String>,
}

/// The IDs of the rows of a `pct list` / `qm list` whose column
/// `status_column` (the ID is column 0) is `running`. pct's columns are
/// `VMID Status Lock Name`, qm's `VMID NAME STATUS …`; a row's empty Lock
/// is no column, but the status comes before it, and qm's NAME of an
/// unnamed VM is two words (`VM 100`: [`crate::observed_record::rows`]).
pub fn running_ids(out: &str, status_column: usize) -> HashSet<u32> {
    crate::observed_record::rows(out, status_column)
        .into_iter()
        .filter(|r| r.status == "running")
        .map(|r| r.vmid)
        .collect()
}

/// The running guests by `<prog> list`, its status in `status_column`. Under a state
/// root other than `/`, the record `phoenix-cli observe` left there comes
/// first (it describes that copy's node; a `pct` on PATH would describe
/// this machine); without one, a missing `prog` means planning offline with
/// every guest (`guests`: "container", "VM") taken as stopped, said in a
/// note. On the host itself a missing `prog` is an error.
pub fn running(
    prog: &str,
    guests: &str,
    state_root: &Path,
    path: Option<&OsStr>,
    status_column: usize,
) -> anyhow::Result<Running> {
    let mut r = Running::default();
    if let Some(rec) = crate::observed_record::read(state_root)? {
        if let Some(ids) = rec.running(prog) {
            r.ids = ids;
            r.known = true;
            r.notes.push(format!(
                "the {guests}s' running state is `{prog} list` as `phoenix-cli observe` recorded it on {} ({} under {})",
                rec.origin(),
                crate::observed_record::PATH,
                state_root.display()
            ));
            return Ok(r);
        }
    }
    match list(prog, state_root, path) {
        Ok(out) => {
            r.calls = 1;
            r.known = true;
            r.ids = running_ids(&out, status_column);
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

#[cfg(test)]
mod tests {
    use super::running_ids;

    #[test]
    fn pct_list_rows() {
        let out = "VMID       Status     Lock         Name                \n101        running                 dns01               \n102        stopped    backup       web                 \n900        running    snapshot     base                \n";
        let r = running_ids(out, 1);
        assert!(r.contains(&101) && r.contains(&900));
        assert!(!r.contains(&102));
        assert!(running_ids("", 1).is_empty());
    }

    #[test]
    fn qm_list_rows() {
        let out = "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n       100 web                  running    2048              32.00 1234      \n       101 db                   stopped    2048              32.00 0         \n       102 VM 102               running    2048              32.00 1236      \n";
        let r = running_ids(out, 2);
        assert!(r.contains(&100) && !r.contains(&101));
        assert!(r.contains(&102), "an unnamed VM (qm prints `VM 102`) runs");
        assert!(running_ids("", 2).is_empty());
    }
}
