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
use std::time::{Duration, Instant};

mod observed;
mod refuse;
mod select;
mod steps;
pub mod unwritten;

pub use observed::{observe, Observed};
pub use refuse::refuse_named;
pub use select::{Action, Role, Selection};
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
}

/// What was planned for one guest, for progress lines.
#[derive(Debug, Clone)]
pub struct GuestSummary {
    pub id: u32,
    pub name: String,
    pub actions: Vec<String>,
    /// How long planning it took (its steps and its start).
    pub elapsed: Duration,
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
    /// A progress line per guest that gets steps, with the time planning it
    /// took: `[2/5] CT 103 Step-CA: clone from 900; start (0.004s)`.
    pub fn progress(&self, kind: Kind) -> Vec<String> {
        let n = self.guests.len();
        self.guests
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let tag = crate::text::guest_tag(i + 1, n, kind.noun, g.id, &g.name);
                // Integers, not a float's format!: 10,000 guests are as
                // many lines.
                let ms = g.elapsed.as_millis();
                let frac = (ms % 1000) as u32;
                let pad = if frac < 10 {
                    "00"
                } else if frac < 100 {
                    "0"
                } else {
                    ""
                };
                [
                    tag.as_str(),
                    ": ",
                    &g.actions.join("; "),
                    " (",
                    &(ms / 1000).to_string(),
                    ".",
                    pad,
                    &frac.to_string(),
                    "s)",
                ]
                .concat()
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
    /// A guest of the order that is not converged (a prerequisite that
    /// exists, a guest stopped or deleted): the planner takes it as it is,
    /// planning nothing (phx-lxc notes what its clones would inherit).
    fn pass(&mut self, _id: u32) {}
    /// Its start, when it is to run and does not; `rank` is its place in
    /// the order over every guest of both kinds.
    fn start(&mut self, id: u32, rank: usize, i: usize, total: usize) -> Option<String>;
    fn name(&self, id: u32) -> String;
    fn boot_order(&self, id: u32) -> u64;
    /// Whether guest `id` exists now, and runs now (as observed).
    fn exists(&self, id: u32) -> bool;
    fn running(&self, id: u32) -> bool;
    /// Whether guest `id` is made, as what needs it needs it (phx-lxc: a
    /// golden template with its snapshot); a prerequisite that is not is
    /// converged. Default: it exists.
    fn made(&self, id: u32) -> bool {
        self.exists(id)
    }
    /// Whether guest `id` can be started at all (phx-vm: not a template,
    /// which qm refuses to start). Default: yes.
    fn startable(&self, _id: u32) -> bool {
        true
    }
    /// The steps both tools make alike (stop, reboot, destroy).
    fn steps(&mut self) -> &mut GuestSteps<Self::Sink>;
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
        Self::selected(inv, mine, &Selection::all())
    }

    /// The guests `mine` picks out of the order over every guest that
    /// `sel` (`--guest`) has a part for.
    pub fn selected(inv: &Inventory, mine: impl Fn(u32) -> bool, sel: &Selection) -> Self {
        let global = crate::order::order(inv)
            .expect("phx-common's load refuses dependency/clone cycles (exit 2)");
        let rank = global.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let ids = global
            .into_iter()
            .filter(|&id| mine(id) && sel.role(id).is_some())
            .collect();
        GuestOrder { ids, rank }
    }
}

/// Plans the guests `mine` picks out of the one order over containers and
/// VMs: each one's steps, then every start. A start's rank is global, so
/// phx-apply can interleave the two tools' starts.
pub fn plan_in_order<P: GuestPlanner>(
    inv: &Inventory,
    mine: impl Fn(u32) -> bool,
    sel: &Selection,
    p: P,
) -> Planned<P::Sink> {
    plan_in(GuestOrder::selected(inv, mine, sel), sel, p)
}

