//! phx-lxc: turns the LXC entries of the Phoenix JSON, and what the machine
//! has (`/etc/pve/lxc/*.conf`, one `pct list`), into a plan of `pct` calls and
//! conf edits: create or clone what is missing, one `pct set` per container
//! with every differing key, mounts, raw LXC lines, disk growth, starts — in
//! dependency and boot order. A converged host gets an empty plan.

mod ahead;
pub mod check;
pub mod cli;
mod clone;
pub mod conf;
pub mod desired;
mod diff;
pub mod golden;
pub mod gpu;
pub mod observe;
mod one_volume;
mod planner;
pub mod props;
pub mod raw;
pub mod render;
pub mod storage;
pub mod tool;

pub use check::check;
use observe::Observed;
use phx_common::config::{Inventory, Problems};
use phx_common::guests::{self, plan_in, GuestOrder, Kind, Selection};
pub use phx_common::guests::{GuestSummary, Options, Planned, StartMode};
use phx_plan::{Plan, StepSink};

pub const TOOL: &str = "phx-lxc";

/// How its steps and messages name its program and guests.
pub const KIND: Kind = guests::CT;

/// The plan for every container in the inventory; `Err` with every problem
/// when the configuration cannot be planned (nothing is planned then).
pub fn plan(inv: &Inventory, seen: &Observed, opts: Options) -> Result<Planned, Problems> {
    plan_into(inv, seen, opts, Plan::new(TOOL))
}

/// [`plan`], its steps going into `plan` (a [`phx_plan::PlanWriter`] writes
/// them out as they come, once every check passed).
pub fn plan_into<S: StepSink>(
    inv: &Inventory,
    seen: &Observed,
    opts: Options,
    plan: S,
) -> Result<Planned<S>, Problems> {
    plan_selected(inv, seen, opts, &Selection::all(), plan)
}

/// [`plan_into`] for the guests `sel` picks (`--guest`, `--action`):
/// the containers among them and among what they need, in the same order
/// and through the same planner.
pub fn plan_selected<S: StepSink>(
    inv: &Inventory,
    seen: &Observed,
    opts: Options,
    sel: &Selection,
    plan: S,
) -> Result<Planned<S>, Problems> {
    let mut problems = check(inv, seen);
    let golden = golden::Golden::of(inv, |p| seen.own.host_files.contains(p))
        .map_err(|p| problems.extend(p))
        .ok();
    guests::refuse(problems)?;
    let golden = golden.expect("no problem was found");
    let mut warnings = golden.warnings.clone();
    warnings.extend(gpu_warnings(inv, seen, sel));
    let order = GuestOrder::selected(inv, |id| inv.lxcs.contains_key(&id), sel);
    let ids = order.ids.clone();
    Ok(ahead::desired_ahead(inv, &ids, |desired| {
        let mut planned = plan_in(
            order,
            sel,
            planner::Planner::new(inv, seen, opts, plan, desired, golden),
        );
        planned.warnings = warnings;
        planned
    }))
}

/// A warning for each container whose GPUs need device nodes this node
/// lacks (crate::gpu): its devices are not planned. Only the containers
/// `sel` plans.
fn gpu_warnings(inv: &Inventory, seen: &Observed, sel: &Selection) -> Vec<String> {
    inv.lxcs
        .values()
        .filter(|c| sel.role(c.id).is_some())
        .filter_map(|c| {
            let missing = gpu::wanted(&c.gpus, &seen.own.gpu_nodes).err()?;
            Some(gpu::missing_warning(c.id, &missing))
        })
        .collect()
}
