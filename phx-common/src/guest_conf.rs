//! A Proxmox guest conf as pct or qm writes it — `/etc/pve/lxc/<ctid>.conf`
//! (pve-container's LXC/Config.pm, write_pct_config) and `/etc/pve/qemu-server/<vmid>.conf` (qemu-server's QemuServer.pm, parse_vm_config):
//! the main section's keys and raw `lxc.*` lines, the pending changes, the
//! snapshot sections' names and raw lines. Both files have one grammar; a
//! [`Dialect`] holds the two points where they differ. Description (`#`)
//! lines are not keys. Reading a conf and finding what is in force is here,
//! once; what each key means stays with its tool.

use phx_plan::fsutil::{read_optional, under_root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What tells a pct conf from a qm conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// The pending section's header, without brackets.
    pub pending: &'static str,
    /// Whether a key may hold `-` (qm has `running-nets-host-mtu`; pct's
    /// keys are `^[a-z][a-z_]*\d*`).
    pub dash_in_keys: bool,
}

/// `/etc/pve/lxc/<ctid>.conf`.
pub const PCT: Dialect = Dialect {
    pending: "pve:pending",
    dash_in_keys: false,
};

/// `/etc/pve/qemu-server/<vmid>.conf`.
pub const QM: Dialect = Dialect {
    pending: "PENDING",
    dash_in_keys: true,
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestConf {
    /// Main-section `key: value` lines; a later duplicate wins.
    pub keys: BTreeMap<String, String>,
    /// Raw `lxc.*` lines of the main section, as `key: value`, in file order
    /// (only containers have them).
    pub raw: Vec<String>,
    /// The pending section: values kept until the next start of a running guest.
    pub pending: BTreeMap<String, String>,
    /// `delete:` of the pending section.
    pub pending_delete: BTreeSet<String>,
    /// Snapshot section names (`[final-form]`).
    pub snapshots: BTreeSet<String>,
    /// Raw `lxc.*` lines of each snapshot section, as `key: value`: what a
    /// clone made from that snapshot inherits.
    pub snapshot_raw: BTreeMap<String, Vec<String>>,
    /// Each snapshot's description (its `#` lines, decoded, joined by
    /// newlines), when it has one.
    pub snapshot_desc: BTreeMap<String, String>,
    /// The file as it was read, for edits that keep every other byte.
    pub text: String,
}

enum Section {
    Main,
    Pending,
    Snapshot(String),
}

/// A key line: `^[a-z][a-z_]*\d*: value` (`-` too where the dialect allows
/// it) with a non-empty value.
fn key_line(line: &str, dialect: Dialect) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    let digits_from = k.find(|c: char| c.is_ascii_digit()).unwrap_or(k.len());
    let ok = k.starts_with(|c: char| c.is_ascii_lowercase())
        && k[..digits_from]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || (dialect.dash_in_keys && b == b'-'))
        && k[digits_from..].bytes().all(|b| b.is_ascii_digit());
    let v = v.trim();
    (ok && !v.is_empty()).then_some((k, v))
}

/// A raw LXC line, `lxc.key: value` or `lxc.key = value`, normalised to `key: value`.
pub fn raw_line(line: &str) -> Option<String> {
    if !line.starts_with("lxc.") {
        return None;
    }
    let (k, v) = crate::config::split_raw_lxc(line)?;
    Some(format!("{k}: {v}"))
}

pub fn parse(text: &str, dialect: Dialect) -> GuestConf {
    let mut c = GuestConf {
        text: text.to_string(),
        ..GuestConf::default()
    };
    let mut section = Section::Main;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.trim_end().trim_end_matches(']');
            section = if name == dialect.pending {
                Section::Pending
            } else {
                c.snapshots.insert(name.to_string());
                Section::Snapshot(name.to_string())
            };
            continue;
        }
        if let (Some(text), Section::Snapshot(name)) = (line.strip_prefix('#'), &section) {
            let d = c.snapshot_desc.entry(name.clone()).or_default();
            if !d.is_empty() {
                d.push('\n');
            }
            d.push_str(&decode_text(text));
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match section {
            Section::Main => {
                if let Some(raw) = raw_line(line) {
                    c.raw.push(raw);
                } else if let Some((k, v)) = key_line(line, dialect) {
                    c.keys.insert(k.to_string(), v.to_string());
                }
            }
            Section::Pending => match key_line(line, dialect) {
                Some(("delete", v)) => c.pending_delete.extend(
                    v.split([',', ' ', ';'])
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                ),
                Some((k, v)) => {
                    c.pending.insert(k.to_string(), v.to_string());
                }
                None => {}
            },
            Section::Snapshot(ref name) => {
                if let Some(raw) = raw_line(line) {
                    c.snapshot_raw.entry(name.clone()).or_default().push(raw);
                }
            }
        }
    }
    c
}

