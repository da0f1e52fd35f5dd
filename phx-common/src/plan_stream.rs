//! Where a streaming plan's steps go: a thread of their own turns each into
//! its JSON line and writes it, while the planner goes on with the next
//! guest. At 10,000 guests phx-lxc's 21,000 steps took a quarter of its
//! planning time to serialise.

use crate::plan::{write_line, Step, Trailer};
use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Steps in flight at most: a slow reader holds the planner back instead
/// of the steps piling up in memory.
const IN_FLIGHT: usize = 1024;

enum Msg {
    Step(Box<Step>),
    /// Every step was sent: the trailer may be written. A plan dropped
    /// without it (a planner that failed) leaves its steps without one.
    End,
}

pub(crate) struct Stream {
    /// Both taken by `end` or `drop`.
    tx: Option<SyncSender<Msg>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
    pub sent: usize,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Stream {
    pub fn new(tool: &str, mut out: Box<dyn Write + Send>) -> Self {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let tool = tool.to_string();
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
                    Msg::Step(step) => {
                        written += 1;
                        if error.is_none() {
                            line.clear();
                            error = write_line(&mut line, &step)
                                .and_then(|()| out.write_all(&line))
                                .err();
                        }
                    }
                    Msg::End => {
                        return match error {
                            Some(e) => Err(e),
                            None => write_line(&mut out, &Trailer::new(&tool, written))
                                .and_then(|()| out.flush()),
                        };
                    }
                }
            }
            // Dropped without End: what was written goes out, no trailer.
            error.map_or_else(|| out.flush(), Err)
        });
        Stream {
            tx: Some(tx),
            writer: Some(writer),
            sent: 0,
        }
    }

    pub fn send(&mut self, step: Step) {
        self.sent += 1;
        if let Some(tx) = &self.tx {
            // The writer only stops on End or a panic, which `end` reports.
            let _ = tx.send(Msg::Step(Box::new(step)));
        }
    }

    /// The trailer after every step; the writer's first error.
    pub fn end(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::End);
        }
        self.join().unwrap_or(Ok(()))
    }

    fn join(&mut self) -> Option<std::io::Result<()>> {
        self.tx = None;
        let writer = self.writer.take()?;
        Some(
            writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    }
}

/// A plan dropped without its end (a planner that failed): what was sent
/// is written, without a trailer, before the process goes on.
impl Drop for Stream {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = self.join();
        }
    }
}
