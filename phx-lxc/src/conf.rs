//! `/etc/pve/lxc/<ctid>.conf` as pct writes it (reference §3): the main
//! section's keys and raw `lxc.*` lines, the pending changes, and the names
//! of the snapshot sections. Description (`#`) lines are not keys.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conf {
    /// Main-section `key: value` lines; a later duplicate wins.
    pub keys: BTreeMap<String, String>,
    /// Raw `lxc.*` lines of the main section, as `key: value`, in file order.
    pub raw: Vec<String>,
    /// `[pve:pending]`: values pct keeps until the next start (running CTs).
    pub pending: BTreeMap<String, String>,
    /// `delete:` of the pending section.
    pub pending_delete: BTreeSet<String>,
    /// Snapshot section names (`[final-form]`).
    pub snapshots: BTreeSet<String>,
    /// Raw `lxc.*` lines of each snapshot section, as `key: value`: what a
    /// clone made from that snapshot inherits.
    pub snapshot_raw: BTreeMap<String, Vec<String>>,
    /// The file as it was read, for edits that keep every other byte.
    pub text: String,
}

enum Section {
    Main,
    Pending,
    Snapshot(String),
}

/// A key line: `^[a-z][a-z_]*\d*: value` with a non-empty value.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    let mut chars = k.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let digits_from = k.find(|c: char| c.is_ascii_digit()).unwrap_or(k.len());
    let ok = first_ok
        && k[..digits_from]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')
        && k[digits_from..].bytes().all(|b| b.is_ascii_digit());
    let v = v.trim();
    (ok && !v.is_empty()).then_some((k, v))
}

/// A raw LXC line, `lxc.key: value` or `lxc.key = value`, normalised to `key: value`.
pub fn raw_line(line: &str) -> Option<String> {
    if !line.starts_with("lxc.") {
        return None;
    }
    let (k, v) = phx_common::config::split_raw_lxc(line)?;
    Some(format!("{k}: {v}"))
}

pub fn parse(text: &str) -> Conf {
    let mut c = Conf {
        text: text.to_string(),
        ..Conf::default()
    };
    let mut section = Section::Main;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.trim_end().trim_end_matches(']');
            section = if name == "pve:pending" {
                Section::Pending
            } else {
                c.snapshots.insert(name.to_string());
                Section::Snapshot(name.to_string())
            };
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match section {
            Section::Main => {
                if let Some(raw) = raw_line(line) {
                    c.raw.push(raw);
                } else if let Some((k, v)) = key_line(line) {
                    c.keys.insert(k.to_string(), v.to_string());
                }
            }
            Section::Pending => {
                if let Some((k, v)) = key_line(line) {
                    if k == "delete" {
                        c.pending_delete.extend(
                            v.split([',', ' ', ';'])
                                .filter(|s| !s.is_empty())
                                .map(str::to_string),
                        );
                    } else {
                        c.pending.insert(k.to_string(), v.to_string());
                    }
                }
            }
            Section::Snapshot(ref name) => {
                if let Some(raw) = raw_line(line) {
                    c.snapshot_raw.entry(name.clone()).or_default().push(raw);
                }
            }
        }
    }
    c
}

impl Conf {
    /// The value that will be in force after the next start: pending wins,
    /// a pending delete removes it.
    pub fn effective(&self, key: &str) -> Option<&str> {
        if self.pending_delete.contains(key) {
            return None;
        }
        self.pending
            .get(key)
            .or_else(|| self.keys.get(key))
            .map(String::as_str)
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || !self.pending_delete.is_empty()
    }

    /// Indices of every `mpN` in force (main or pending).
    pub fn mount_keys(&self) -> BTreeSet<u32> {
        self.keys
            .keys()
            .chain(self.pending.keys())
            .filter_map(|k| k.strip_prefix("mp").and_then(|n| n.parse::<u32>().ok()))
            .filter(|n| self.effective(&format!("mp{n}")).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped after the example in reference §3.
    const REAL: &str = "#DNS resolver%3A dnsmasq
arch: amd64
features: nesting=1
hostname: dns01
memory: 1024
mp0: /srv/dns,mp=/srv/data,ro=1
mp1: tank:subvol-101-disk-1,mp=/var/log/app,backup=1,size=4G
nameserver: 10.10.0.1
net0: name=eth0,bridge=vmbr0,firewall=1,gw=10.10.0.1,hwaddr=BC:24:11:4E:1A:2B,ip=10.10.5.21/16,type=veth
onboot: 1
parent: pre-upgrade
rootfs: local-lvm:vm-101-disk-0,size=8G
startup: order=1,up=30
swap: 512
unprivileged: 1
lxc.mount.entry: /dev/net dev/net none bind,create=dir
lxc.apparmor.profile = unconfined

[pve:pending]
features: keyctl=1,nesting=1
delete: swap

[pre-upgrade]
#before upgrade
arch: amd64
memory: 512
lxc.cap.drop: sys_admin
snaptime: 1717000000
";

    #[test]
    fn main_section_keys_raw_lines_pending_and_snapshots() {
        let c = parse(REAL);
        assert_eq!(c.keys["memory"], "1024");
        assert_eq!(c.keys["hostname"], "dns01");
        assert!(
            !c.keys.contains_key("snaptime"),
            "snapshot keys stay out of the main section"
        );
        assert_eq!(
            c.raw,
            vec![
                "lxc.mount.entry: /dev/net dev/net none bind,create=dir",
                "lxc.apparmor.profile: unconfined"
            ]
        );
        assert_eq!(c.pending["features"], "keyctl=1,nesting=1");
        assert!(c.pending_delete.contains("swap"));
        assert_eq!(c.snapshots.iter().collect::<Vec<_>>(), vec!["pre-upgrade"]);
        assert_eq!(
            c.snapshot_raw["pre-upgrade"],
            vec!["lxc.cap.drop: sys_admin"]
        );
        assert_eq!(c.effective("features"), Some("keyctl=1,nesting=1"));
        assert_eq!(c.effective("swap"), None);
        assert_eq!(c.effective("memory"), Some("1024"));
        assert_eq!(c.mount_keys().into_iter().collect::<Vec<_>>(), vec![0, 1]);
        let mp1 = crate::props::parse(&c.keys["mp1"], Some("volume"));
        assert_eq!(mp1["volume"], "tank:subvol-101-disk-1");
        assert_eq!(mp1["mp"], "/var/log/app");
        assert_eq!(mp1["backup"], "1");
        assert_eq!(mp1["size"], "4G");
    }

    #[test]
    fn descriptions_and_bad_lines_are_not_keys() {
        let c = parse("#memory: 4\n memory: 8\nMemory: 9\nmemory:\ncores: 2\n");
        assert_eq!(c.keys.len(), 1);
        assert_eq!(c.keys["cores"], "2");
    }

    #[test]
    fn later_duplicate_wins() {
        assert_eq!(parse("memory: 512\nmemory: 1024\n").keys["memory"], "1024");
    }
}
