//! Each container's desired state, made on a thread of its own ahead of the
//! planner, in the planner's order. At 10,000 guests `desired` was a quarter
//! of phx-lxc's planning on the main thread; the other core, which writes
//! the plan, had room for it.

use crate::desired::{desired, Desired};
use phx_common::config::Inventory;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::Scope;

/// Desired states go over in batches: one message a guest would wake the
/// planner for each.
const BATCH: usize = 64;
/// Batches made ahead at most.
const AHEAD: usize = 4;

pub(crate) struct Ahead {
    rx: Receiver<Vec<Desired>>,
    ready: std::vec::IntoIter<Desired>,
}

impl Ahead {
    /// Starts making the desired state of each of `ids`, in that order.
    pub(crate) fn spawn<'scope>(
        s: &'scope Scope<'scope, '_>,
        inv: &'scope Inventory,
        ids: Vec<u32>,
    ) -> Self {
        let (tx, rx) = sync_channel(AHEAD);
        s.spawn(move || {
            for batch in ids.chunks(BATCH) {
                let made = batch
                    .iter()
                    .map(|id| desired(&inv.lxcs[id], &inv.host))
                    .collect();
                // The planner stopped (it panicked): nothing is waited for.
                if tx.send(made).is_err() {
                    return;
                }
            }
        });
        Ahead {
            rx,
            ready: Vec::new().into_iter(),
        }
    }

    /// The desired state of container `ctid`, the next in order.
    pub(crate) fn next(&mut self, ctid: u32) -> Desired {
        let d = match self.ready.next() {
            Some(d) => d,
            None => {
                let batch = self
                    .rx
                    .recv()
                    .expect("a desired state for every container in order");
                self.ready = batch.into_iter();
                self.ready.next().expect("batches are never empty")
            }
        };
        assert_eq!(d.ctid, ctid, "desired states come in the planner's order");
        d
    }
}
