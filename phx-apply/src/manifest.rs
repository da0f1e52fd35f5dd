//! A run's backup manifest: one JSON line per saved file (its path on the
//! host, size, SHA-256, mode and owner) or saved symlink, per file and per
//! directory the run created, per write it was about to make, per handler it
//! ran. Each line is appended and fsynced only once what it describes is
//! durable, so a rollback can tell a whole backup from one a kill tore.
//!
//! Each line ends in a tab and an HMAC-SHA-256 (keyed with the state
//! directory's root-only key, see `mac`) over the run's id, the previous
//! line's MAC and the line: a changed, added, reordered or moved line does
//! not verify, and nothing is restored. (A chain cannot see lines cut off
//! its end; that only makes a rollback do less, and a saved file whose line
//! is gone is then a file the manifest does not vouch for, which refuses.)

use crate::mac;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = ".phoenix-manifest";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// `path` was replaced or removed; its old content is in the backup,
    /// which had this mode, owner and group.
    Saved {
        path: String,
        size: u64,
        sha256: String,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// `path` was a symlink to `target` (kept here, not in a file).
    SavedLink { path: String, target: String },
    /// `path` did not exist before the run.
    Created { path: String },
    /// The run made this directory for a file it created.
    CreatedDir { path: String },
    /// The run was about to make `path` hold content with this SHA-256
    /// (`None`: remove it). The last such line for a path is what the run
    /// left there; a rollback restores only a file that still holds it.
    Wrote {
        path: String,
        sha256: Option<String>,
    },
    /// The run ran this handler; a rollback runs it again on the old files.
    Handler { argv: Vec<String> },
    /// The run ran this handler inside VM `vmid` (a `guest_handler` step,
    /// through its guest agent); a rollback runs it there again.
    GuestHandler { vmid: u32, argv: Vec<String> },
    /// Guest file `path` in guest `ctid` was replaced (or its mode or owner
    /// changed); its old content is saved inside the guest (see
    /// `guest::backup`), with what it must verify as and the mode and
    /// numeric owner it goes back with.
    GuestSaved {
        ctid: u32,
        #[serde(default, skip_serializing_if = "is_false")]
        vm: bool,
        path: String,
        size: u64,
        sha256: String,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// Guest file `path` in guest `ctid` did not exist before the run.
    GuestCreated {
        ctid: u32,
        #[serde(default, skip_serializing_if = "is_false")]
        vm: bool,
        path: String,
    },
    /// The run keeps backups inside guest `ctid` (appended before the first is
    /// made there, so pruning finds the guest even after a kill mid-copy).
    GuestBackups {
        ctid: u32,
        #[serde(default, skip_serializing_if = "is_false")]
        vm: bool,
    },
    /// The run made this directory in guest `ctid` for a guest file it created
    /// (appended before the directory is made, as `CreatedDir`).
    GuestCreatedDir {
        ctid: u32,
        #[serde(default, skip_serializing_if = "is_false")]
        vm: bool,
        path: String,
    },
    /// As `Wrote`, for guest file `path` in guest `ctid`: appended before each
    /// write; `None` for a secret made inside the guest (its digest is
    /// never known to the host).
    GuestWrote {
        ctid: u32,
        #[serde(default, skip_serializing_if = "is_false")]
        vm: bool,
        path: String,
        sha256: Option<String>,
    },
}

/// The guest entries name their guest by `ctid`, with `"vm": true` when it
/// is a VM's VMID: a container's lines are what they were before VMs, so a
/// rollback reads older manifests as it always did.
fn is_false(b: &bool) -> bool {
    !*b
}

/// The guest an entry's `ctid` and `vm` name.
pub fn guest(ctid: u32, vm: bool) -> phx_plan::Guest {
    if vm {
        phx_plan::Guest::Vm(ctid)
    } else {
        phx_plan::Guest::Ct(ctid)
    }
}

impl Entry {
    /// The guest a guest entry is about.
    pub fn guest(&self) -> Option<phx_plan::Guest> {
        match self {
            Entry::GuestSaved { ctid, vm, .. }
            | Entry::GuestCreated { ctid, vm, .. }
            | Entry::GuestBackups { ctid, vm }
            | Entry::GuestCreatedDir { ctid, vm, .. }
            | Entry::GuestWrote { ctid, vm, .. } => Some(guest(*ctid, *vm)),
            Entry::GuestHandler { vmid, .. } => Some(phx_plan::Guest::Vm(*vmid)),
            _ => None,
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    mac::hex(&Sha256::digest(bytes))
}

/// The state directory a run's backup directory (`<state>/backups/<run>`) is in.
fn state_dir_of(dir: &Path) -> anyhow::Result<&Path> {
    dir.parent()
        .and_then(Path::parent)
        .with_context(|| format!("{} is not inside a backups directory", dir.display()))
}

fn line_mac(key: &mac::Key, dir: &Path, prev: &str, json: &[u8]) -> String {
    let run = dir.file_name().unwrap_or_default().as_encoded_bytes();
    mac::hex(&mac::hmac_sha256(
        key,
        &[
            b"phoenix-manifest-v1\0",
            run,
            b"\0",
            prev.as_bytes(),
            b"\0",
            json,
        ],
    ))
}

/// The MAC of the last line, the chain's next link ("" for an empty manifest).
fn last_mac(text: &str) -> &str {
    text.lines()
        .last()
        .and_then(|l| l.rsplit_once('\t'))
        .map_or("", |(_, m)| m)
}

/// What this process last appended to each manifest: its length then and
/// its last MAC, so a run that writes thousands of lines does not read its
/// manifest back for each (a length that differs means someone else wrote:
/// then it is read).
static TAILS: std::sync::Mutex<Option<HashMap<PathBuf, (u64, String)>>> =
    std::sync::Mutex::new(None);

/// Appends one entry and makes it durable before the caller goes on.
pub fn append(dir: &Path, entry: &Entry) -> anyhow::Result<()> {
    append_all(dir, std::slice::from_ref(entry))
}

/// Appends entries in one write and makes them durable with one sync: a
/// file a run creates is `Created` and `Wrote`, one `fdatasync` (each line
/// still chained to the one before, as if appended alone).
pub fn append_all(dir: &Path, entries: &[Entry]) -> anyhow::Result<()> {
    let key = mac::key(state_dir_of(dir)?)?;
    let path = dir.join(MANIFEST);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // Its lines carry digests of secrets: 0600 exactly, whatever the umask
    // or an older version left.
    let meta = f.metadata()?;
    if meta.permissions().mode() & 0o7777 != 0o600 {
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private (0600)", path.display()))?;
    }
    let len = meta.len();
    let mut tails = TAILS.lock().unwrap_or_else(|e| e.into_inner());
    let tails = tails.get_or_insert_with(HashMap::new);
    let prev = match tails.get(&path) {
        Some((known, tag)) if *known == len => tag.clone(),
        _ => {
            let mut text = String::new();
            f.read_to_string(&mut text)
                .with_context(|| format!("reading {}", path.display()))?;
            if !text.is_empty() && !text.ends_with('\n') {
                bail!(
                    "{}: the last line is torn (a run was killed writing it); not appending to it",
                    path.display()
                );
            }
            last_mac(&text).to_string()
        }
    };
    let mut lines = Vec::new();
    let mut tag = prev;
    for entry in entries {
        let json = serde_json::to_vec(entry)?;
        tag = line_mac(&key, dir, &tag, &json);
        lines.extend_from_slice(&json);
        lines.push(b'\t');
        lines.extend_from_slice(tag.as_bytes());
        lines.push(b'\n');
    }
    f.write_all(&lines)?;
    f.sync_data()
        .with_context(|| format!("syncing {}", path.display()))?;
    tails.insert(path, (len + lines.len() as u64, tag));
    Ok(())
}

/// The entries, or why the manifest cannot be trusted: missing, torn, a
/// line that is not an entry, or one whose MAC does not verify.
pub fn read(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    match read_prefix(dir)? {
        (entries, None) => Ok(entries),
        (_, Some(why)) => Err(why),
    }
}

/// The entries up to the first that cannot be trusted, and why that one
/// cannot (`None`: all of them are). For pruning, which must find the
/// guests a killed run (its last line torn) kept backups in; a rollback
/// uses `read`, all or nothing. `Err`: no manifest, or no key to check it.
pub fn read_prefix(dir: &Path) -> anyhow::Result<(Vec<Entry>, Option<anyhow::Error>)> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no manifest ({MANIFEST}): the backup is incomplete or not Phoenix's",
            dir.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let key = mac::existing_key(state_dir_of(dir)?)?;
    let mut prev = "";
    let mut entries = Vec::new();
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    for (i, l) in whole.lines().enumerate() {
        let n = i + 1;
        let Some((json, tag)) = l.rsplit_once('\t') else {
            let why = anyhow::anyhow!(
                "{} line {n}: no MAC (a manifest from before 0.3, or not Phoenix's)",
                path.display()
            );
            return Ok((entries, Some(why)));
        };
        let want = line_mac(&key, dir, prev, json.as_bytes());
        if !mac::same(want.as_bytes(), tag.as_bytes()) {
            let why = anyhow::anyhow!(
                "{} line {n}: the MAC does not verify (the line was changed, added or moved)",
                path.display()
            );
            return Ok((entries, Some(why)));
        }
        match serde_json::from_str(json) {
            Ok(e) => entries.push(e),
            Err(e) => {
                let why = anyhow::Error::from(e)
                    .context(format!("{} line {n}: not a manifest entry", path.display()));
                return Ok((entries, Some(why)));
            }
        }
        prev = tag;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        let why = anyhow::anyhow!("{}: the last line is torn", path.display());
        return Ok((entries, Some(why)));
    }
    Ok((entries, None))
}

#[cfg(test)]
mod tests {
    use super::Entry;
    use phx_plan::Guest;

    #[test]
    fn a_containers_lines_are_as_before_vms_and_a_vms_say_so() {
        let ct = Entry::GuestCreated {
            ctid: 101,
            vm: false,
            path: "/x".into(),
        };
        let line = serde_json::to_string(&ct).unwrap();
        assert_eq!(line, r#"{"guest_created":{"ctid":101,"path":"/x"}}"#);
        let vm = Entry::GuestCreated {
            ctid: 1001,
            vm: true,
            path: "/x".into(),
        };
        let vm_line = serde_json::to_string(&vm).unwrap();
        assert_eq!(
            vm_line,
            r#"{"guest_created":{"ctid":1001,"vm":true,"path":"/x"}}"#
        );
        assert_eq!(
            serde_json::from_str::<Entry>(&line).unwrap().guest(),
            Some(Guest::Ct(101))
        );
        assert_eq!(
            serde_json::from_str::<Entry>(&vm_line).unwrap().guest(),
            Some(Guest::Vm(1001))
        );
        let h = Entry::GuestHandler {
            vmid: 1001,
            argv: vec!["true".into()],
        };
        assert_eq!(h.guest(), Some(Guest::Vm(1001)));
    }
}
