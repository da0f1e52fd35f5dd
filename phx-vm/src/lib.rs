//! phx-vm: turns the VMs of `phoenix_vm_configs.json`, and what the machine
//! has (`/etc/pve/qemu-server/*.conf`, one `qm list`, the cloud images), into
//! a plan of `qm` calls: templates made from cloud images, full clones, one
//! `qm set` per VM with every differing key, disk growth, starts — in the
//! order phx-lxc follows too (dependencies and clone sources, then boot
//! order, then ID, over both kinds). A converged host gets an empty plan.

pub mod check;
pub mod cli;
pub mod conf;
mod diff;
pub mod observe;
mod planner;
pub mod snippets;
pub mod spec;
pub mod tool;

use observe::Observed;
use phx_common::config::{Inventory, Problems};
use phx_common::guests::{self, plan_in_order, Kind, Selection};
pub use phx_common::guests::{GuestSummary, Options, Planned, StartMode};
use phx_plan::{Plan, StepSink};
use std::collections::HashSet;
use std::path::Path;

pub const TOOL: &str = "phx-vm";

/// How its steps and messages name its program and guests.
pub const KIND: Kind = guests::VM;

/// The plan for every VM in the inventory; `Err` with every problem when the
/// configuration cannot be planned. `state_root` is only for messages.
pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    state_root: &Path,
    opts: Options,
) -> Result<Planned, Problems> {
    plan_into(inv, seen, state_root, opts, Plan::new(TOOL))
}

/// [`plan`], its steps going into `plan` (a [`phx_plan::PlanWriter`] writes
/// them out as they come, once every check passed).
pub fn plan_into<S: StepSink>(
    inv: &Inventory,
    seen: &Observed,
    state_root: &Path,
    opts: Options,
    plan: S,
) -> Result<Planned<S>, Problems> {
    plan_selected(inv, seen, state_root, opts, &Selection::all(), plan)
}

/// [`plan_into`] for the guests `sel` picks (`--guest`, `--action`): the
/// VMs among them and among what they need, in the same order and through
/// the same planner.
pub fn plan_selected<S: StepSink>(
    inv: &Inventory,
    seen: &Observed,
    state_root: &Path,
    opts: Options,
    sel: &Selection,
    plan: S,
) -> Result<Planned<S>, Problems> {
    let secret_file = check::secret_file(inv, state_root);
    let mut problems = check::check(
        inv,
        seen,
        state_root,
        secret_file.as_deref().map_err(|why| *why),
    );
    // Templates with features: their image is built before `qm template`.
    let golden = phx_recipes::select(inv, phx_recipes::vm_template)
        .map_err(|p| problems.extend(p))
        .ok();
    guests::refuse(problems)?;
    let golden = golden.expect("no problem was found");
    let warnings = golden.warnings.clone();
    let vms: HashSet<u32> = inv.vms.iter().map(|v| v.id).collect();
    let mut p = planner::Planner::new(inv, seen, opts, secret_file.ok(), state_root, plan, golden);
    // Every VM names Phoenix's vendor snippet (the guest agent); a stop,
    // start or delete writes nothing.
    if !inv.vms.is_empty() && sel.action() == guests::Action::Converge {
        p.allow_snippets();
        p.vendor_snippet();
    }
    let mut planned = plan_in_order(inv, |id| vms.contains(&id), sel, p);
    planned.warnings = warnings;
    Ok(planned)
}
