//! phx-lxc under the tool contract (phx_common::tool): what its command
//! line asks, how it observes, plans and renders.

use crate::cli::{Args, Cmd};
use crate::{observe, KIND, TOOL};
use phx_common::cli::{Failure, GuestFilter, GuestFlags, InputArgs};
use phx_common::guests;
use phx_common::tool::{GuestCounts, Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::PlanWriter;
use std::convert::Infallible;

pub struct Lxc;

impl Tool for Lxc {
    const NAME: &'static str = TOOL;
    type Cli = Args;
    type Options = (GuestFlags, GuestFilter);
    type Observed = observe::Observed;
    type Extra = Infallible;

    fn route(args: Args) -> Route<(GuestFlags, GuestFilter), Infallible> {
        match args.cmd {
            None => Route::Plan {
                input: args.input,
                options: (args.flags, args.filter),
            },
            Some(Cmd::Plan {
                input,
                flags,
                filter,
            }) => Route::Plan {
                input,
                options: (flags, filter),
            },
            Some(Cmd::Render(r)) => Route::Render(r),
        }
    }

    fn observe(inv: &Inventory, input: &InputArgs) -> Result<observe::Observed, Failure> {
        Ok(observe::observe(inv, &input.state_root, None)?)
    }

    fn plan(
        inv: &Inventory,
        seen: &observe::Observed,
        (flags, filter): (GuestFlags, GuestFilter),
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let sel = filter.selection(inv)?;
        guests::refuse_named(
            &sel,
            KIND,
            |id| inv.lxcs.contains_key(&id),
            |id| seen.confs.get(&id),
            &filter.guests,
        )
        .map_err(Failure::Usage)?;
        let planned = crate::plan_selected(inv, seen, flags.options(), &sel, sink)
            .map_err(Failure::Invalid)?;
        let summary = Summary {
            progress: planned.progress(KIND),
            guests: Some(GuestCounts {
                noun: "container",
                total: inv.lxcs.len(),
                existing: seen.confs.len(),
                running: seen.running.len(),
                to_change: planned.guests.len(),
                program: "pct",
                calls: seen.calls,
            }),
            notes: planned.notes,
            warnings: planned.warnings,
        };
        Ok(Planned {
            sink: planned.plan,
            summary,
        })
    }

    fn render(inv: &Inventory, _input: &InputArgs) -> Result<Rendered, Failure> {
        let files = inv
            .lxcs
            .keys()
            .filter_map(|&id| crate::render::conf(inv, id).map(|c| (observe::conf_path(id), c)))
            .collect();
        Ok(Rendered {
            files,
            summary: Summary::default(),
        })
    }

    fn extra(cmd: Infallible) -> Result<u8, Failure> {
        match cmd {}
    }
}
