//! A plan held whole: one tool's steps, in execution order, and where any
//! step of a tool goes (a [`StepSink`]: a [`Plan`] kept, or a
//! [`crate::PlanWriter`] that writes each step as it comes).

use crate::par::{self, Threads};
use crate::step::{Action, StartRank, Step, VERSION};
use crate::trailer::Trailer;
use serde::Serialize;
use std::io::Write;

/// Where a tool puts its steps. Planners that may stream (the guest tools)
/// are generic over it; the others fill a [`Plan`].
pub trait StepSink {
    /// The tool every step is stamped with.
    fn tool(&self) -> &str;
    /// Takes one finished step.
    fn add(&mut self, step: Step);
    /// Steps taken so far.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, id: impl Into<String>, action: Action)
    where
        Self: Sized,
    {
        self.add(new_step(self.tool(), id.into(), action));
    }

    /// A guest's start, ordered by `start` across every guest tool's plan.
    fn push_start(&mut self, id: impl Into<String>, action: Action, start: StartRank)
    where
        Self: Sized,
    {
        let mut step = new_step(self.tool(), id.into(), action);
        step.start = Some(start);
        self.add(step);
    }

    /// A guest's shutdown or destroy, run before every other step of every
    /// plan in the reverse of `stop`'s order (dependents first).
    fn push_stop(&mut self, id: impl Into<String>, action: Action, stop: StartRank)
    where
        Self: Sized,
    {
        let mut step = new_step(self.tool(), id.into(), action);
        step.stop = Some(stop);
        self.add(step);
    }
}

fn new_step(tool: &str, id: String, action: Action) -> Step {
    Step {
        v: VERSION,
        tool: tool.to_string(),
        id,
        action,
        start: None,
        stop: None,
    }
}

/// One tool's steps, kept in memory (tests read them; small plans are
/// written whole by [`Plan::write_jsonl`]).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Plan {
    pub tool: String,
    pub steps: Vec<Step>,
}

impl StepSink for Plan {
    fn tool(&self) -> &str {
        &self.tool
    }
    fn add(&mut self, step: Step) {
        self.steps.push(step);
    }
    fn len(&self) -> usize {
        self.steps.len()
    }
}

/// Plans of at least this many steps are written by two threads.
const SPLIT_AT: usize = 512;

/// One step or trailer as a JSON line.
pub(crate) fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

impl Plan {
    pub fn new(tool: &str) -> Self {
        Plan {
            tool: tool.to_string(),
            steps: Vec::new(),
        }
    }

    /// As [`StepSink::push`], without the trait in scope.
    pub fn push(&mut self, id: impl Into<String>, action: Action) {
        StepSink::push(self, id, action);
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Where a long plan's steps split into halves of about equal text
    /// (phx-fw's cluster.fw alone is half its plan); all of a short one.
    fn halfway(&self) -> usize {
        if self.steps.len() < SPLIT_AT {
            return self.steps.len();
        }
        // File contents are the bulk of a plan's text; any other step's
        // few fields count as a short line.
        let weight = |s: &Step| match &s.action {
            Action::File(f) => f.content.len(),
            _ => 200,
        };
        let total: usize = self.steps.iter().map(weight).sum();
        let mut so_far = 0;
        self.steps
            .iter()
            .position(|s| {
                so_far += weight(s);
                so_far >= total / 2
            })
            .map_or(self.steps.len(), |i| i + 1)
    }

    /// The steps, then the trailer that says the stream is whole.
    pub fn write_jsonl(&self, out: &mut impl Write) -> std::io::Result<()> {
        self.write_jsonl_with(out, par::threads())
    }

    /// [`Plan::write_jsonl`], on one thread or two as `threads` says.
    pub fn write_jsonl_with(&self, out: &mut impl Write, threads: Threads) -> std::io::Result<()> {
        // A long plan's second half is serialised on a thread of its own
        // while the first is written: phx-fw's 5,000 file steps at 10,000
        // guests are 5 MB of JSON-escaped text, a tenth of its run.
        let (first, second) = self.steps.split_at(self.halfway());
        let (written, later) = threads.join(
            || {
                first
                    .iter()
                    .try_for_each(|step| write_line(&mut *out, step))
            },
            || {
                let mut text = Vec::new();
                for step in second {
                    write_line(&mut text, step)?;
                }
                Ok::<_, std::io::Error>(text)
            },
        );
        written?;
        out.write_all(&later?)?;
        write_line(out, &Trailer::new(&self.tool, self.steps.len()))
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
