//! Each container's desired state, made ahead of the planner, in the
//! planner's order: on a thread of its own when Phoenix works on two
//! (`phx_plan::par`). At 10,000 guests `desired` was a quarter of phx-lxc's
//! planning on the main thread; the other core, which writes the plan, had
//! room for it.

use crate::desired::{desired, Desired};
use phx_common::config::Inventory;

/// Desired states go over in batches: one message a guest would wake the
/// planner for each.
const BATCH: usize = 64;
/// Batches made ahead at most.
const AHEAD: usize = 4;

/// The desired states of `ids`, in that order, as the planner takes them.
pub(crate) struct Ahead<'a> {
    made: Box<dyn Iterator<Item = Desired> + 'a>,
}

/// `plan` given the desired state of each of `ids`, made ahead.
pub(crate) fn desired_ahead<'a, R>(
    inv: &'a Inventory,
    ids: &'a [u32],
    plan: impl FnOnce(Ahead<'a>) -> R,
) -> R {
    phx_plan::par::threads().ahead(
        ids,
        (BATCH, AHEAD),
        |id| desired(&inv.lxcs[id], &inv.host),
        |made| plan(Ahead { made }),
    )
}

impl Ahead<'_> {
    /// The desired state of container `ctid`, the next in order.
    pub(crate) fn next(&mut self, ctid: u32) -> Desired {
        let d = self
            .made
            .next()
            .expect("a desired state for every container in order");
        assert_eq!(d.ctid, ctid, "desired states come in the planner's order");
        d
    }
}
