//! `--guest ID`: which guests a run is about. The named ones are acted on
//! fully; what they need first (their clone sources and `dependencies`,
//! transitively, across containers and VMs: config::validate::prerequisites,
//! the graph the one order sorts) is only made when missing and started when
//! not running, never converged; every other guest is left alone.

use crate::config::suggest::nearest;
use crate::config::validate::prerequisites;
use crate::config::Inventory;
use crate::fast_hash::FastMap;
use phx_plan::{Plan, Step};
use std::collections::BTreeSet;

/// What a run does to a named guest (`--action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Action {
    /// Make it exist and match its entry, and start it as configured.
    #[default]
    Converge,
    /// Start it when it does not run (nothing else).
    Start,
    /// Shut it down when it runs (forced after the timeout).
    Stop,
    /// Reboot it when it runs, start it when it does not.
    Restart,
    /// Stop it when it runs, then destroy it with its disks.
    Delete,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Converge => "converge",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Delete => "delete",
        }
    }
}

/// A guest's part in a run with `--guest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Named on the command line: the action is done to it.
    Named,
    /// Needed by a named guest: made when missing, started when it should
    /// run and does not; its drift is not converged.
    Prerequisite,
}

/// The guests a run is about, by role; `None` roles: every guest is
/// converged (no `--guest`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    roles: Option<FastMap<u32, Role>>,
    action: Action,
}

impl Selection {
    /// Every guest, converged: a run without `--guest`.
    pub fn all() -> Self {
        Selection::default()
    }

    /// The guests `named` and, for a converge, start or restart, their
    /// prerequisites. `Err` names an ID that is in neither file (with the
    /// nearest one when it looks like a typo), or a guest another depends
    /// on or clones from when `action` is `Delete`.
    pub fn of(inv: &Inventory, named: &[u32], action: Action) -> Result<Self, String> {
        if named.is_empty() {
            return match action {
                Action::Converge => Ok(Selection::all()),
                a => Err(format!(
                    "--action {} needs --guest ID (which guests to {})",
                    a.name(),
                    a.name()
                )),
            };
        }
        for &id in named {
            known(inv, id)?;
        }
        let mut roles: FastMap<u32, Role> = named.iter().map(|&id| (id, Role::Named)).collect();
        match action {
            Action::Stop => {}
            Action::Delete => refuse_needed(inv, named)?,
            Action::Converge | Action::Start | Action::Restart => {
                let graph = prerequisites(inv);
                let mut todo: Vec<u32> = named.to_vec();
                while let Some(id) = todo.pop() {
                    for &need in graph.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                        if let std::collections::hash_map::Entry::Vacant(e) = roles.entry(need) {
                            e.insert(Role::Prerequisite);
                            todo.push(need);
                        }
                    }
                }
            }
        }
        Ok(Selection {
            roles: Some(roles),
            action,
        })
    }

    /// `named` with `action`, no prerequisites and no checks: for tests
    /// that need no configuration.
    #[cfg(test)]
    pub(crate) fn named_for_test(named: &[u32], action: Action) -> Self {
        Selection {
            roles: Some(named.iter().map(|&id| (id, Role::Named)).collect()),
            action,
        }
    }

    /// The part guest `id` has in this run; `None`: it is left alone.
    pub fn role(&self, id: u32) -> Option<Role> {
        match &self.roles {
            None => Some(Role::Named),
            Some(r) => r.get(&id).copied(),
        }
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// Whether the run is limited to some guests (`--guest` given).
    pub fn is_limited(&self) -> bool {
        self.roles.is_some()
    }

    /// Whether the in-guest tools (phx-features, phx-ca) plan guest `id`'s
    /// steps: a named guest's and its prerequisites', and only for a
    /// converge (a start, stop or delete installs nothing). A prerequisite
    /// made in this run is otherwise an empty container: a Step-CA that
    /// never initialised cannot give the named guest the root it trusts.
    /// Its steps are guarded: on a prerequisite that has its software they
    /// do nothing.
    pub fn keeps_in_guest(&self, id: u32) -> bool {
        self.action == Action::Converge && self.role(id).is_some()
    }

    /// An in-guest tool's plan cut to [`Selection::keeps_in_guest`]: the
    /// kept guests' steps and the handlers they notify, and for a converge
    /// the host steps (the root CA exported for the guests that trust it).
    /// Nothing changes without `--guest`.
    pub fn keep_in_guest_steps(&self, plan: &mut Plan) {
        if !self.is_limited() {
            return;
        }
        let kept = |s: &Step| match s.action.guest() {
            Some(g) => self.keeps_in_guest(g.id()),
            None => self.action == Action::Converge && s.action.handler().is_none(),
        };
        let notified: BTreeSet<&str> = plan
            .steps
            .iter()
            .filter(|s| kept(s))
            .flat_map(|s| s.action.notify().iter().map(String::as_str))
            .collect();
        let keep: Vec<bool> = plan
            .steps
            .iter()
            .map(|s| kept(s) || (s.action.handler().is_some() && notified.contains(s.id.as_str())))
            .collect();
        let mut k = keep.into_iter();
        plan.steps.retain(|_| k.next().unwrap_or(false));
    }
}

/// `Ok` when `id` is a container or VM of the configuration.
fn known(inv: &Inventory, id: u32) -> Result<(), String> {
    if inv.guest(id).is_some() {
        return Ok(());
    }
    let ids: Vec<String> = inv.guests().map(|g| g.id().to_string()).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let hint = match nearest(&id.to_string(), &refs) {
        Some(n) => {
            let g = n
                .parse()
                .ok()
                .and_then(|n| inv.guest(n))
                .expect("a suggestion is one of the IDs");
            format!("; did you mean {n} ({})?", g.common().name)
        }
        None => String::new(),
    };
    Err(format!(
        "--guest {id}: no container in lxc_configs nor VM in vm_configs has this ID{hint}"
    ))
}

/// A guest to delete must not be needed by a configured guest that stays:
/// each such guest is named with why (the file still says so).
fn refuse_needed(inv: &Inventory, named: &[u32]) -> Result<(), String> {
    let gone: BTreeSet<u32> = named.iter().copied().collect();
    let mut why = Vec::new();
    for g in inv.guests() {
        let c = g.common();
        if gone.contains(&c.id) {
            continue;
        }
        if let Some(src) = c.clone_from.filter(|s| gone.contains(s)) {
            why.push(format!("{} ({}) clones from {src}", c.id, c.name));
        }
        for d in c.dependencies.iter().filter(|d| gone.contains(d)) {
            why.push(format!("{} ({}) depends on {d}", c.id, c.name));
        }
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--action delete refused: {}; delete those too (or edit their entries) first",
        why.join(", ")
    ))
}
