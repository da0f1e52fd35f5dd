//! One phase applied: phx-apply over the phase's plans, and what its report
//! says back (phx-apply `--report-to`): the --json document, and whether
//! the phase changed anything (`all` plans LetsGo again only then).

use super::planning::has_steps;
use super::{exit_code, not_interrupted, status, Run, Stop};
use phx_common::registry::Phase;
use phx_plan::exit::EXIT_OK;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What one phase's phx-apply run gave.
pub(super) struct Applied {
    /// phx-apply's exit status.
    pub code: u8,
    /// Its report, with --json; None when the phase planned nothing.
    pub report: Option<Value>,
    /// Whether a step changed something (or phx-apply said nothing: the
    /// safe side).
    pub changed: bool,
}

impl Run<'_> {
    /// One phx-apply run over a phase's plans; a phase whose planners
    /// planned no step is not run (phx-apply would only say its plan is
    /// empty, a line that belongs to no subsystem). `changes`: whether
    /// the caller needs to know if anything changed.
    pub(super) fn apply_phase(
        &self,
        phase: Phase,
        plans: &[PathBuf],
        changes: bool,
    ) -> Result<Applied, Stop> {
        if !plans.iter().any(|p| has_steps(p)) {
            return Ok(Applied {
                code: EXIT_OK,
                report: None,
                changed: false,
            });
        }
        let file = self
            .scratch
            .path()
            .join(format!("{}-report.json", phase.key()));
        let mut cmd = self.bins.command("phx-apply");
        cmd.args(&self.apply_args)
            .arg("--report-to")
            .arg(&file)
            .args(plans);
        let code = if self.args.json {
            // The report is read from the file; stdout's copy is not needed.
            let s = cmd
                .stderr(Stdio::inherit())
                .stdout(Stdio::null())
                .status()
                .map_err(|e| Stop::Failed(format!("phx-apply: {e}")))?;
            not_interrupted()?;
            exit_code(s)
        } else {
            status(&mut cmd, "phx-apply")?
        };
        let report = if self.args.json || changes {
            read_report(&file, phase)?
        } else {
            None
        };
        let changed = report.as_ref().is_none_or(|r| {
            r["outcomes"]
                .as_array()
                .is_none_or(|o| o.iter().any(|o| o["status"] == "changed"))
        });
        Ok(Applied {
            code,
            report: report.filter(|_| self.args.json),
            changed,
        })
    }
}

/// The phase's report, when phx-apply wrote one.
fn read_report(file: &Path, phase: Phase) -> Result<Option<Value>, Stop> {
    let Ok(bytes) = std::fs::read(file) else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Stop::Failed(format!(
            "phx-apply's report of the {} phase is not one JSON document: {e}",
            phase.key()
        ))
    })
}
