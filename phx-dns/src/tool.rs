//! phx-dns under the tool contract (phx_common::tool): it reads nothing of
//! the machine while planning (its guards ask dpkg when the plan runs),
//! plans, renders, and answers `pkg-installed` for those guards.

use crate::cli::{Cli, Cmd};
use crate::TOOL;
use phx_common::cli::{Failure, InputArgs};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use phx_plan::PlanWriter;

pub struct Dns;

/// phx-dns's subcommands beyond plan and render.
pub enum Extra {
    /// Whether a package is installed: a predicate for guards.
    PkgInstalled(String),
}

/// The plan and files, with what building them had to say.
fn build(inv: &Inventory) -> Result<(crate::Output, Summary), Failure> {
    let mut opts = crate::Options::default();
    // The plan's guards call this very program.
    if let Some(exe) = phx_common::tool::own_program(TOOL) {
        opts.phx_dns = exe;
    }
    let mut out = crate::build(inv, &opts).map_err(Failure::Invalid)?;
    let summary = Summary {
        warnings: std::mem::take(&mut out.warnings),
        notes: std::mem::take(&mut out.notes),
        ..Summary::default()
    };
    Ok((out, summary))
}

impl Tool for Dns {
    const NAME: &'static str = TOOL;
    type Cli = Cli;
    type Options = ();
    type Observed = ();
    type Extra = Extra;

    fn route(cli: Cli) -> Route<(), Extra> {
        match cli.cmd {
            None => Route::Plan {
                input: cli.input,
                options: (),
            },
            Some(Cmd::Plan { input }) => Route::Plan { input, options: () },
            Some(Cmd::Render(r)) => Route::Render(r),
            Some(Cmd::PkgInstalled { package }) => Route::Extra(Extra::PkgInstalled(package)),
        }
    }

    fn observe(_inv: &Inventory, _input: &InputArgs) -> Result<(), Failure> {
        Ok(())
    }

    fn plan(
        inv: &Inventory,
        _seen: &(),
        _options: (),
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let (out, summary) = build(inv)?;
        Ok(Planned::whole(out.plan, sink, summary))
    }

    fn render(inv: &Inventory, _input: &InputArgs) -> Result<Rendered, Failure> {
        let (out, summary) = build(inv)?;
        Ok(Rendered {
            files: out.files,
            summary,
        })
    }

    fn extra(cmd: Extra) -> Result<u8, Failure> {
        match cmd {
            // "Not installed" is the false answer, not an error.
            Extra::PkgInstalled(package) => Ok(if crate::pkg::installed(&package) {
                EXIT_OK
            } else {
                EXIT_FAILED
            }),
        }
    }
}
