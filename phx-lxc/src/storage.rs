//! The storages a container may use, and template paths turned into volume IDs.

use phx_common::config::model::Host;
use std::collections::BTreeSet;

/// Storage IDs every Proxmox VE node has out of the box (`local` is the
/// directory /var/lib/vz, `local-lvm` the LVM-thin pool of a default install);
/// they need not be listed in `proxmox_storage_ids`.
pub const PVE_DEFAULT_STORAGES: [&str; 2] = ["local", "local-lvm"];
/// Where the `local` storage keeps container templates.
const LOCAL_TEMPLATE_DIR: &str = "/var/lib/vz/template/cache/";

pub struct Storages {
    pub known: BTreeSet<String>,
    /// (storage id, template directory `/<pool>/<name>/template/cache/`) of
    /// storages whose content includes `vztmpl`.
    template_dirs: Vec<(String, String)>,
}

impl Storages {
    pub fn of(host: &Host) -> Self {
        let mut known: BTreeSet<String> =
            PVE_DEFAULT_STORAGES.iter().map(|s| s.to_string()).collect();
        known.extend(host.storage_ids.values().cloned());
        let mut template_dirs = vec![("local".to_string(), LOCAL_TEMPLATE_DIR.to_string())];
        for d in &host.zfs_datasets {
            known.insert(d.storage_id());
            if d.content.iter().any(|c| c == "vztmpl") {
                template_dirs.push((
                    d.storage_id(),
                    format!("/{}/{}/template/cache/", d.pool, d.name),
                ));
            }
        }
        Storages {
            known,
            template_dirs,
        }
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
        if template.starts_with('/') {
            for (id, dir) in &self.template_dirs {
                if let Some(file) = template.strip_prefix(dir.as_str()) {
                    if !file.is_empty() && !file.contains('/') {
                        return Ok(format!("{id}:vztmpl/{file}"));
                    }
                }
            }
            let dirs: Vec<&str> = self.template_dirs.iter().map(|(_, d)| d.as_str()).collect();
            return Err(format!(
                "a template file directly in the template directory of a storage with vztmpl content ({}), or STORAGE:vztmpl/FILE",
                dirs.join(", ")
            ));
        }
        match template.split_once(':') {
            Some((id, rest)) if rest.starts_with("vztmpl/") && rest.len() > 7 => {
                if self.is_known(id) {
                    Ok(template.to_string())
                } else {
                    Err(format!("a template on a configured storage; {id:?} is not one ({})", self.known_list()))
                }
            }
            _ => Err("a template path (/POOL/DATASET/template/cache/FILE) or volume ID (STORAGE:vztmpl/FILE)".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phx_common::config::{load, Input};
    use std::path::PathBuf;

    fn upstream() -> Storages {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream");
        Storages::of(&load(&Input::Dir(dir)).unwrap().host)
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
