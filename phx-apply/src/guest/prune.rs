//! The guest half of pruning: a run's in-guest backups
//! (`/var/lib/phoenix/backups/<run>` in each guest its manifest names) are
//! removed with its host backup directory, which is removed only once every
//! guest is done. The host directory is what remembers the guests: a guest
//! that cannot be reached now (stopped) keeps the whole run, and the next
//! prune tries again. A guest that no longer exists has nothing left to
//! remove.

use super::backup::GUEST_BACKUPS;
use super::check::ctid_ok;
use super::restore::unreachable_why;
use super::via;
use crate::manifest::{self, Entry};
use crate::Options;
use phx_plan::Guest;
use std::collections::BTreeSet;
use std::path::Path;

/// Removes the in-guest backups of the run whose host backup is `run_dir`;
/// returns, a line per guest, why one could not be removed (empty: the
/// host directory may go).
pub fn prune_guests(opts: &Options, run_dir: &Path) -> Vec<String> {
    let run_id = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A torn last line (a killed run) still names the guests before it; a
    // manifest that cannot be read at all names none.
    let entries = manifest::read_prefix(run_dir).map_or_else(|_| Vec::new(), |(e, _)| e);
    let guests: BTreeSet<Guest> = entries
        .iter()
        .filter(|e| matches!(e, Entry::GuestBackups { .. } | Entry::GuestSaved { .. }))
        .filter_map(Entry::guest)
        .filter(|g| ctid_ok(g.id()))
        .collect();
    let mut held = Vec::new();
    for guest in guests {
        if !exists(opts, guest) {
            continue;
        }
        if let Some(why) = unreachable_why(opts, guest) {
            held.push(format!(
                "{why}; its in-guest backups stay until a later run can remove them"
            ));
            continue;
        }
        let dir = format!("{GUEST_BACKUPS}/{run_id}");
        let argv = ["rm".into(), "-rf".into(), "--".into(), dir];
        match via::run_in(opts, guest, &argv, None, opts.command_timeout) {
            Ok(r) if r.ok() => {}
            Ok(r) => held.push(format!(
                "{guest}: removing its in-guest backups failed: {}",
                r.output()
            )),
            Err(e) => held.push(format!("{guest}: removing its in-guest backups: {e}")),
        }
    }
    held
}

/// Whether `guest` still exists on this node: its config is where pct or qm
/// keeps it (`/etc/pve/lxc/<ctid>.conf`, `/etc/pve/qemu-server/<vmid>.conf`,
/// the node's own directory in pmxcfs).
fn exists(opts: &Options, guest: Guest) -> bool {
    let conf = match guest {
        Guest::Ct(ctid) => format!("/etc/pve/lxc/{ctid}.conf"),
        Guest::Vm(vmid) => format!("/etc/pve/qemu-server/{vmid}.conf"),
    };
    crate::confine::resolve(&opts.root, Path::new(&conf)).is_ok_and(|p| p.exists())
}
