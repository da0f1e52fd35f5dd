//! check's listing before its diffs (registry `listed_by_check`: phx-fw's
//! flows and their verdicts).

use super::{exit_code, Run, Stop};
use phx_common::registry::Planner;
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use std::process::Stdio;

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
            let mut cmd = self.bins.command(p.binary);
            cmd.args(listing.args)
                .args(&self.tool_args)
                .args(self.args.flags_for(listing.own_flags));
            if self.args.json {
                cmd.stdout(std::io::stderr());
            } else {
                cmd.stdout(Stdio::inherit());
            }
            // Its stderr is the planner's loader warnings again: said once
            // per run, as the planners' are (planning.rs).
            let o = self.output(cmd.stderr(Stdio::piped()), p.binary)?;
            eprint!("{}", self.not_yet_said(&o.stderr));
            // Exit 1 (a flow blocked) is the answer, not a failure: the
            // planner refuses the same flow next, naming its rule.
            let code = exit_code(o.status);
            if code != EXIT_OK && code != EXIT_FAILED {
                return Err(Stop::Exit(code));
            }
        }
        Ok(())
    }
}
