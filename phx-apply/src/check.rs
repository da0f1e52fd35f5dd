//! Whole-plan checks, made before the first step runs: a plan that could not
//! run correctly is refused with nothing done.

use anyhow::bail;
use phx_common::plan::{Action, Step};

/// Refuses plans that could not run correctly: a `notify` naming a step that
/// is not a later handler would silently never fire.
pub fn check_plan(steps: &[Step]) -> anyhow::Result<()> {
    for (i, s) in steps.iter().enumerate() {
        for target in s.action.notify() {
            let later_handler = steps[i + 1..]
                .iter()
                .any(|t| &t.id == target && matches!(t.action, Action::Handler(_)));
            if !later_handler {
                bail!(
                    "step {:?} notifies {target:?}, which is not a handler step later in the plan",
                    s.id
                );
            }
        }
        if let Action::Command(c) = &s.action {
            if c.argv.is_empty() {
                bail!("step {:?} has an empty argv", s.id);
            }
        }
        if let Some(p) = s.action.path() {
            if !p.starts_with('/') || p.split('/').any(|c| c == "..") {
                bail!(
                    "step {:?}: path {p:?} must be absolute and free of '..'",
                    s.id
                );
            }
        }
    }
    Ok(())
}
