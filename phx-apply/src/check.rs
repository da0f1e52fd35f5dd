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

/// Why `path` is not a plain absolute path on the host, if it is not one:
/// it must start with `/`, name a file (not `/` nor end in `/`), and hold no
/// empty, `.` or `..` component nor a NUL byte.
pub fn host_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("must be absolute");
    }
    if path.contains('\0') {
        return Some("must not contain a NUL byte");
    }
    if path == "/" || path.ends_with('/') {
        return Some("must name a file, not a directory");
    }
    if path[1..]
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some("must not hold empty, '.' or '..' components");
    }
    None
}
