//! phx-lxc: turns the LXC entries of the Phoenix JSON, and what the machine
//! has (`/etc/pve/lxc/*.conf`, one `pct list`), into a plan of `pct` calls and
//! conf edits: create or clone what is missing, one `pct set` per container
//! with every differing key, mounts, raw LXC lines, disk growth, starts — in
//! dependency and boot order. A converged host gets an empty plan.

pub mod check;
pub mod cli;
pub mod conf;
pub mod desired;
mod diff;
pub mod observe;
mod planner;
pub mod props;
pub mod raw;
pub mod render;
pub mod storage;

pub use check::check;
use observe::Observed;
use phx_common::config::{Inventory, Problems};
use phx_common::plan::Plan;
use std::collections::{BTreeMap, HashMap};

pub const TOOL: &str = "phx-lxc";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Start guests with `start_at_boot` that are not running.
    #[default]
    AtBoot,
    /// Start every guest in the file that is not running.
    All,
    /// Start nothing.
    None,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub start: StartMode,
    /// Reboot running containers whose change only takes effect at start.
    pub restart: bool,
}

/// What was planned for one container, for progress lines.
#[derive(Debug, Clone)]
pub struct GuestSummary {
    pub ctid: u32,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Drift that is reported, not changed (smaller disks, unprivileged, restarts).
    pub notes: Vec<String>,
    /// One entry per container that gets any step, in plan order.
    pub guests: Vec<GuestSummary>,
}

/// The plan for every container in the inventory; `Err` with every problem
/// when the configuration cannot be planned (nothing is planned then).
pub fn plan(inv: &Inventory, seen: &Observed, opts: Options) -> Result<Planned, Problems> {
    let problems = check(inv, seen);
    if !problems.is_empty() {
        return Err(problems);
    }
    // One order over containers and VMs; a start's rank in it is global, so
    // phoenix-cli can interleave these starts with phx-vm's.
    let global = phx_common::order::order(inv)
        .expect("phx-common's load refuses dependency/clone cycles (exit 2)");
    let rank: HashMap<u32, usize> = global.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let order: Vec<u32> = global
        .into_iter()
        .filter(|id| inv.lxcs.contains_key(id))
        .collect();
    let mut p = planner::Planner::new(inv, seen, opts);
    let total = order.len();
    let mut summaries: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (i, &ctid) in order.iter().enumerate() {
        let actions = p.converge(ctid, i + 1, total);
        if !actions.is_empty() {
            summaries.insert(ctid, actions);
        }
    }
    for (i, &ctid) in order.iter().enumerate() {
        if let Some(a) = p.start(ctid, rank[&ctid], i + 1, total) {
            summaries.entry(ctid).or_default().push(a);
        }
    }
    let guests = order
        .iter()
        .filter_map(|&ctid| {
            summaries.remove(&ctid).map(|actions| GuestSummary {
                ctid,
                name: inv.lxcs[&ctid].name.clone(),
                actions,
            })
        })
        .collect();
    let (plan, notes) = p.finish();
    Ok(Planned {
        plan,
        notes,
        guests,
    })
}
