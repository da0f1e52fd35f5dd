//! A plan written as it is made: each step goes to a thread of its own that
//! turns it into its JSON line and writes it, while the planner goes on with
//! the next guest. A guest tool's plan at 10,000 guests is 21,000 steps,
//! which held whole cost more memory than the rest of the tool, and took a
//! quarter of its planning time to serialise. Serial (`crate::par`), each
//! step is written on the planner's thread as it comes: the same lines.

use crate::par::{self, Threads};
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

/// The output and what went to it: the same on the writer's thread and,
/// serial, on the planner's.
struct Lines {
    out: Box<dyn Write + Send>,
    /// One step's line, made here and written whole: serde_json's many
    /// small writes would each go through `out`'s dynamic dispatch.
    line: Vec<u8>,
    written: usize,
    /// The first error is kept; the steps after it are counted and
    /// dropped, so the planner never blocks on a dead output.
    error: Option<std::io::Error>,
}

impl Lines {
    fn write(&mut self, step: &Step) {
        self.written += 1;
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        let Lines { out, line, .. } = self;
        self.error = write_line(line, step)
            .and_then(|()| out.write_all(line))
            .err();
    }

    /// The trailer after every step, then the output flushed; or the first error.
    fn end(mut self, tool: &str) -> std::io::Result<()> {
        match self.error {
            Some(e) => Err(e),
            None => write_line(&mut self.out, &Trailer::new(tool, self.written))
                .and_then(|()| self.out.flush()),
        }
    }

    /// Dropped without an end: what was written goes out, no trailer.
    fn abandon(mut self) -> std::io::Result<()> {
        self.error.map_or_else(|| self.out.flush(), Err)
    }
}

/// Where the steps go: a writer thread, or the output itself when serial.
enum Out {
    Thread {
        /// Both taken by `end` or `drop`.
        tx: Option<SyncSender<Msg>>,
        writer: Option<JoinHandle<std::io::Result<()>>>,
        /// Steps not yet handed over: fewer than a batch.
        batch: Vec<Step>,
    },
    /// Taken by `finish` or `drop`.
    Here(Option<Lines>),
}

/// A [`StepSink`] that writes; [`PlanWriter::finish`] writes the trailer.
/// Its lines are those [`crate::Plan::write_jsonl`] writes for the same steps.
pub struct PlanWriter {
    tool: String,
    out: Out,
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
    /// A writer as the process chose (`crate::par::threads`).
    pub fn new(tool: &str, out: Box<dyn Write + Send>) -> Self {
        Self::with_threads(tool, out, par::threads())
    }

    pub fn with_threads(tool: &str, out: Box<dyn Write + Send>, threads: Threads) -> Self {
        let lines = Lines {
            out,
            line: Vec::new(),
            written: 0,
            error: None,
        };
        let out = match threads {
            Threads::Serial => Out::Here(Some(lines)),
            Threads::Parallel => spawn(tool.to_string(), lines),
        };
        PlanWriter {
            tool: tool.to_string(),
            out,
            sent: 0,
        }
    }

    /// The steps of the batch so far go to the writer.
    fn hand_over(&mut self) {
        let Out::Thread { tx, batch, .. } = &mut self.out else {
            return;
        };
        if batch.is_empty() {
            return;
        }
        let steps = std::mem::replace(batch, Vec::with_capacity(BATCH));
        if let Some(tx) = tx {
            // The writer only stops on End or a panic, which `end` reports.
            let _ = tx.send(Msg::Steps(steps));
        }
    }

    /// The trailer, after every step written; then the output is flushed.
    /// The first error writing any line, except a reader that stopped
    /// reading (`| head`), which is no error.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.hand_over();
        let ended = match &mut self.out {
            Out::Thread { tx, .. } => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(Msg::End);
                }
                self.join().unwrap_or(Ok(()))
            }
            Out::Here(lines) => lines.take().map_or(Ok(()), |l| l.end(&self.tool)),
        };
        match ended {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }

    /// Waits for the writer, once every step sent was handed over; serial,
    /// what was written goes out.
    fn join(&mut self) -> Option<std::io::Result<()>> {
        self.hand_over();
        match &mut self.out {
            Out::Thread { tx, writer, .. } => {
                *tx = None;
                let writer = writer.take()?;
                Some(
                    writer
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                )
            }
            Out::Here(lines) => lines.take().map(Lines::abandon),
        }
    }
}

/// The writer thread: it ends on End (with the trailer) or when the
/// planner's side is dropped (without).
fn spawn(tool: String, mut lines: Lines) -> Out {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let writer = std::thread::spawn(move || {
        for msg in rx {
            match msg {
                Msg::Steps(steps) => steps.iter().for_each(|s| lines.write(s)),
                Msg::End => return lines.end(&tool),
            }
        }
        lines.abandon()
    });
    Out::Thread {
        tx: Some(tx),
        writer: Some(writer),
        batch: Vec::with_capacity(BATCH),
    }
}

impl StepSink for PlanWriter {
    fn tool(&self) -> &str {
        &self.tool
    }
    fn add(&mut self, step: Step) {
        self.sent += 1;
        match &mut self.out {
            Out::Thread { batch, .. } => {
                batch.push(step);
                if batch.len() == BATCH {
                    self.hand_over();
                }
            }
            Out::Here(lines) => {
                if let Some(lines) = lines {
                    lines.write(&step);
                }
            }
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
