//! The storages a container may use, and template paths turned into volume
//! IDs (by `phx_common::fetch`'s rule, which phx-storage fetches by too).

use phx_common::config::model::Host;
use phx_common::fetch;
use std::collections::BTreeSet;

/// Storage IDs every Proxmox VE node has out of the box (`local` is the
/// directory /var/lib/vz, `local-lvm` the LVM-thin pool of a default install);
/// they need not be listed in `proxmox_storage_ids`.
pub const PVE_DEFAULT_STORAGES: [&str; 2] = ["local", "local-lvm"];

pub struct Storages<'a> {
    pub known: BTreeSet<String>,
    host: &'a Host,
}

impl<'a> Storages<'a> {
    pub fn of(host: &'a Host) -> Self {
        let mut known: BTreeSet<String> =
            PVE_DEFAULT_STORAGES.iter().map(|s| s.to_string()).collect();
        known.extend(host.storage_ids.values().cloned());
        known.extend(host.zfs_datasets.iter().map(|d| d.storage_id()));
        Storages { known, host }
    }

    pub fn is_known(&self, id: &str) -> bool {
        self.known.contains(id)
    }

    fn known_list(&self) -> String {
        self.known.iter().cloned().collect::<Vec<_>>().join(", ")
    }

    /// What a storage value must be, for messages.
    pub fn expected_storage(&self) -> String {
        format!(
            "a configured Proxmox storage ID (one of: {})",
            self.known_list()
        )
    }

    /// `/fastData/shared-iso/template/cache/x.tar.zst` → `fastData-shared-iso:vztmpl/x.tar.zst`;
    /// `local:vztmpl/x.tar.zst` stays as it is. `Err` says what was expected.
    pub fn template_volid(&self, template: &str) -> Result<String, String> {
        fetch::resolve_template(
            self.host,
            template,
            |id| self.is_known(id),
            || self.known_list(),
        )
        .map(|t| t.volid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phx_common::config::{load, Input};
    use std::path::PathBuf;

    fn upstream() -> Storages<'static> {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream");
        Storages::of(Box::leak(Box::new(load(&Input::Dir(dir)).unwrap().host)))
    }

    #[test]
    fn template_path_of_the_original_files_resolves_through_the_vztmpl_dataset() {
        let s = upstream();
        assert_eq!(
            s.template_volid(
                "/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
            )
            .unwrap(),
            "fastData-shared-iso:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
        );
        assert_eq!(
            s.template_volid("/var/lib/vz/template/cache/d.tar.zst")
                .unwrap(),
            "local:vztmpl/d.tar.zst"
        );
    }

    #[test]
    fn volume_ids_are_kept_and_unknown_places_refused() {
        let s = upstream();
        assert_eq!(
            s.template_volid("local:vztmpl/d.tar.zst").unwrap(),
            "local:vztmpl/d.tar.zst"
        );
        assert!(s
            .template_volid("nosuch:vztmpl/d.tar.zst")
            .unwrap_err()
            .contains("\"nosuch\" is not one"));
        // A dataset without vztmpl content is no template store.
        assert!(s
            .template_volid("/quickOS/lxc-disks/template/cache/d.tar.zst")
            .is_err());
        assert!(s.template_volid("/fastData/shared-iso/d.tar.zst").is_err());
        assert!(s.template_volid("ubuntu.tar.zst").is_err());
    }

    #[test]
    fn known_storages() {
        let s = upstream();
        for id in [
            "local",
            "local-lvm",
            "quickOS-lxc-disks",
            "fastData-shared-bulk-data",
            "quickOS-lxc-persistent-data",
        ] {
            assert!(s.is_known(id), "{id}");
        }
        assert!(!s.is_known("tank"));
    }
}
