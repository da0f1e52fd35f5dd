//! The record `phoenix-cli observe` leaves beside its copy of a node's
//! `/etc/pve`: which guests `pct list` and `qm list` showed, and when.
//! Planning under `--root` that copy reads the record instead of asking a
//! `pct`/`qm` that is not there (or, worse, is the planning machine's own),
//! so the copy previews what LetsGo would do on the node it came from.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Where the record is, under the copy's root.
pub const PATH: &str = "/var/lib/phoenix/observed.json";

/// The record's format; a reader refuses another.
pub const FORMAT: u32 = 1;

/// One row of `<program> list`: the guest and its status word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub vmid: u32,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub phoenix_observed: u32,
    /// UTC, `2026-12-07T23:10:00Z`.
    pub taken_at: String,
    /// The node's name as Proxmox takes it (`uname -n` without its domain).
    pub node: Option<String>,
    /// `pct` and `qm`: the rows their `list` printed.
    pub lists: BTreeMap<String, Vec<Row>>,
    /// What was left out of the copy because it may hold a secret.
    #[serde(default)]
    pub redacted: Vec<String>,
    /// The node's NVIDIA device nodes (`/dev/nvidia*`): a copy holds no
    /// device node, and phx-lxc plans a GPU container's `devN` entries from
    /// them (their paths and modes; pve-container reads major:minor itself
    /// at each start, so they are not needed).
    #[serde(default)]
    pub devices: Vec<Device>,
}

/// One device node: `/dev/nvidia0`, mode `0666`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub path: String,
    /// The permission bits, octal: `0666`.
    pub mode: String,
}

impl Device {
    pub fn mode_bits(&self) -> Option<u32> {
        u32::from_str_radix(&self.mode, 8).ok()
    }
}

/// The NVIDIA character and block devices of `/dev` under `root`
/// (`/dev/nvidia*`, not its subdirectories) with their permission bits: what
/// phx-lxc's GPU passthrough reads of a node.
pub fn nvidia_devices(root: &Path) -> anyhow::Result<BTreeMap<String, u32>> {
    let mut nodes = BTreeMap::new();
    let at = phx_plan::fsutil::under_root(root, "/dev");
    let entries = match std::fs::read_dir(&at) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(nodes),
        Err(e) => anyhow::bail!("reading {}: {e}", at.display()),
    };
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("nvidia") {
            continue;
        }
        if let Some(mode) = device_mode(&e.path()) {
            nodes.insert(format!("/dev/{name}"), mode);
        }
    }
    Ok(nodes)
}

/// The permission bits of a character or block device, `None` for anything
/// else (what pct refuses: "… is not a device").
#[cfg(unix)]
fn device_mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let m = std::fs::metadata(p).ok()?;
    let t = m.file_type();
    (t.is_char_device() || t.is_block_device()).then(|| m.permissions().mode() & 0o7777)
}

impl Record {
    /// The guests `prog` listed as running; None when `prog` was not asked.
    pub fn running(&self, prog: &str) -> Option<HashSet<u32>> {
        let rows = self.lists.get(prog)?;
        Some(
            rows.iter()
                .filter(|r| r.status == "running")
                .map(|r| r.vmid)
                .collect(),
        )
    }

    /// Where and when, for notes: `node pve at 2026-12-07T23:10:00Z`.
    pub fn origin(&self) -> String {
        format!(
            "node {} at {}",
            self.node.as_deref().unwrap_or("(unnamed)"),
            self.taken_at
        )
    }
}

/// The rows of a `pct list` / `qm list`, the status in `status_column`
/// (the ID is column 0); the header and anything unparsable are skipped.
///
/// A row with more words than the header has columns holds a name of two
/// words: qm prints an unnamed VM's NAME as `VM 100` (qemu-server
/// src/PVE/QemuServer.pm:2574 `$conf->{name} || "VM $vmid"`) in a row of
/// fixed columns `VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID`
/// (src/PVE/CLI/qm.pm:1345-1352, `list`'s printf), so its status is then
/// counted from the end: the columns after it are always printed. A row
/// with fewer words (pct's empty Lock, after the status) keeps counting
/// from the front; so does a list without a header.
pub fn rows(out: &str, status_column: usize) -> Vec<Row> {
    let mut columns = None;
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let Ok(vmid) = f.first()?.parse::<u32>() else {
                columns = columns.or(Some(f.len()));
                return None;
            };
            let at = match columns {
                Some(n) if f.len() > n && n > status_column => f.len() - (n - status_column),
                _ => status_column,
            };
            let status = f.get(at)?.to_string();
            Some(Row { vmid, status })
        })
        .collect()
}

