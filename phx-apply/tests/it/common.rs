//! Helpers shared by the executor's test binaries.

use phx_apply::Options;
use phx_plan::{Action, Step};
use std::path::Path;

/// Apply under `root`, running commands (tests use `sh -c` and doubles).
pub fn opts(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        ..Default::default()
    }
}

pub fn step(id: &str, action: Action) -> Step {
    Step {
        v: 1,
        tool: "test".into(),
        id: id.into(),
        action,
        start: None,
        stop: None,
    }
}