/// [`plan_in_order`] over an order already made. What each guest gets
/// follows its part in `sel` (every guest converged without `--guest`):
/// a named guest the action; a prerequisite only what makes it usable —
/// made when missing (a converge of a missing guest is its creation),
/// started as its entry says — and never a converge of its drift.
pub fn plan_in<P: GuestPlanner>(order: GuestOrder, sel: &Selection, mut p: P) -> Planned<P::Sink> {
    let GuestOrder { ids: order, rank } = order;
    let total = order.len();
    let action = sel.action();
    let mut summaries: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut took: FastMap<u32, Duration> = FastMap::default();
    for (i, &id) in order.iter().enumerate() {
        let t = Instant::now();
        let named = sel.role(id) == Some(Role::Named);
        let converge = match action {
            Action::Converge => named || !p.made(id),
            _ => false,
        };
        let actions = if converge {
            p.converge(id, i + 1, total)
        } else {
            p.pass(id);
            Vec::new()
        };
        if !actions.is_empty() {
            summaries.insert(id, actions);
        }
        took.insert(id, t.elapsed());
    }
    if named_action(action) {
        // Dependents go down before what they depend on: the order reversed.
        for (i, &id) in order.iter().enumerate().rev() {
            if sel.role(id) == Some(Role::Named) {
                let t = Instant::now();
                if let Some(a) = act(&mut p, action, id, rank[&id], i + 1, total) {
                    summaries.entry(id).or_default().push(a);
                }
                *took.entry(id).or_default() += t.elapsed();
            }
        }
    }
    for (i, &id) in order.iter().enumerate() {
        let t = Instant::now();
        let started = match (sel.role(id), action) {
            (Some(Role::Named), Action::Converge) => p.start(id, rank[&id], i + 1, total),
            // Made in this plan (converge) or already there.
            (Some(Role::Prerequisite), _) if action == Action::Converge || p.exists(id) => {
                p.start(id, rank[&id], i + 1, total)
            }
            (Some(Role::Prerequisite), _) => {
                let noun = p.steps().kind.noun;
                p.steps().notes.push(format!(
                    "{noun} {id}, which a --guest guest needs, does not exist: not started (--action converge makes it)"
                ));
                None
            }
            // A running named guest is rebooted here, in the start order,
            // after what it needs has started (a ranked step).
            (Some(Role::Named), Action::Restart) if p.exists(id) && p.running(id) => {
                let tag = tag(&mut p, id, i + 1, total);
                Some(p.steps().reboot_now(id, rank[&id], &tag))
            }
            // A named guest is started whatever its start_at_boot says.
            (Some(Role::Named), Action::Start | Action::Restart)
                if p.exists(id) && !p.running(id) && p.startable(id) =>
            {
                let tag = tag(&mut p, id, i + 1, total);
                let boot = p.boot_order(id);
                Some(p.steps().start(id, rank[&id], &tag, boot))
            }
            (Some(Role::Named), Action::Start | Action::Restart) if !p.startable(id) => {
                let noun = p.steps().kind.noun;
                p.steps().notes.push(format!(
                    "{noun} {id} is a template, which is never started: nothing to {}",
                    action.name()
                ));
                None
            }
            _ => None,
        };
        if let Some(a) = started {
            summaries.entry(id).or_default().push(a);
        }
        *took.entry(id).or_default() += t.elapsed();
    }
    let guests = order
        .iter()
        .filter_map(|&id| {
            summaries.remove(&id).map(|actions| GuestSummary {
                id,
                name: p.name(id),
                actions,
                elapsed: took.get(&id).copied().unwrap_or_default(),
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

/// Whether the action takes the named guests down as they are (stop,
/// delete), dependents first; a restart's reboot is ranked with the starts.
fn named_action(a: Action) -> bool {
    matches!(a, Action::Stop | Action::Delete)
}

/// `[2/5] CT 103 Step-CA`, for step descriptions.
fn tag<P: GuestPlanner>(p: &mut P, id: u32, i: usize, total: usize) -> String {
    let noun = p.steps().kind.noun;
    crate::text::guest_tag(i, total, noun, id, &p.name(id))
}

/// Stop or destroy of a named guest, as it is now: a stopped
/// guest is not shut down, a missing one not destroyed (a second run plans
/// nothing). Shutdowns and destroys carry the guest's `rank` (`Step::stop`):
/// phx-apply runs them before anything else, dependents first, over both
/// tools' plans.
fn act<P: GuestPlanner>(
    p: &mut P,
    action: Action,
    id: u32,
    rank: usize,
    i: usize,
    total: usize,
) -> Option<String> {
    if !p.exists(id) {
        // Said, not silent: the operator named it.
        let noun = p.steps().kind.noun;
        p.steps().notes.push(format!(
            "{noun} {id} does not exist: nothing to {}",
            action.name()
        ));
        return None;
    }
    let running = p.running(id);
    let tag = tag(p, id, i, total);
    let s = p.steps();
    match action {
        Action::Stop if running => Some(s.shutdown(id, rank, &tag)),
        Action::Delete => {
            let mut done = Vec::new();
            if running {
                done.push(s.shutdown(id, rank, &tag));
            }
            done.push(s.destroy(id, rank, &tag));
            Some(done.join("; "))
        }
        _ => None,
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

    /// A planner whose guest 2 takes 30 ms to plan and guest 1 none.
    struct Slow(GuestSteps<Plan>);

    impl GuestPlanner for Slow {
        type Sink = Plan;
        fn converge(&mut self, id: u32, _: usize, _: usize) -> Vec<String> {
            if id == 2 {
                std::thread::sleep(Duration::from_millis(30));
            }
            vec!["set".into()]
        }
        fn start(&mut self, _: u32, _: usize, _: usize, _: usize) -> Option<String> {
            None
        }
        fn name(&self, id: u32) -> String {
            format!("g{id}")
        }
        fn boot_order(&self, _: u32) -> u64 {
            0
        }
        fn exists(&self, _: u32) -> bool {
            true
        }
        fn running(&self, _: u32) -> bool {
            true
        }
        fn steps(&mut self) -> &mut GuestSteps<Plan> {
            &mut self.0
        }
        fn finish(self) -> (Plan, Vec<String>) {
            (self.0.plan, self.0.notes)
        }
    }

    #[test]
    fn each_progress_line_carries_its_own_guests_time() {
        let order = GuestOrder {
            ids: vec![1, 2],
            rank: [(1, 0), (2, 1)].into_iter().collect(),
        };
        let steps = GuestSteps::new(CT, Plan::new("t"), Options::default(), Vec::new());
        let planned = plan_in(order, &Selection::all(), Slow(steps));
        let [fast, slow] = &planned.guests[..] else {
            panic!("{:?}", planned.guests)
        };
        assert!(fast.elapsed < Duration::from_millis(30), "{fast:?}");
        assert!(slow.elapsed >= Duration::from_millis(30), "{slow:?}");
        let lines = planned.progress(CT);
        assert!(lines[0].starts_with("[1/2] CT 1 g1: set (0.0"), "{lines:?}");
        assert!(lines[1].starts_with("[2/2] CT 2 g2: set (0.0"), "{lines:?}");
        assert!(lines[1].ends_with("s)"), "{lines:?}");
    }

    #[test]
    fn progress_times_are_seconds_with_three_decimals() {
        let g = |ms| GuestSummary {
            id: 7,
            name: "x".into(),
            actions: vec!["start".into()],
            elapsed: Duration::from_millis(ms),
        };
        let planned = Planned {
            plan: Plan::new("t"),
            notes: Vec::new(),
            warnings: Vec::new(),
            guests: vec![g(5), g(42), g(1234)],
        };
        let lines = planned.progress(VM);
        assert_eq!(lines[0], "[1/3] VM 7 x: start (0.005s)");
        assert_eq!(lines[1], "[2/3] VM 7 x: start (0.042s)");
        assert_eq!(lines[2], "[3/3] VM 7 x: start (1.234s)");
    }
}
