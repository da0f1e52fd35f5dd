//! check's listing before its diffs (registry `listed_by_check`: phx-fw's
//! flows and their verdicts), listed by the planner's library on the run's
//! one load.

use super::{in_process, Run, Stop};
use phx_common::registry::Planner;
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};

impl Run<'_> {
    /// What the planners list before check's diffs (phx-fw: every flow the
    /// estate needs and its verdict), on stdout above the diffs; with
    /// --json on stderr, stdout being phx-apply's one document. A blocked
    /// flow is listed here, then refused by its planner with the deciding
    /// rule.
    pub(super) fn list_before_check(&self, chosen: &[&Planner]) -> Result<(), Stop> {
        for p in chosen {
            let Some(listing) = p.listed_by_check else {
                continue;
            };
            let Some(lib) = in_process::library(p.binary) else {
                continue;
            };
            let argv = self.argv(p, listing.args, listing.own_flags);
            let o = if self.args.json {
                (lib.extra)(self.inventory(), &argv, &mut std::io::stderr().lock())
            } else {
                (lib.extra)(self.inventory(), &argv, &mut std::io::stdout().lock())
            };
            // What it says is the planner's loader warnings again: said
            // once per run, as the planners' are (planning.rs).
            eprint!("{}", self.not_yet_said(&o.said));
            // Exit 1 (a flow blocked) is the answer, not a failure: the
            // planner refuses the same flow next, naming its rule.
            let code = o.code;
            if code != EXIT_OK && code != EXIT_FAILED {
                return Err(Stop::Exit(code));
            }
        }
        Ok(())
    }
}
