//! The line that closes each tool's plan.

use crate::step::VERSION;
use serde::{Deserialize, Serialize};

/// The last line of every tool's plan: which tool wrote it and how many
/// steps precede it. A planner that dies mid-way (in a pipeline without
/// `pipefail`, its exit status is lost) or a cut stream leaves no trailer or a
/// short count, and `read_jsonl` refuses the plan instead of applying half
/// of it, or nothing while saying "0 changed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub v: u32,
    pub tool: String,
    pub kind: TrailerKind,
    /// Steps in this tool's segment of the stream.
    pub steps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrailerKind {
    End,
}

impl Trailer {
    pub fn new(tool: &str, steps: usize) -> Self {
        Trailer {
            v: VERSION,
            tool: tool.to_string(),
            kind: TrailerKind::End,
            steps,
        }
    }
}
