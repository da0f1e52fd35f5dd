//! How a run is shown: one line per step and a recap on stderr, diffs on
//! stdout, or the whole report as JSON.

use super::{Report, Status};
use similar::TextDiff;

pub fn unified(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a{path}"), &format!("b{path}"))
        .to_string()
}

pub fn secret_diff(path: &str) -> String {
    format!("--- a{path}\n+++ b{path}\n<secret>\n")
}

fn label(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Changed => "changed",
        Status::Skipped => "skipped",
        Status::Failed => "FAILED",
    }
}

/// Human report: one line per step, then the recap.
pub fn text(report: &Report, check: bool) -> String {
    let mut out = String::new();
    for o in &report.outcomes {
        let status = if check && o.status == Status::Changed {
            "would change"
        } else {
            label(o.status)
        };
        let detail = o.detail.replace('\n', "\n    ");
        out.push_str(&format!(
            "{status:<12} {:<8} {:<28} {detail}\n",
            o.kind, o.id
        ));
    }
    out.push_str(&format!(
        "recap: {} ok, {} {}, {} skipped, {} failed{}\n",
        report.count(Status::Ok),
        report.changed(),
        if check { "would change" } else { "changed" },
        report.count(Status::Skipped),
        report.count(Status::Failed),
        report
            .backup_dir
            .as_ref()
            .map(|d| format!("; replaced files backed up in {}", d.display()))
            .unwrap_or_default()
    ));
    out
}
