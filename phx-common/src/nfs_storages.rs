//! The Proxmox NFS storages a node gets, one per `nfs.exports` entry, as the
//! original added them (SirHeads/Testing-ideas `hypervisor_feature_setup_nfs.sh`,
//! add_nfs_storage, the same at 260ca13 and HEAD). phx-storage adds them;
//! here so a guest tool can know them by the same rule (tools never depend
//! on each other).

use crate::config::model::Host;

/// What the original gave every NFS storage (add_nfs_storage).
pub const CONTENT: &str = "images,iso,vztmpl,backup,snippets";
pub const OPTIONS: &str = "vers=4,soft,timeo=30,retrans=3";
/// Where the original mounted them (pve-storage's own default is
/// /mnt/pve/<id>, NFSPlugin.pm:113): kept, so a node the original set up
/// keeps its storages as they are.
pub const MOUNT_BASE: &str = "/mnt/nfs";

/// One NFS storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfsStorage<'a> {
    /// `nfs-` and the export's last path component.
    pub id: String,
    pub server: String,
    pub export: &'a str,
    /// `/mnt/nfs/<id>`.
    pub path: String,
    /// Its `nfs.exports` index, for messages.
    pub index: usize,
}

/// The server they mount from: `network.nfs_server`, else the host's own
/// address (what the original used).
pub fn server(host: &Host) -> String {
    let n = &host.network;
    n.nfs_server
        .clone()
        .unwrap_or_else(|| n.address.addr().to_string())
}

/// One per export, in file order (IDs unchecked: phx-storage refuses a bad
/// or repeated one).
pub fn of(host: &Host) -> Vec<NfsStorage<'_>> {
    let server = server(host);
    host.nfs_exports
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let id = format!("nfs-{}", e.path.rsplit('/').next().unwrap_or(""));
            NfsStorage {
                path: format!("{MOUNT_BASE}/{id}"),
                id,
                server: server.clone(),
                export: &e.path,
                index,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_original_files_exports_are_four_storages_on_the_host_itself() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/phoenix-upstream");
        let inv = crate::config::load(&crate::config::Input::Dir(dir)).unwrap();
        let all = super::of(&inv.host);
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "nfs-shared-bulk-data",
                "nfs-shared-prod-data",
                "nfs-shared-prod-data-sync",
                "nfs-vm-persistent-data"
            ]
        );
        assert_eq!(all[0].server, "10.0.0.13");
        assert_eq!(all[0].export, "/fastData/shared-bulk-data");
        assert_eq!(all[0].path, "/mnt/nfs/nfs-shared-bulk-data");
    }
}
