//! phx-features under the tool contract (phx_common::tool): it reads
//! nothing of the machine while planning but whether the host keeps an
//! NVIDIA runfile (its guards read the guests when the steps run), plans
//! and renders.

use crate::cli::{Cli, Cmd};
use crate::TOOL;
use phx_common::cli::{Failure, GuestFilter, InputArgs};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::PlanWriter;
use std::convert::Infallible;
use std::path::{Path, PathBuf};

pub struct Features;

fn build(inv: &Inventory, state_root: &Path) -> Result<(crate::Output, Summary), Failure> {
    let mut out = crate::build(inv, state_root).map_err(Failure::Invalid)?;
    let summary = Summary {
        warnings: std::mem::take(&mut out.warnings),
        notes: std::mem::take(&mut out.notes),
        ..Summary::default()
    };
    Ok((out, summary))
}

impl Tool for Features {
    const NAME: &'static str = TOOL;
    type Cli = Cli;
    type Options = GuestFilter;
    /// The state root.
    type Observed = PathBuf;
    type Extra = Infallible;

    fn route(cli: Cli) -> Route<GuestFilter, Infallible> {
        match cli.cmd {
            None => Route::Plan {
                input: cli.input,
                options: cli.filter,
            },
            Some(Cmd::Plan { input, filter }) => Route::Plan {
                input,
                options: filter,
            },
            Some(Cmd::Render(r)) => Route::Render(r),
        }
    }

    fn observe(_inv: &Inventory, input: &InputArgs) -> Result<PathBuf, Failure> {
        Ok(input.state_root.clone())
    }

    fn plan(
        inv: &Inventory,
        root: &PathBuf,
        filter: GuestFilter,
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let sel = filter.selection(inv)?;
        let (mut out, summary) = build(inv, root)?;
        // --guest: the named guests' steps only.
        sel.keep_in_guest_steps(&mut out.plan);
        Ok(Planned::whole(out.plan, sink, summary))
    }

    fn render(inv: &Inventory, input: &InputArgs) -> Result<Rendered, Failure> {
        let (out, summary) = build(inv, &input.state_root)?;
        let files = crate::render(&out);
        Ok(Rendered { files, summary })
    }

    fn extra(cmd: Infallible) -> Result<u8, Failure> {
        match cmd {}
    }
}