/// The record under `state_root`, if one was left there. Never read on `/`:
/// the live node is asked instead.
pub fn read(state_root: &Path) -> anyhow::Result<Option<Record>> {
    if state_root == Path::new("/") {
        return Ok(None);
    }
    let path = phx_plan::fsutil::under_root(state_root, PATH);
    let Some(text) = phx_plan::fsutil::read_optional(&path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
    else {
        return Ok(None);
    };
    let rec: Record = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a record of `phoenix-cli observe`: {e}",
            path.display()
        )
    })?;
    if rec.phoenix_observed != FORMAT {
        anyhow::bail!(
            "{}: record format {} (this Phoenix reads {FORMAT}); observe the node again",
            path.display(),
            rec.phoenix_observed
        );
    }
    Ok(Some(rec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_every_status_and_skip_the_header() {
        let pct = "VMID       Status     Lock         Name\n101        running                 dns01\n102        stopped    backup       web\n";
        assert_eq!(
            rows(pct, 1),
            vec![
                Row {
                    vmid: 101,
                    status: "running".into()
                },
                Row {
                    vmid: 102,
                    status: "stopped".into()
                }
            ]
        );
        let qm = "      VMID NAME                 STATUS     MEM(MB)\n       100 web                  running    2048\n";
        assert_eq!(
            rows(qm, 2)[0],
            Row {
                vmid: 100,
                status: "running".into()
            }
        );
    }

    #[test]
    fn an_unnamed_vms_two_word_name_does_not_shift_its_status() {
        // qemu-server's own format (qm.pm's printf) for a VM without a name.
        let head = format!(
            "{:>10} {:<20} {:<10} {:<10} {:>12} {:<10}\n",
            "VMID", "NAME", "STATUS", "MEM(MB)", "BOOTDISK(GB)", "PID"
        );
        let row = |id: u32, name: &str, status: &str| {
            format!(
                "{id:>10} {name:<20} {status:<10} {:<10} {:>12.2} {:<10}\n",
                2048, 32.0, 0
            )
        };
        let qm = head + &row(100, "VM 100", "running") + &row(101, "db", "stopped");
        let got = rows(&qm, 2);
        assert_eq!(got[0].status, "running", "{got:?}");
        assert_eq!(got[1].status, "stopped", "{got:?}");
        let pct =
            "VMID       Status     Lock         Name\n101        running                 dns01\n";
        assert_eq!(rows(pct, 1)[0].status, "running");
    }

    #[test]
    fn a_record_is_read_under_a_root_only_and_its_format_checked() {
        let root = tempfile::tempdir().unwrap();
        assert!(read(root.path()).unwrap().is_none());
        let p = root.path().join("var/lib/phoenix");
        std::fs::create_dir_all(&p).unwrap();
        let mut lists = BTreeMap::new();
        lists.insert("pct".to_string(), rows("101 running x\n102 stopped y\n", 1));
        let rec = Record {
            phoenix_observed: FORMAT,
            taken_at: "2026-12-07T23:10:00Z".into(),
            node: Some("pve".into()),
            lists,
            redacted: vec![],
            devices: vec![],
        };
        std::fs::write(
            p.join("observed.json"),
            serde_json::to_string(&rec).unwrap(),
        )
        .unwrap();
        let back = read(root.path()).unwrap().unwrap();
        assert_eq!(back.running("pct").unwrap(), HashSet::from([101]));
        assert!(back.running("qm").is_none(), "qm was not asked");
        std::fs::write(
            p.join("observed.json"),
            r#"{"phoenix_observed": 9, "taken_at": "", "node": null, "lists": {}}"#,
        )
        .unwrap();
        let e = read(root.path()).unwrap_err().to_string();
        assert!(e.contains("record format 9"), "{e}");
        assert!(read(Path::new("/")).unwrap().is_none());
    }
}
