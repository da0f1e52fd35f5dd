//! Renaming a Proxmox node. pmxcfs keeps a node's guests and certificates
//! under `/etc/pve/nodes/<node name>/`, the name being `uname -n`
//! (pve-common src/PVE/INotify.pm:523 nodename). A new hostname makes the node
//! look in a new, empty directory: its guests (`lxc/*.conf`,
//! `qemu-server/*.conf`) and its own web certificate (`pveproxy-ssl.pem`,
//! `.key`) stay behind under the old name — orphaned, and in a cluster the
//! other nodes still see them on a node that no longer answers. So phx-net
//! renames only a node that holds none of them, unless told `--rename-node`.
//! `pve-ssl.pem`/`.key` are not counted: pveproxy makes them for the node's
//! name at its start (pve-manager services/pveproxy.service:14 `pvecm
//! updatecerts`, pve-cluster src/PVE/Cluster/Setup.pm:487 gen_pve_ssl_cert).

use crate::Observed;
use phx_common::config::Inventory;
use phx_plan::fsutil::under_root;
use std::path::Path;

/// What a node's directory holds that a rename would leave behind, as
/// paths under it (`lxc/101.conf`, `pveproxy-ssl.pem`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Holdings {
    pub guests: Vec<String>,
    pub certificates: Vec<String>,
}

impl Holdings {
    /// What `/etc/pve/nodes/<node>/` holds under `state_root`.
    pub fn read(state_root: &Path, node: &str) -> std::io::Result<Holdings> {
        let dir = under_root(state_root, &format!("/etc/pve/nodes/{node}"));
        let mut h = Holdings::default();
        for sub in ["lxc", "qemu-server"] {
            let entries = match std::fs::read_dir(dir.join(sub)) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut confs: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".conf"))
                .map(|n| format!("{sub}/{n}"))
                .collect();
            confs.sort();
            h.guests.extend(confs);
        }
        for cert in ["pveproxy-ssl.pem", "pveproxy-ssl.key"] {
            if dir.join(cert).exists() {
                h.certificates.push(cert.to_string());
            }
        }
        Ok(h)
    }

    pub fn is_empty(&self) -> bool {
        self.guests.is_empty() && self.certificates.is_empty()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.guests.is_empty() {
            parts.push(format!("guests ({})", self.guests.join(", ")));
        }
        if !self.certificates.is_empty() {
            parts.push(format!("certificates ({})", self.certificates.join(", ")));
        }
        parts.join(" and ")
    }
}

/// Refuses a new `network.hostname` for a node whose directory holds
/// guests or certificates (exit 2, naming them), unless `allowed`; then a
/// note names what is left behind.
pub fn check(inv: &Inventory, seen: &Observed, allowed: bool) -> Result<Vec<String>, String> {
    let want = &inv.host.network.hostname;
    let Some(node) = seen.node.as_deref() else {
        return Ok(Vec::new());
    };
    if node == want || seen.node_holds.is_empty() {
        return Ok(Vec::new());
    }
    let what = format!(
        "/etc/pve/nodes/{node}/ holds {}",
        seen.node_holds.describe()
    );
    if allowed {
        return Ok(vec![format!("--rename-node: the node {node:?} becomes {want:?}; {what}, left behind under the old name: move them to /etc/pve/nodes/{want}/ (a cluster's other nodes still see them on {node:?})")]);
    }
    Err(format!(
        "{}: network.hostname: {want:?}: this node is named {node:?} and {what}; a new name orphans them (fatal in a cluster). Expected the node's name ({node:?}), or --rename-node to rename it anyway",
        inv.sources.hypervisor
    ))
}
