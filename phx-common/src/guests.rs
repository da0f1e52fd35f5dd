//! What phx-lxc and phx-vm share in planning their guests: the start and
//! restart options, the walk over the one boot order (every guest's steps,
//! then the starts), and the steps both make the same way — a command of
//! their Proxmox program, a reboot that is only reported without
//! `--restart`, a start named by its rank. What a guest's settings mean
//! stays in each tool.

use crate::config::{Inventory, Problems};
use crate::plan::{Action, CommandStep, Plan};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

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
}

#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Drift that is reported, not changed (smaller disks, restarts…).
    pub notes: Vec<String>,
    /// One entry per guest that gets any step, in plan order.
    pub guests: Vec<GuestSummary>,
}

impl Planned {
    /// A progress line per guest that gets steps: `[2/5] CT 103 Step-CA: clone from 900; start`.
    pub fn progress(&self, kind: Kind) -> Vec<String> {
        let n = self.guests.len();
        self.guests
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let actions = g.actions.join("; ");
                format!(
                    "[{}/{n}] {} {} {}: {actions}",
                    i + 1,
                    kind.noun,
                    g.id,
                    g.name
                )
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
    /// Steps that make guest `id` exist and match its entry (`i` of
    /// `total`, for messages); short names of what was planned.
    fn converge(&mut self, id: u32, i: usize, total: usize) -> Vec<String>;
    /// Its start, when it is to run and does not; `rank` is its place in
    /// the order over every guest of both kinds.
    fn start(&mut self, id: u32, rank: usize, i: usize, total: usize) -> Option<String>;
    fn name(&self, id: u32) -> String;
    fn finish(self) -> (Plan, Vec<String>);
}

/// Plans the guests `mine` picks out of the one order over containers and
/// VMs: each one's steps, then every start. A start's rank is global, so
/// phoenix-cli can interleave the two tools' starts.
pub fn plan_in_order(
    inv: &Inventory,
    mine: impl Fn(u32) -> bool,
    mut p: impl GuestPlanner,
) -> Planned {
    let global = crate::order::order(inv)
        .expect("phx-common's load refuses dependency/clone cycles (exit 2)");
    let rank: HashMap<u32, usize> = global.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let order: Vec<u32> = global.into_iter().filter(|&id| mine(id)).collect();
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
        guests,
    }
}

/// How a tool names its program and its guests.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Step ids start with it: `lxc`, `vm`.
    pub prefix: &'static str,
    /// `pct`, `qm`.
    pub program: &'static str,
    /// `CT`, `VM`.
    pub noun: &'static str,
    /// When a pending change arrives: at its next `start`, `boot`.
    pub next: &'static str,
    /// What was not done without `--restart`: `restarted`, `rebooted`.
    pub not_done: &'static str,
    /// The program's words that grow a disk: `resize`, `disk resize`.
    pub resize: &'static [&'static str],
}

/// Containers, through pct.
pub const CT: Kind = Kind {
    prefix: "lxc",
    program: "pct",
    noun: "CT",
    next: "start",
    not_done: "restarted",
    resize: &["resize"],
};

/// VMs, through qm.
pub const VM: Kind = Kind {
    prefix: "vm",
    program: "qm",
    noun: "VM",
    next: "boot",
    not_done: "rebooted",
    resize: &["disk", "resize"],
};

impl Kind {
    /// The tool's program with `args`: `pct status 101`.
    pub fn argv(&self, args: &[&str]) -> Vec<String> {
        std::iter::once(self.program)
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect()
    }
}

/// A guest tool's plan and notes as they grow, with the steps both tools
/// make alike.
pub struct GuestSteps {
    pub kind: Kind,
    pub opts: Options,
    pub plan: Plan,
    pub notes: Vec<String>,
}

impl GuestSteps {
    pub fn new(kind: Kind, tool: &str, opts: Options, notes: Vec<String>) -> Self {
        GuestSteps {
            kind,
            opts,
            plan: Plan::new(tool),
            notes,
        }
    }

    pub fn command(
        &mut self,
        id: String,
        argv: Vec<String>,
        unless: Option<Vec<String>>,
        desc: String,
    ) {
        self.plan.push(
            id,
            Action::Command(CommandStep {
                argv,
                unless,
                only_if: None,
                desc,
                notify: Vec::new(),
            }),
        );
    }

    /// A running guest with changes that wait for its next start
    /// (`needs`): rebooted with --restart, else reported. `Some("reboot")`
    /// when a reboot was planned.
    pub fn reboot(&mut self, id: u32, tag: &str, needs: &[String]) -> Option<String> {
        if needs.is_empty() {
            return None;
        }
        let what = needs.join(", ");
        let Kind {
            prefix,
            noun,
            next,
            not_done,
            ..
        } = self.kind;
        if !self.opts.restart {
            self.notes.push(format!(
                "{noun} {id} is running: {what} take effect at its next {next} (not {not_done}; use --restart)"
            ));
            return None;
        }
        let argv = self.kind.argv(&["reboot", &id.to_string()]);
        self.command(
            format!("{prefix}:{id}:reboot"),
            argv,
            None,
            format!("{tag}: reboot to apply {what}"),
        );
        Some("reboot".to_string())
    }

    /// `disk` of guest `id` grown to `gb` GiB; the action's short name.
    pub fn resize(&mut self, id: u32, disk: &str, gb: u64, tag: &str) -> String {
        let (id_arg, size) = (id.to_string(), format!("{gb}G"));
        let mut args = self.kind.resize.to_vec();
        args.extend([id_arg.as_str(), disk, size.as_str()]);
        let argv = self.kind.argv(&args);
        self.command(
            format!("{}:{id}:resize:{disk}", self.kind.prefix),
            argv,
            None,
            format!("{tag}: grow {disk} to {size}"),
        );
        format!("resize {disk} {size}")
    }

    /// The start of guest `id`, named by its `rank` in the order over every guest.
    pub fn start(&mut self, id: u32, rank: usize, tag: &str, boot_order: impl Display) -> String {
        let argv = self.kind.argv(&["start", &id.to_string()]);
        self.command(
            crate::order::start_step_id(rank, self.kind.prefix, id),
            argv,
            None,
            format!("{tag}: start (boot order {boot_order})"),
        );
        "start".to_string()
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

    #[test]
    fn a_reboot_is_planned_only_with_restart() {
        let needs = vec!["raw lxc lines".to_string()];
        let mut s = GuestSteps::new(CT, "phx-lxc", Options::default(), Vec::new());
        assert_eq!(s.reboot(101, "CT 101 web", &needs), None);
        assert!(s.plan.steps.is_empty());
        assert_eq!(
            s.notes,
            ["CT 101 is running: raw lxc lines take effect at its next start (not restarted; use --restart)"]
        );
        let opts = Options {
            restart: true,
            ..Options::default()
        };
        let mut s = GuestSteps::new(CT, "phx-lxc", opts, Vec::new());
        assert_eq!(s.reboot(101, "CT 101 web", &[]), None, "nothing waits");
        assert_eq!(
            s.reboot(101, "CT 101 web", &needs).as_deref(),
            Some("reboot")
        );
        let Action::Command(c) = &s.plan.steps[0].action else {
            panic!("a command")
        };
        assert_eq!(s.plan.steps[0].id, "lxc:101:reboot");
        assert_eq!(c.argv, ["pct", "reboot", "101"]);
        assert_eq!(c.desc, "CT 101 web: reboot to apply raw lxc lines");
        assert!(s.notes.is_empty());
    }
}
