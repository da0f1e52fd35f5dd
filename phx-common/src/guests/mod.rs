//! What phx-lxc and phx-vm share in planning their guests: the start and
//! restart options, the walk over the one boot order (every guest's steps,
//! then the starts), and the steps both make the same way — a command of
//! their Proxmox program, a reboot that is only reported without
//! `--restart`, a start named by its rank. What a guest's settings mean
//! stays in each tool.

use crate::config::{Inventory, Problems};
use crate::fast_hash::FastMap;
use phx_plan::{Plan, StepSink};
use std::collections::BTreeMap;

mod observed;
mod steps;
pub mod unwritten;

pub use observed::{observe, Observed};
pub use steps::{push_options, GuestSteps, Kind, CT, VM};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Start guests with `start_at_boot` that are not running.
    #[default]
    AtBoot,
    /// Start every guest in the file that is not running (VM templates excepted).
    All,
    /// Start nothing.
    None,
}

impl StartMode {
    /// From the tools' `--no-start` and `--start-all` (clap keeps them apart).
    pub fn from_flags(no_start: bool, start_all: bool) -> Self {
        if no_start {
            StartMode::None
        } else if start_all {
            StartMode::All
        } else {
            StartMode::AtBoot
        }
    }

    /// Whether a guest that does not run is to be started.
    pub fn wants(self, start_at_boot: bool) -> bool {
        match self {
            StartMode::AtBoot => start_at_boot,
            StartMode::All => true,
            StartMode::None => false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub start: StartMode,
    /// Reboot running guests whose changes reach them only at their next start.
    pub restart: bool,
    /// Rename or readdress a live guest whose `name` or `ip` is not written
    /// (unwritten.rs); default: keep its live value and warn.
    pub allow_rename: bool,
}

/// What was planned for one guest, for progress lines.
#[derive(Debug, Clone)]
pub struct GuestSummary {
    pub id: u32,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug)]
pub struct Planned<S: StepSink = Plan> {
    pub plan: S,
    /// Drift that is reported, not changed (smaller disks, restarts…).
    pub notes: Vec<String>,
    /// What the input asks for that will not work as written (the exit
    /// status is unaffected).
    pub warnings: Vec<String>,
    /// One entry per guest that gets any step, in plan order.
    pub guests: Vec<GuestSummary>,
}

impl<S: StepSink> Planned<S> {
    /// A progress line per guest that gets steps: `[2/5] CT 103 Step-CA: clone from 900; start`.
    pub fn progress(&self, kind: Kind) -> Vec<String> {
        let n = self.guests.len();
        self.guests
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let tag = crate::text::guest_tag(i + 1, n, kind.noun, g.id, &g.name);
                [tag.as_str(), ": ", &g.actions.join("; ")].concat()
            })
            .collect()
    }
}

/// `Err` with the problems when there are any: nothing is planned then.
pub fn refuse(problems: Problems) -> Result<(), Problems> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A guest tool's planner, driven by [`plan_in_order`].
pub trait GuestPlanner {
    /// Where its steps go: a [`Plan`] kept, or a [`phx_plan::PlanWriter`].
    type Sink: StepSink;
    /// Steps that make guest `id` exist and match its entry (`i` of
    /// `total`, for messages); short names of what was planned.
    fn converge(&mut self, id: u32, i: usize, total: usize) -> Vec<String>;
    /// Its start, when it is to run and does not; `rank` is its place in
    /// the order over every guest of both kinds.
    fn start(&mut self, id: u32, rank: usize, i: usize, total: usize) -> Option<String>;
    fn name(&self, id: u32) -> String;
    fn finish(self) -> (Self::Sink, Vec<String>);
}

/// The guests one tool plans, in the one order over containers and VMs,
/// with each one's rank in that order.
pub struct GuestOrder {
    /// The tool's guests, in order.
    pub ids: Vec<u32>,
    /// Every guest's place in the order over both kinds.
    rank: FastMap<u32, usize>,
}

impl GuestOrder {
    /// The guests `mine` picks out of the order over every guest.
    pub fn of(inv: &Inventory, mine: impl Fn(u32) -> bool) -> Self {
        let global = crate::order::order(inv)
            .expect("phx-common's load refuses dependency/clone cycles (exit 2)");
        let rank = global.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let ids = global.into_iter().filter(|&id| mine(id)).collect();
        GuestOrder { ids, rank }
    }
}

/// Plans the guests `mine` picks out of the one order over containers and
/// VMs: each one's steps, then every start. A start's rank is global, so
/// phx-apply can interleave the two tools' starts.
pub fn plan_in_order<P: GuestPlanner>(
    inv: &Inventory,
    mine: impl Fn(u32) -> bool,
    p: P,
) -> Planned<P::Sink> {
    plan_in(GuestOrder::of(inv, mine), p)
}

/// [`plan_in_order`] over an order already made.
pub fn plan_in<P: GuestPlanner>(order: GuestOrder, mut p: P) -> Planned<P::Sink> {
    let GuestOrder { ids: order, rank } = order;
    let total = order.len();
    let mut summaries: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (i, &id) in order.iter().enumerate() {
        let actions = p.converge(id, i + 1, total);
        if !actions.is_empty() {
            summaries.insert(id, actions);
        }
    }
    for (i, &id) in order.iter().enumerate() {
        if let Some(a) = p.start(id, rank[&id], i + 1, total) {
            summaries.entry(id).or_default().push(a);
        }
    }
    let guests = order
        .iter()
        .filter_map(|&id| {
            summaries.remove(&id).map(|actions| GuestSummary {
                id,
                name: p.name(id),
                actions,
            })
        })
        .collect();
    let (plan, notes) = p.finish();
    Planned {
        plan,
        notes,
        warnings: Vec::new(),
        guests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_modes() {
        assert_eq!(StartMode::from_flags(false, false), StartMode::AtBoot);
        assert_eq!(StartMode::from_flags(false, true), StartMode::All);
        assert_eq!(StartMode::from_flags(true, false), StartMode::None);
        assert!(StartMode::AtBoot.wants(true) && !StartMode::AtBoot.wants(false));
        assert!(StartMode::All.wants(false));
        assert!(!StartMode::None.wants(true));
    }
}
