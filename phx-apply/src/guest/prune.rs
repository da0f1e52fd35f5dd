//! The guest half of pruning: a run's in-guest backups
//! (`/var/lib/phoenix/backups/<run>` in each guest its manifest names) are
//! removed with its host backup directory, which is removed only once every
//! guest is done. The host directory is what remembers the guests: a guest
//! that cannot be reached now (stopped) keeps the whole run, and the next
//! prune tries again. A guest that no longer exists has nothing left to
//! remove.

use super::backup::GUEST_BACKUPS;
use super::check::ctid_ok;
use super::in_guest;
use super::restore::unreachable_why;
use crate::manifest::{self, Entry};
use crate::run::run;
use crate::Options;
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
    let ctids: BTreeSet<u32> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::GuestBackups { ctid } | Entry::GuestSaved { ctid, .. } => Some(*ctid),
            _ => None,
        })
        .filter(|ctid| ctid_ok(*ctid))
        .collect();
    let mut held = Vec::new();
    for ctid in ctids {
        if !exists(opts, ctid) {
            continue;
        }
        if let Some(why) = unreachable_why(opts, ctid) {
            held.push(format!(
                "{why}; its in-guest backups stay until a later run can remove them"
            ));
            continue;
        }
        let dir = format!("{GUEST_BACKUPS}/{run_id}");
        let argv = in_guest(ctid, &["rm".into(), "-rf".into(), "--".into(), dir]);
        match run(&argv, opts) {
            Ok(r) if r.ok() => {}
            Ok(r) => held.push(format!(
                "CT {ctid}: removing its in-guest backups failed: {}",
                r.output()
            )),
            Err(e) => held.push(format!("CT {ctid}: removing its in-guest backups: {e}")),
        }
    }
    held
}

/// Whether CT `ctid` still exists on this node: its config is where pct
/// keeps it (`/etc/pve/lxc/<ctid>.conf`, the node's own directory in pmxcfs).
fn exists(opts: &Options, ctid: u32) -> bool {
    let conf = format!("/etc/pve/lxc/{ctid}.conf");
    crate::confine::resolve(&opts.root, Path::new(&conf)).is_ok_and(|p| p.exists())
}
