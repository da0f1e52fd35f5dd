//! What a run did: one outcome per step and the report that collects them.

use phx_plan::Step;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Changed,
    Skipped,
    Failed,
    /// `--check` under `--root` without `--run-commands`: a command whose
    /// guards were not run, so whether it would run is unknown. It counts as
    /// pending: "0 would change" must not hide 53 `pct create`s.
    NotEvaluated,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub id: String,
    /// The tool that planned the step (`phx-net`): the recap's subsystem.
    pub tool: String,
    pub kind: &'static str,
    pub status: Status,
    pub detail: String,
    /// A command or handler was executed (not just reported).
    pub ran: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Wall-clock time the step took, its handler bookkeeping included.
    pub elapsed_ms: u64,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Where replaced files were saved, when any were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_dir: Option<PathBuf>,
    /// The automatic rollback this run armed, when it did (see `confirm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub armed: Option<String>,
    /// Old runs pruning had to keep, a line each with why (a guest holding
    /// its in-guest backups could not be reached); the next run tries again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruning: Vec<String>,
}

impl Report {
    pub fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == s).count()
    }
    pub fn changed(&self) -> usize {
        self.count(Status::Changed)
    }
    /// Whether `--check` has anything to report as pending.
    pub fn pending(&self) -> bool {
        self.changed() > 0 || self.count(Status::NotEvaluated) > 0
    }
    pub fn failed(&self) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.status == Status::Failed)
    }
    /// The tools that planned the steps, in the order their first step ran.
    pub fn tools(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for o in &self.outcomes {
            if !seen.contains(&o.tool.as_str()) {
                seen.push(&o.tool);
            }
        }
        seen
    }
    /// Handlers that fired (ran, or would have): the host's and VMs'.
    pub fn handlers_fired(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.kind, "handler" | "guest_handler"))
            .filter(|o| o.status == Status::Changed)
            .map(|o| o.id.as_str())
            .collect()
    }
}

pub(crate) fn outcome(step: &Step, status: Status, detail: impl Into<String>) -> Outcome {
    Outcome {
        id: step.id.clone(),
        tool: step.tool.clone(),
        kind: step.action.kind(),
        status,
        detail: detail.into(),
        ran: false,
        diff: None,
        elapsed_ms: 0,
    }
}

/// Told about each step as the run carries it out, so a front end can show
/// progress live instead of after the whole plan. `n` counts from 1 to `total`.
pub trait Observer {
    fn started(&mut self, _n: usize, _total: usize, _step: &Step) {}
    fn finished(&mut self, _n: usize, _total: usize, _outcome: &Outcome) {}
}

/// No one watching (the library's callers and tests).
impl Observer for () {}
