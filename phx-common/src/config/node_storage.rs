//! The node's storage as the hypervisor file declares it: ZFS pools and
//! datasets (and the Proxmox storage each dataset backs), NFS exports.

use super::raid::RaidLevel;

#[derive(Debug, Clone)]
pub struct ZfsDataset {
    pub name: String,
    pub pool: String,
    pub storage_type: Option<String>,
    pub content: Vec<String>,
    /// `properties`: `-o key=value` at creation, `zfs set` when one differs.
    pub properties: Vec<(String, String)>,
    /// `proxmox_storage_ids.<pool>_<name with _ for ->`, when given.
    pub storage_id_override: Option<String>,
}

impl ZfsDataset {
    /// The Proxmox storage ID the original scripts registered for a dataset:
    /// `proxmox_storage_ids.<pool>_<name, - as _>` when the file has it, else
    /// `<pool>-<name>` (hypervisor_feature_setup_zfs.sh, add_proxmox_storage).
    pub fn storage_id(&self) -> String {
        self.storage_id_override
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.pool, self.name))
    }

    /// The `proxmox_storage_ids` key naming this dataset's storage ID.
    pub fn storage_id_key(&self) -> String {
        format!("{}_{}", self.pool, self.name.replace('-', "_"))
    }

    /// Where it is mounted: its `mountpoint` property, else zfs's default
    /// `/<pool>/<name>`.
    pub fn mount_dir(&self) -> String {
        self.properties
            .iter()
            .find(|(k, _)| k == "mountpoint")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| format!("/{}/{}", self.pool, self.name))
    }
}

/// One `nfs.exports` entry.
#[derive(Debug, Clone)]
pub struct NfsExport {
    pub path: String,
    pub clients: Vec<String>,
    /// The same options for every client.
    pub options: Vec<String>,
}

/// One `zfs.pools` entry.
#[derive(Debug, Clone)]
pub struct ZfsPool {
    pub name: String,
    pub layout: RaidLevel,
    /// As written (`/dev/disk/by-id/…`): zpool records the path it is given.
    pub disks: Vec<String>,
    /// `properties`: pool properties (`zpool create -o`), over Phoenix's defaults.
    pub properties: Vec<(String, String)>,
    /// `filesystem_properties`: the root dataset's (`zpool create -O`), over the defaults.
    pub filesystem_properties: Vec<(String, String)>,
}
