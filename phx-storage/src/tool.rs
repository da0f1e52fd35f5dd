//! phx-storage under the tool contract (phx_common::tool): its command line
//! asks for a plan, with `--wipe-disks` as its options; it reads the node
//! through `zpool`/`zfs`/`wipefs`/`lsblk` and a few files, and renders
//! nothing (its files are small edits a plan shows in its diff).

use crate::cli::{Args, Cmd};
use crate::{Observed, Options, TOOL};
use phx_common::cli::{Failure, InputArgs};
use phx_common::tool::{Planned, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::PlanWriter;
use std::convert::Infallible;

pub struct Storage;

impl Tool for Storage {
    const NAME: &'static str = TOOL;
    type Cli = Args;
    type Options = Options;
    type Observed = Observed;
    type Extra = Infallible;

    fn route(args: Args) -> Route<Options, Infallible> {
        let (input, flags) = match args.cmd {
            None => (args.input, args.flags),
            Some(Cmd::Plan { input, flags }) => (input, flags),
        };
        Route::Plan {
            input,
            options: flags.options(),
        }
    }

    fn observe(inv: &Inventory, input: &InputArgs) -> Result<Observed, Failure> {
        Ok(crate::observe(inv, &input.state_root)?)
    }

    fn plan(
        inv: &Inventory,
        seen: &Observed,
        options: Options,
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let done = crate::plan_into(inv, seen, &options, sink).map_err(Failure::Invalid)?;
        Ok(Planned {
            sink: done.plan,
            summary: Summary {
                notes: done.notes,
                warnings: done.warnings,
                ..Summary::default()
            },
        })
    }

    fn extra(cmd: Infallible) -> Result<u8, Failure> {
        match cmd {}
    }
}
