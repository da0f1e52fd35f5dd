//! phx-vm under the tool contract (phx_common::tool): what its command
//! line asks, how it observes and plans. It renders nothing: a VM's
//! configuration is written by `qm`, not as a file.

use crate::cli::Args;
use crate::{observe, KIND, TOOL};
use phx_common::cli::{Failure, GuestFilter, GuestFlags, InputArgs};
use phx_common::guests;
use phx_common::tool::{GuestCounts, Planned, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::PlanWriter;
use std::convert::Infallible;
use std::path::PathBuf;

pub struct Vm;

/// The machine as read, and where it was read (snippets are planned under it).
pub struct Seen {
    pub machine: observe::Observed,
    pub state_root: PathBuf,
}

impl Tool for Vm {
    const NAME: &'static str = TOOL;
    type Cli = Args;
    type Options = (GuestFlags, GuestFilter);
    type Observed = Seen;
    type Extra = Infallible;

    fn route(args: Args) -> Route<(GuestFlags, GuestFilter), Infallible> {
        Route::Plan {
            input: args.input,
            options: (args.flags, args.filter),
        }
    }

    fn observe(inv: &Inventory, input: &InputArgs) -> Result<Seen, Failure> {
        Ok(Seen {
            machine: observe::observe(inv, &input.state_root, None)?,
            state_root: input.state_root.clone(),
        })
    }

    fn plan(
        inv: &Inventory,
        seen: &Seen,
        (flags, filter): (GuestFlags, GuestFilter),
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let m = &seen.machine;
        let sel = filter.selection(inv)?;
        guests::refuse_named(
            &sel,
            KIND,
            |id| inv.vms.iter().any(|v| v.id == id),
            |id| m.confs.get(&id),
            &filter.guests,
        )
        .map_err(Failure::Usage)?;
        let planned = crate::plan_selected(inv, m, &seen.state_root, flags.options(), &sel, sink)
            .map_err(Failure::Invalid)?;
        let summary = Summary {
            progress: planned.progress(KIND),
            guests: Some(GuestCounts {
                noun: "VM",
                total: inv.vms.len(),
                existing: m.confs.len(),
                running: m.running.len(),
                to_change: planned.guests.len(),
                program: "qm",
                calls: m.calls,
            }),
            notes: planned.notes,
            warnings: planned.warnings,
        };
        Ok(Planned {
            sink: planned.plan,
            summary,
        })
    }

    fn extra(cmd: Infallible) -> Result<u8, Failure> {
        match cmd {}
    }
}
