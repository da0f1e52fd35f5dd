//! phx-gpu under the tool contract (phx_common::tool): reads the node only
//! when the JSON wants the driver (lspci, the kernel release, dpkg), plans,
//! renders, and answers its guards (`pkg-installed`, `driver-is`).

use crate::cli::{Cli, Cmd};
use crate::observe::{self, Observed};
use crate::{Wanted, TOOL};
use phx_common::cli::{Failure, InputArgs};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use phx_plan::PlanWriter;

pub struct Gpu;

/// phx-gpu's subcommands beyond plan and render: the plan's guards.
pub enum Extra {
    PkgInstalled(Vec<String>),
    DriverIs(String),
}

fn options() -> crate::Options {
    let mut opts = crate::Options::default();
    // The plan's guards call this very program.
    if let Some(exe) = phx_common::tool::own_program(TOOL) {
        opts.phx_gpu = exe;
    }
    opts
}

fn summary(out: &mut crate::Output) -> Summary {
    Summary {
        warnings: std::mem::take(&mut out.warnings),
        notes: std::mem::take(&mut out.notes),
        ..Summary::default()
    }
}

impl Tool for Gpu {
    const NAME: &'static str = TOOL;
    type Cli = Cli;
    type Options = ();
    type Observed = Observed;
    type Extra = Extra;

    fn route(cli: Cli) -> Route<(), Extra> {
        match cli.cmd {
            None => Route::Plan {
                input: cli.input,
                options: (),
            },
            Some(Cmd::Plan { input }) => Route::Plan { input, options: () },
            Some(Cmd::Render(r)) => Route::Render(r),
            Some(Cmd::PkgInstalled { packages }) => Route::Extra(Extra::PkgInstalled(packages)),
            Some(Cmd::DriverIs { version }) => Route::Extra(Extra::DriverIs(version)),
        }
    }

    fn observe(inv: &Inventory, input: &InputArgs) -> Result<Observed, Failure> {
        let wants = Wanted::of(inv).driver.is_some();
        Ok(observe::observe(wants, &input.state_root)?)
    }

    fn plan(
        inv: &Inventory,
        seen: &Observed,
        _options: (),
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let mut out = crate::build(&Wanted::of(inv), seen, &options());
        let summary = summary(&mut out);
        Ok(Planned::whole(out.plan, sink, summary))
    }

    /// The files as they would be written on a node with a GPU (render reads
    /// no machine).
    fn render(inv: &Inventory, _input: &InputArgs) -> Result<Rendered, Failure> {
        let wanted = Wanted::of(inv);
        let mut out = crate::build(&wanted, &Observed::default(), &options());
        Ok(Rendered {
            files: std::mem::take(&mut out.files),
            summary: summary(&mut out),
        })
    }

    fn extra(cmd: Extra) -> Result<u8, Failure> {
        // "No" is the false answer of a guard, not an error.
        let yes = match cmd {
            Extra::PkgInstalled(packages) => packages.iter().all(|p| phx_common::pkg::installed(p)),
            Extra::DriverIs(version) => crate::guard::driver_is(&version),
        };
        Ok(if yes { EXIT_OK } else { EXIT_FAILED })
    }
}
