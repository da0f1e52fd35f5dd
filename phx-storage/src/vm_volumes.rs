//! The directories VMs mount over NFS from this node (`vms[].volumes`, a
//! `server` that is this node's address or its hostname): each is made
//! under its export, so the VM's mount finds it (an NFS server refuses to
//! mount a path that does not exist). The original made them with `mkdir
//! -p` and `chmod 777`; here they are root's, 0755, which an export with
//! `no_root_squash` lets the VM's root write (with root squashing the VM's
//! root is nobody there: a note says so).

use phx_common::config::{Inventory, NfsExport, VmVolume};
use phx_plan::{argv, Action, CommandStep};

/// A made directory's mode; an operator's later chmod stays.
const MODE: &str = "0755";

fn on_this_node(inv: &Inventory, v: &VmVolume) -> bool {
    let net = &inv.host.network;
    v.server == net.address.addr().to_string() || v.server == net.hostname
}

/// The export the path lies in (itself or below it): the deepest, whose
/// options the server applies.
fn export_of<'a>(inv: &'a Inventory, path: &str) -> Option<&'a NfsExport> {
    inv.host
        .nfs_exports
        .iter()
        .filter(|e| {
            let root = e.path.trim_end_matches('/');
            path == root || path.starts_with(&format!("{root}/"))
        })
        .max_by_key(|e| e.path.trim_end_matches('/').len())
}

/// The steps; volumes of another server, or of no export, in `notes` and
/// `warnings`.
pub fn plan(
    inv: &Inventory,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<(String, Action)> {
    let mut steps = Vec::new();
    let mut made: Vec<&str> = Vec::new();
    for vm in inv.vms.iter().filter(|v| !v.is_template) {
        for v in &vm.volumes {
            if !on_this_node(inv, v) {
                notes.push(format!(
                    "{}: {}: VM {}'s volume {}:{} is another server's: the directory is made there, not here",
                    inv.sources.vm, v.at, vm.id, v.server, v.path
                ));
                continue;
            }
            let Some(export) = export_of(inv, &v.path) else {
                warnings.push(format!(
                    "{}: {}.path: {:?} is under no nfs.exports path of this node: the VM's mount of {} will be refused",
                    inv.sources.vm, v.at, v.path, v.mount_point
                ));
                continue;
            };
            if !export.options.iter().any(|o| o == "no_root_squash") {
                notes.push(format!(
                    "{}: {}: export {} squashes root: VM {}'s root writes to {} as nobody",
                    inv.sources.vm, v.at, export.path, vm.id, v.path
                ));
            }
            if made.contains(&v.path.as_str()) || v.path == export.path.trim_end_matches('/') {
                continue;
            }
            made.push(&v.path);
            // PHX_ROOT: set by phx-apply when --root is not `/` (test trees).
            steps.push((
                format!("storage:vm-volume:{}", v.path),
                Action::Command(CommandStep {
                    argv: argv(&[
                        "sh",
                        "-c",
                        "install -d -m \"$1\" \"${PHX_ROOT:-}$2\"",
                        "phx-storage",
                        MODE,
                        &v.path,
                    ]),
                    unless: Some(argv(&[
                        "sh",
                        "-c",
                        "[ -d \"${PHX_ROOT:-}$1\" ]",
                        "phx-storage",
                        &v.path,
                    ])),
                    only_if: None,
                    desc: format!(
                        "VM {}'s NFS volume {} (export {}), mounted at {}",
                        vm.id, v.path, export.path, v.mount_point
                    ),
                    notify: vec![],
                    show_output: false,
                    timeout_s: None,
                }),
            ));
        }
    }
    steps
}
