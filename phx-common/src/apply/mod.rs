//! The executor behind `phx-apply` (being written; see DESIGN.md for the contract).
use crate::plan::Step;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Options {
    /// `/` for the live host; anything else maps every path under it.
    pub root: PathBuf,
    /// Under a root other than `/`, commands and handlers run only with this.
    pub run_commands: bool,
    pub check: bool,
    pub diff: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Changed,
    Skipped,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub kind: &'static str,
    pub status: Status,
    pub detail: String,
    /// A command or handler was executed (not just reported).
    pub ran: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

pub fn apply(_steps: &[Step], _opts: &Options) -> anyhow::Result<Report> {
    anyhow::bail!("phx-apply: executor not written yet")
}
