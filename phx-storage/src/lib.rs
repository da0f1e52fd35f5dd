//! phx-storage: the node's storage as a plan — ZFS pools (never on a disk
//! that carries anything unless the operator names it), datasets with their
//! properties, the ARC limit, the Proxmox storages (`storage.cfg`
//! entries) the datasets back, the NFS exports and the NFS storages on them,
//! containers' bind-mount sources (theirs and the shared volumes'), and the
//! container templates and cloud images guests are made from. Nothing is
//! ever destroyed: a dataset or storage gone from the JSON is reported, not
//! removed.
//!
//! [`observe`] reads the node (`zpool`/`zfs`/`wipefs`/`lsblk`, storage.cfg,
//! the live ARC limit); [`plan_into`] turns inventory and observation into
//! steps and never touches the machine; [`tool`] puts both on the tool
//! contract.

pub mod arc;
pub mod bind;
pub mod cli;
pub mod datasets;
pub mod disks;
pub mod fetch;
pub mod nfs;
pub mod nfs_storage;
pub mod observe;
pub mod pools;
pub use phx_common::storage_cfg;
pub mod storages;
pub mod tool;
pub mod vm_volumes;
pub mod zfs_value;

pub use observe::{observe, Observed};
use phx_common::config::{Inventory, Problems};
use phx_plan::StepSink;

pub const TOOL: &str = "phx-storage";

/// What the operator allows beyond the JSON.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Disks whose signatures and partition table may be erased
    /// (`wipefs -a`) before a missing pool is created on them.
    pub wipe_disks: Vec<String>,
}

/// The sink with the steps in it, and what the plan says besides them.
#[derive(Debug, Default)]
pub struct Summary<S = phx_plan::Plan> {
    pub plan: S,
    /// Printed on stderr: drift left alone, things the operator must do.
    pub notes: Vec<String>,
    /// Printed on stderr before the notes: what is probably not meant.
    pub warnings: Vec<String>,
    pub steps: usize,
}

/// The plan for the node's storage; `Err` with every problem when it cannot
/// be planned (nothing is planned then: the steps go to `sink` only once
/// every check passed).
/// [`plan_into`] a [`phx_plan::Plan`] kept in memory.
pub fn plan(inv: &Inventory, seen: &Observed, opts: &Options) -> Result<Summary, Problems> {
    plan_into(inv, seen, opts, phx_plan::Plan::new(TOOL))
}

pub fn plan_into<S: StepSink>(
    inv: &Inventory,
    seen: &Observed,
    opts: &Options,
    mut sink: S,
) -> Result<Summary<S>, Problems> {
    let mut problems = Problems::default();
    let mut notes = seen.notes.clone();
    let pools = pools::plan(inv, seen, opts, &mut problems);
    let datasets = datasets::plan(inv, seen, &mut problems, &mut notes);
    let storages = storages::plan(inv, seen, &mut problems, &mut notes);
    let nfs_storages = nfs_storage::plan(inv, seen, &mut problems, &mut notes);
    fetch::check(inv, seen, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let arc = arc::plan(inv, seen, &mut notes);
    let nfs = nfs::plan(inv, &mut notes);
    let mut warnings = Vec::new();
    let binds = bind::plan(inv, &mut notes, &mut warnings);
    let vm_volumes = vm_volumes::plan(inv, &mut notes, &mut warnings);
    // After the storages: pveam needs the storage it downloads to.
    let fetches = fetch::plan(inv, seen);
    let before = sink.len();
    let all = pools.into_iter().chain(datasets).chain(storages);
    // An NFS storage mounts its export when added: after `exportfs -ra`.
    let nfs = nfs.into_iter().chain(nfs_storages);
    let sources = binds.into_iter().chain(vm_volumes);
    for (id, action) in all.chain(arc).chain(nfs).chain(sources).chain(fetches) {
        sink.push(id, action);
    }
    Ok(Summary {
        steps: sink.len() - before,
        plan: sink,
        notes,
        warnings,
    })
}