/// A description line as pve-common's PVE::Tools::decode_text reads it:
/// `%XX` escapes (encode_text writes `:`, `%`, control and non-ASCII bytes
/// that way) back to bytes.
pub fn decode_text(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex
            .filter(|_| b[i] == b'%')
            .map(|h| u8::from_str_radix(h, 16))
        {
            Some(Ok(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The conf at `path` (absolute on the host) under `state_root`, when the
/// guest exists.
pub fn read(state_root: &Path, path: &str, dialect: Dialect) -> anyhow::Result<Option<GuestConf>> {
    let p = under_root(state_root, path);
    let text = read_optional(&p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?;
    Ok(text.map(|t| parse(&t, dialect)))
}

impl GuestConf {
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

    pub fn is_template(&self) -> bool {
        self.keys.get("template").map(String::as_str) == Some("1")
    }

    /// The `set` call for this guest (`pct set` / `qm set`): each `wanted`
    /// key whose value in force differs, with the value to pass, and which
    /// of those keys take effect only at the guest's next start (`waits`).
    /// `same` compares a value as the program reads it; `net0` is the new
    /// NIC value, when it differs (the NIC's other parts are kept).
    pub fn changed(
        &self,
        wanted: &[(&str, String)],
        same: impl Fn(&str, &str, Option<&str>) -> bool,
        net0: impl Fn(&str, Option<&str>) -> Option<String>,
        waits: &[&str],
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut set = Vec::new();
        let mut later = Vec::new();
        for (k, want) in wanted {
            let have = self.effective(k);
            let update = match *k {
                "net0" => net0(want, have),
                _ if same(k, want, have) => None,
                _ => Some(want.to_string()),
            };
            if let Some(v) = update {
                if waits.contains(k) {
                    later.push(k.to_string());
                }
                set.push((k.to_string(), v));
            }
        }
        (set, later)
    }

    /// The indices N of every `<prefix>N` in force (main or pending):
    /// `mp` → the mounts, `net` → the NICs.
    pub fn indexed(&self, prefix: &str) -> BTreeSet<u32> {
        self.keys
            .keys()
            .chain(self.pending.keys())
            .filter_map(|k| k.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok()))
            .filter(|n| self.effective(&format!("{prefix}{n}")).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped after the example in pve-container's LXC/Config.pm, write_pct_config.
    const CT: &str = "#DNS resolver%3A dnsmasq
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
    fn container_main_keys_raw_lines_pending_and_snapshots() {
        let c = parse(CT, PCT);
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
        assert_eq!(c.indexed("mp").into_iter().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(c.text, CT);
    }

    #[test]
    fn descriptions_and_bad_lines_are_not_keys() {
        let c = parse(
            "#memory: 4\n memory: 8\nMemory: 9\nmemory:\ncores: 2\n",
            PCT,
        );
        assert_eq!(c.keys.len(), 1);
        assert_eq!(c.keys["cores"], "2");
    }

    #[test]
    fn a_snapshot_description_is_its_comment_lines_decoded() {
        // pve-container's write_pct_config writes each section's
        // description first, as '#' + encode_text(line).
        let c = parse(
            "#main\nmemory: 512\n\n[final-form]\n#phoenix-template features=base_setup\n#note%3A 100%25\nmemory: 512\n\n[bare]\nmemory: 256\n",
            PCT,
        );
        assert_eq!(
            c.snapshot_desc["final-form"],
            "phoenix-template features=base_setup\nnote: 100%"
        );
        assert!(!c.snapshot_desc.contains_key("bare"));
        assert_eq!(decode_text("a%2"), "a%2", "a short escape stays as it is");
    }

    #[test]
    fn later_duplicate_wins() {
        let c = parse("memory: 512\nmemory: 1024\n", PCT);
        assert_eq!(c.keys["memory"], "1024");
    }

    const VM: &str = "#web%3A nginx
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
    fn vm_main_pending_and_snapshots() {
        let c = parse(VM, QM);
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
        assert!(parse("template: 1\n", QM).is_template());
    }

    #[test]
    fn the_dialect_names_the_pending_section_and_the_key_characters() {
        // Each reader takes the other's pending header for a snapshot.
        let ct = parse("[PENDING]\nmemory: 4\n", PCT);
        assert!(ct.pending.is_empty() && ct.snapshots.contains("PENDING"));
        let vm = parse("[pve:pending]\nmemory: 4\n", QM);
        assert!(vm.pending.is_empty() && vm.snapshots.contains("pve:pending"));
        let dashed = "running-nets-host-mtu: 1500\n";
        assert_eq!(parse(dashed, QM).keys["running-nets-host-mtu"], "1500");
        assert!(parse(dashed, PCT).keys.is_empty());
    }

    #[test]
    fn changed_keys_and_those_that_wait() {
        let c = parse("memory: 512\ncores: 2\nnet0: name=eth0,bridge=vmbr1\n", PCT);
        let wanted = [
            ("memory", "1024".to_string()),
            ("cores", "2".to_string()),
            ("net0", "name=eth0,bridge=vmbr0".to_string()),
            ("onboot", "1".to_string()),
        ];
        let (set, later) = c.changed(
            &wanted,
            |_, want, have| have == Some(want),
            |want, have| (have != Some(want)).then(|| format!("{want},kept=1")),
            &["net0", "cores"],
        );
        assert_eq!(
            set,
            [
                ("memory".to_string(), "1024".to_string()),
                (
                    "net0".to_string(),
                    "name=eth0,bridge=vmbr0,kept=1".to_string()
                ),
                ("onboot".to_string(), "1".to_string()),
            ]
        );
        assert_eq!(later, ["net0"]);
    }

    #[test]
    fn read_is_none_for_a_missing_guest() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read(d.path(), "/etc/pve/lxc/5.conf", PCT).unwrap(), None);
        std::fs::create_dir_all(d.path().join("etc/pve/lxc")).unwrap();
        std::fs::write(d.path().join("etc/pve/lxc/5.conf"), "memory: 64\n").unwrap();
        let c = read(d.path(), "/etc/pve/lxc/5.conf", PCT).unwrap().unwrap();
        assert_eq!(c.keys["memory"], "64");
    }
}
