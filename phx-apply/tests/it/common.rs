//! Helpers shared by the executor's test binaries.

use phx_apply::Options;
use phx_plan::{Action, FileStep, Step};
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

/// A whole-file step writing `content` to `path`.
pub fn file(id: &str, path: &str, content: &str) -> Step {
    step(
        id,
        Action::File(FileStep {
            path: path.into(),
            content: content.into(),
            ..Default::default()
        }),
    )
}
