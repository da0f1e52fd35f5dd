//! The planner's part in `--guest` (phx_common::guests::Selection): a
//! container a named one needs is made only when it is not, and otherwise
//! taken as it is.

use super::Planner;
use crate::diff;
use phx_plan::StepSink;

impl<S: StepSink> Planner<'_, S> {
    /// A container that is not converged in this run: its desired state is
    /// taken in turn (they come in order), and a clone source's state
    /// recorded for the clones this plan makes of it.
    pub(super) fn take_as_is(&mut self, ctid: u32) {
        let d = self.desired.next(ctid);
        if let Some(conf) = self.seen.confs.get(&ctid) {
            if self.sources.contains(&ctid) {
                // What it would be converged to: its notes are not this run's.
                let (_, fin, _) = diff::existing(&d, conf, true, &mut Vec::new());
                self.finals.insert(ctid, fin);
            }
        }
    }

    /// Made as what needs it needs it: a golden template has its snapshot
    /// (nothing can be cloned from it before; its converge bakes it).
    pub(super) fn is_made(&self, ctid: u32) -> bool {
        let Some(conf) = self.seen.confs.get(&ctid) else {
            return false;
        };
        match &self.inv.lxcs[&ctid].template_snapshot_name {
            Some(snap) => conf.snapshots.contains(snap),
            None => true,
        }
    }
}
