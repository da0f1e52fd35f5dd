//! A plan written as it is made: each step goes to a thread of its own that
//! turns it into its JSON line and writes it, while the planner goes on with
//! the next guest. A guest tool's plan at 10,000 guests is 21,000 steps,
//! which held whole cost more memory than the rest of the tool, and took a
//! quarter of its planning time to serialise.

use crate::plan::{write_line, StepSink};
use crate::step::Step;
use crate::trailer::Trailer;
use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Steps go to the writer in batches: one step a message woke the writer
/// (a futex call each side) for nearly every step, 2,000 context switches
/// for phx-lxc's 21,000 steps at 10,000 guests.
const BATCH: usize = 128;

/// Batches in flight at most (1,024 steps): a slow reader holds the
/// planner back instead of the steps piling up in memory.
const IN_FLIGHT: usize = 8;

enum Msg {
    Steps(Vec<Step>),
    /// Every step was sent: the trailer may be written. A plan dropped
    /// without it (a planner that failed) leaves its steps without one.
    End,
}

/// A [`StepSink`] that writes; [`PlanWriter::finish`] writes the trailer.
/// Its lines are those [`crate::Plan::write_jsonl`] writes for the same steps.
pub struct PlanWriter {
    tool: String,
    /// Both taken by `end` or `drop`.
    tx: Option<SyncSender<Msg>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
    /// Steps not yet handed over: fewer than a batch.
    batch: Vec<Step>,
    sent: usize,
}

impl std::fmt::Debug for PlanWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanWriter")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl PlanWriter {
    pub fn new(tool: &str, mut out: Box<dyn Write + Send>) -> Self {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let tool = tool.to_string();
        let tool_of_writer = tool.clone();
        let writer = std::thread::spawn(move || {
            // One step's line, made here and written whole: serde_json's
            // many small writes would each go through `out`'s dynamic dispatch.
            let mut line = Vec::new();
            let mut written = 0;
            // The first error is kept; the steps after it are received and
            // dropped, so the planner never blocks on a dead output.
            let mut error = None;
            for msg in rx {
                match msg {
                    Msg::Steps(steps) => {
                        written += steps.len();
                        for step in &steps {
                            if error.is_some() {
                                break;
                            }
                            line.clear();
                            error = write_line(&mut line, step)
                                .and_then(|()| out.write_all(&line))
                                .err();
                        }
                    }
                    Msg::End => {
                        return match error {
                            Some(e) => Err(e),
                            None => write_line(&mut out, &Trailer::new(&tool_of_writer, written))
                                .and_then(|()| out.flush()),
                        };
                    }
                }
            }
            // Dropped without End: what was written goes out, no trailer.
            error.map_or_else(|| out.flush(), Err)
        });
        PlanWriter {
            tool,
            tx: Some(tx),
            writer: Some(writer),
            batch: Vec::with_capacity(BATCH),
            sent: 0,
        }
    }

    /// The steps of the batch so far go to the writer.
    fn hand_over(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let steps = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(tx) = &self.tx {
            // The writer only stops on End or a panic, which `end` reports.
            let _ = tx.send(Msg::Steps(steps));
        }
    }

    /// The trailer, after every step written; then the output is flushed.
    /// The first error writing any line, except a reader that stopped
    /// reading (`| head`), which is no error.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.hand_over();
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::End);
        }
        match self.join().unwrap_or(Ok(())) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }

    /// Waits for the writer, once every step sent was handed over.
    fn join(&mut self) -> Option<std::io::Result<()>> {
        self.hand_over();
        self.tx = None;
        let writer = self.writer.take()?;
        Some(
            writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    }
}

impl StepSink for PlanWriter {
    fn tool(&self) -> &str {
        &self.tool
    }
    fn add(&mut self, step: Step) {
        self.sent += 1;
        self.batch.push(step);
        if self.batch.len() == BATCH {
            self.hand_over();
        }
    }
    fn len(&self) -> usize {
        self.sent
    }
}

/// A plan dropped without its end (a planner that failed): what was sent
/// is written, without a trailer, before the process goes on.
impl Drop for PlanWriter {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Not waited for, but handed over, as every step was before
            // steps went in batches (a dead writer refuses it at once).
            self.hand_over();
        } else {
            let _ = self.join();
        }
    }
}
