//! Where guest disks go: the storage a guest without `storage_pool` uses,
//! and whether a storage may hold a container's or a VM's volumes (the
//! node's storage.cfg, then what phx-storage makes of the JSON's datasets
//! and NFS exports).

use crate::config::model::Host;
use crate::storage_cfg;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `proxmox_storage_ids` keys naming the containers' default storage: this
/// project's name, then the original's (its fixture's `quickos_lxc`).
pub const LXC_DISKS_KEYS: [&str; 2] = ["lxc_disks", "quickos_lxc"];
/// The same for VMs (the original's `quickos_vm`).
pub const VM_DISKS_KEYS: [&str; 2] = ["vm_disks", "quickos_vm"];
/// pct's own default storage (pve-container src/PVE/API2/LXC.pm create:
/// `storage` defaults to 'local').
pub const PCT_DEFAULT_STORAGE: &str = "local";
/// A default Proxmox VE install's LVM-thin pool.
pub const QM_DEFAULT_STORAGE: &str = "local-lvm";

/// The content type a storage must allow to hold a container's volumes
/// (pve-container src/PVE/API2/LXC.pm:354) and a VM's disks
/// (qemu-server src/PVE/API2/Qemu.pm:191).
pub const CT_CONTENT: &str = "rootdir";
pub const VM_CONTENT: &str = "images";

fn named(host: &Host, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| host.storage_ids.get(*k).cloned())
}

/// A container's storage when it names none.
pub fn default_lxc_storage(host: &Host) -> String {
    named(host, &LXC_DISKS_KEYS).unwrap_or_else(|| PCT_DEFAULT_STORAGE.to_string())
}

/// A VM's storage when neither it nor `vm_defaults` names one.
pub fn default_vm_storage(host: &Host) -> String {
    named(host, &VM_DISKS_KEYS).unwrap_or_else(|| QM_DEFAULT_STORAGE.to_string())
}

/// What one storage may hold, and where that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub types: BTreeSet<String>,
    pub from: String,
}

/// The content of every storage known: the node's storage.cfg, then the
/// JSON's datasets and the NFS storages of its exports over it (phx-storage
/// sets their content before the guests are planned). A storage in none of
/// them is not checked.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    pub known: BTreeMap<String, Content>,
    /// storage.cfg was read: a storage in none of them does not exist, and
    /// pct and qm refuse it ("storage 'X' does not exist", pve-storage
    /// src/PVE/Storage.pm:259 storage_config). Without the file (a preview
    /// root that has none) nothing is known and nothing is refused.
    pub node_read: bool,
}

impl Contents {
    /// Reads `etc/pve/storage.cfg` under `state_root` when it exists.
    pub fn read(host: &Host, state_root: &Path) -> Result<Self, String> {
        let file = state_root.join(storage_cfg::PATH.trim_start_matches('/'));
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let mut c = Self::of(host, &storage_cfg::parse(&text)?);
        c.node_read = file.exists();
        Ok(c)
    }

    pub fn of(host: &Host, node: &[storage_cfg::Entry]) -> Self {
        let mut out = BTreeMap::new();
        // pve-storage replaces a missing or non-dir `local` (and one not at
        // /var/lib/vz) by a dir storage holding everything
        // (src/PVE/Storage/Plugin.pm:565-585, parse_config).
        let local_ok = node.iter().any(|e| {
            e.id == "local" && e.kind == "dir" && e.get("path").is_none_or(|p| p == "/var/lib/vz")
        });
        if !local_ok {
            let types = ["backup", "images", "iso", "rootdir", "snippets", "vztmpl"];
            out.insert(
                "local".to_string(),
                Content {
                    types: types.iter().map(|t| t.to_string()).collect(),
                    from: format!(
                        "pve-storage's default `local`, {} has none",
                        storage_cfg::PATH
                    ),
                },
            );
        }
        for e in node.iter().filter(|e| e.id != "local" || local_ok) {
            if let Some(types) = e.effective_content() {
                let from = format!("{} ({}: {})", storage_cfg::PATH, e.kind, e.id);
                out.insert(e.id.clone(), Content { types, from });
            }
        }
        for (i, d) in host.zfs_datasets.iter().enumerate() {
            if d.storage_type.is_some() {
                let from = format!("zfs.datasets[{i}].proxmox_content_type");
                let types = d.content.iter().cloned().collect();
                out.insert(d.storage_id(), Content { types, from });
            }
        }
        // phx-storage adds one NFS storage per export and sets its content.
        for n in crate::nfs_storages::of(host) {
            let from = format!("nfs.exports[{}], added by phx-storage", n.index);
            let types = crate::nfs_storages::CONTENT
                .split(',')
                .map(String::from)
                .collect();
            out.insert(n.id, Content { types, from });
        }
        Contents {
            known: out,
            node_read: false,
        }
    }

