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

use observe::Observed;
use phx_common::config::{Inventory, Problems};
use phx_common::plan::Plan;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const TOOL: &str = "phx-vm";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Start VMs with `start_at_boot` that are not running.
    #[default]
    AtBoot,
    /// Start every VM in the file (templates excepted) that is not running.
    All,
    /// Start nothing.
    None,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub start: StartMode,
    /// Reboot running VMs whose changes reach them only at boot.
    pub restart: bool,
}

/// What was planned for one VM, for progress lines.
#[derive(Debug, Clone)]
pub struct GuestSummary {
    pub vmid: u32,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Drift that is reported, not changed, and what VMs do not get yet.
    pub notes: Vec<String>,
    pub guests: Vec<GuestSummary>,
}

/// The plan for every VM in the inventory; `Err` with every problem when the
/// configuration cannot be planned. `state_root` is only for messages.
pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    state_root: &Path,
    opts: Options,
) -> Result<Planned, Problems> {
    let problems = check::check(inv, seen, state_root);
    if !problems.is_empty() {
        return Err(problems);
    }
    let global = phx_common::order::order(inv)
        .expect("phx-common's load refuses dependency/clone cycles (exit 2)");
    let by_id: HashMap<u32, &phx_common::config::model::Vm> =
        inv.vms.iter().map(|v| (v.id, v)).collect();
    let rank: HashMap<u32, usize> = global.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let order: Vec<u32> = global
        .into_iter()
        .filter(|id| by_id.contains_key(id))
        .collect();
    let mut p = planner::Planner::new(inv, seen, opts, check::secret_file(inv));
    if inv.vms.iter().any(|v| v.has_password) {
        p.allow_snippets();
    }
    let total = order.len();
    let mut summaries: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (i, id) in order.iter().enumerate() {
        let actions = p.converge(by_id[id], i + 1, total);
        if !actions.is_empty() {
            summaries.insert(*id, actions);
        }
    }
    for (i, id) in order.iter().enumerate() {
        if let Some(a) = p.start(by_id[id], rank[id], i + 1, total) {
            summaries.entry(*id).or_default().push(a);
        }
    }
    let guests = order
        .iter()
        .filter_map(|id| {
            summaries.remove(id).map(|actions| GuestSummary {
                vmid: *id,
                name: by_id[id].name.clone(),
                actions,
            })
        })
        .collect();
    Ok(Planned {
        plan: p.plan,
        notes: p.notes,
        guests,
    })
}
