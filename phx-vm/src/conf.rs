//! `/etc/pve/qemu-server/<vmid>.conf` as qm writes it (reference "qm"): the
//! main section's keys, the `[PENDING]` changes and the snapshot names.
//! Description (`#`) lines are not keys; snapshot contents are not read.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conf {
    /// Main-section `key: value` lines; a later duplicate wins.
    pub keys: BTreeMap<String, String>,
    /// `[PENDING]`: values qm keeps until the next start.
    pub pending: BTreeMap<String, String>,
    pub pending_delete: BTreeSet<String>,
    /// Snapshot section names.
    pub snapshots: BTreeSet<String>,
}

/// A key line: `^[a-z][a-z_-]*\d*: value` with a non-empty value.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    let digits_from = k.find(|c: char| c.is_ascii_digit()).unwrap_or(k.len());
    let ok = k.starts_with(|c: char| c.is_ascii_lowercase())
        && k[..digits_from]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        && k[digits_from..].bytes().all(|b| b.is_ascii_digit());
    let v = v.trim();
    (ok && !v.is_empty()).then_some((k, v))
}

pub fn parse(text: &str) -> Conf {
    let mut c = Conf::default();
    // None: main; Some(true): pending; Some(false): a snapshot.
    let mut section: Option<bool> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.trim_end().trim_end_matches(']');
            section = Some(name == "PENDING");
            if name != "PENDING" {
                c.snapshots.insert(name.to_string());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = key_line(line) else {
            continue;
        };
        match section {
            None => {
                c.keys.insert(k.to_string(), v.to_string());
            }
            Some(true) if k == "delete" => c.pending_delete.extend(
                v.split([',', ' ', ';'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
            Some(true) => {
                c.pending.insert(k.to_string(), v.to_string());
            }
            Some(false) => {}
        }
    }
    c
}

impl Conf {
    /// The value in force after the next start: pending wins.
    pub fn effective(&self, key: &str) -> Option<&str> {
        if self.pending_delete.contains(key) {
            return None;
        }
        self.pending
            .get(key)
            .or_else(|| self.keys.get(key))
            .map(String::as_str)
    }

    pub fn is_template(&self) -> bool {
        self.keys.get("template").map(String::as_str) == Some("1")
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || !self.pending_delete.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "#web%3A nginx
agent: 1
cores: 2
memory: 2048
name: web
net0: virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1
parent: clean
scsi0: local-lvm:vm-101-disk-0,size=32G
vmgenid: 1-2

[PENDING]
cores: 4
delete: agent

[clean]
memory: 1024
snaptime: 1
";

    #[test]
    fn main_pending_and_snapshots() {
        let c = parse(REAL);
        assert_eq!(c.keys["memory"], "2048");
        assert_eq!(c.effective("cores"), Some("4"));
        assert_eq!(c.effective("agent"), None);
        assert_eq!(
            c.effective("memory"),
            Some("2048"),
            "snapshot keys are not the VM's"
        );
        assert!(c.snapshots.contains("clean"));
        assert!(c.has_pending());
        assert!(!c.is_template());
    }
}