    /// `Err` says what the storage holds instead, for a message.
    pub fn allows(&self, storage: &str, content: &str) -> Result<(), String> {
        match self.known.get(storage) {
            Some(c) if !c.types.contains(content) => Err(format!(
                "a storage whose content allows {content}; {storage}'s content is {} ({})",
                c.types.iter().cloned().collect::<Vec<_>>().join(","),
                c.from
            )),
            None if self.node_read => Err(format!(
                "a storage the node has: {storage} is neither in {} nor added by phx-storage (zfs.datasets with proxmox_storage_type, nfs.exports); known: {}",
                storage_cfg::PATH,
                self.known.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, Input};

    fn host(dir: &str) -> Host {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
        load(&Input::Dir(dir)).unwrap().host
    }

    #[test]
    fn the_original_s_keys_name_the_default_storages() {
        let h = host("tests/fixtures/phoenix-upstream");
        assert_eq!(default_lxc_storage(&h), "quickOS-lxc-disks");
        assert_eq!(default_vm_storage(&h), "quickOS-vm-disks");
        let mut bare = h.clone();
        bare.storage_ids.clear();
        assert_eq!(default_lxc_storage(&bare), "local");
        assert_eq!(default_vm_storage(&bare), "local-lvm");
        bare.storage_ids
            .insert("lxc_disks".to_string(), "tank-ct".to_string());
        assert_eq!(default_lxc_storage(&bare), "tank-ct");
    }

    #[test]
    fn content_from_the_json_over_the_node() {
        let h = host("tests/fixtures/phoenix-upstream");
        let node = storage_cfg::parse(
            "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nzfspool: quickOS-vm-disks\n\tpool quickOS/vm-disks\n\tcontent images,rootdir\n\ndir: bare\n\tpath /srv\n",
        )
        .unwrap();
        let c = Contents::of(&h, &node);
        assert_eq!(
            c.allows("local", "rootdir").unwrap_err(),
            "a storage whose content allows rootdir; local's content is backup,iso,vztmpl (/etc/pve/storage.cfg (dir: local))"
        );
        // The JSON says images only: phx-storage sets that before the guests.
        assert!(c
            .allows("quickOS-vm-disks", "rootdir")
            .unwrap_err()
            .contains("(zfs.datasets[0].proxmox_content_type)"));
        // No content line: the plugin's default (images,rootdir for dir).
        assert_eq!(c.allows("bare", "rootdir"), Ok(()));
        assert_eq!(c.allows("quickOS-lxc-disks", "rootdir"), Ok(()));
        assert_eq!(c.allows("unknown", "rootdir"), Ok(()));
        // Once storage.cfg was read, a storage nobody has is refused.
        let read = Contents {
            node_read: true,
            ..c.clone()
        };
        assert!(read
            .allows("local-lvm", "images")
            .unwrap_err()
            .starts_with("a storage the node has: local-lvm is neither in /etc/pve/storage.cfg"));
        assert_eq!(read.allows("quickOS-vm-disks", "images"), Ok(()));
        // An NFS storage phx-storage adds for an export holds no container.
        assert_eq!(
            c.allows("nfs-shared-bulk-data", "rootdir").unwrap_err(),
            "a storage whose content allows rootdir; nfs-shared-bulk-data's content is backup,images,iso,snippets,vztmpl (nfs.exports[0], added by phx-storage)"
        );
        assert_eq!(c.allows("nfs-vm-persistent-data", "images"), Ok(()));
        // No storage.cfg: pve-storage's own `local` holds everything.
        assert_eq!(Contents::of(&h, &[]).allows("local", "rootdir"), Ok(()));
    }
}
