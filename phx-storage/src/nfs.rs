//! `nfs.exports`: the NFS server installed, enabled and running, one
//! `/etc/exports` line per export inside a managed block (the operator's own
//! lines stay), and `exportfs -ra` only when the block changed.

use crate::storages::dir_path;
use phx_common::config::{Inventory, NfsExport};
use phx_plan::{argv, Action, BlockStep, CommandStep, HandlerStep};

pub const EXPORTS: &str = "/etc/exports";
pub const RELOAD: &str = "storage:nfs:exportfs";
/// Debian's server package and unit (nfs-kernel-server ships nfs-server.service).
const PACKAGE: &str = "nfs-kernel-server";
const UNIT: &str = "nfs-server";

/// exports(5): `path client(opts) client(opts)`.
pub fn line(e: &NfsExport) -> String {
    let opts = e.options.join(",");
    let clients: Vec<String> = e
        .clients
        .iter()
        .map(|c| {
            if opts.is_empty() {
                c.clone()
            } else {
                format!("{c}({opts})")
            }
        })
        .collect();
    format!("{} {}", e.path, clients.join(" "))
}

pub fn plan(inv: &Inventory, notes: &mut Vec<String>) -> Vec<(String, Action)> {
    let exports = &inv.host.nfs_exports;
    if exports.is_empty() {
        return Vec::new();
    }
    let mounts: Vec<String> = inv.host.zfs_datasets.iter().map(dir_path).collect();
    for e in exports {
        let on_dataset = mounts
            .iter()
            .any(|m| e.path == *m || e.path.starts_with(&format!("{m}/")));
        if !on_dataset {
            notes.push(format!(
                "NFS export {} is on no dataset of zfs.datasets: the directory must exist when exportfs runs",
                e.path
            ));
        }
    }
    let block: String = exports.iter().map(|e| line(e) + "\n").collect();
    let cmd = |args: &[&str], unless: &[&str], desc: &str| {
        Action::Command(CommandStep {
            show_output: false,
            argv: argv(args),
            unless: Some(argv(unless)),
            only_if: None,
            desc: desc.to_string(),
            notify: vec![],
            timeout_s: None,
        })
    };
    vec![
        (
            "storage:nfs:install".to_string(),
            // Proxmox VE does not ship the NFS server; exportfs is its program.
            cmd(
                &["apt-get", "install", "-y", PACKAGE],
                &["sh", "-c", "command -v exportfs >/dev/null"],
                "install the NFS server",
            ),
        ),
        (
            "storage:nfs:exports".to_string(),
            Action::Block(BlockStep {
                path: EXPORTS.into(),
                marker: "nfs".into(),
                content: block,
                notify: vec![RELOAD.into()],
            }),
        ),
        (
            "storage:nfs:enable".to_string(),
            cmd(
                &["systemctl", "enable", UNIT],
                &["systemctl", "is-enabled", "--quiet", UNIT],
                "start the NFS server at boot",
            ),
        ),
        (
            "storage:nfs:start".to_string(),
            cmd(
                &["systemctl", "start", UNIT],
                &["systemctl", "is-active", "--quiet", UNIT],
                "start the NFS server",
            ),
        ),
        (
            RELOAD.to_string(),
            Action::Handler(HandlerStep {
                argv: argv(&["exportfs", "-ra"]),
                desc: "export what /etc/exports says now".into(),
                only_if: None,
                superseded_by: vec![],
                confirm: false,
            }),
        ),
    ]
}
