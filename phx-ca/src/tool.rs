//! phx-ca under the tool contract (phx_common::tool): it reads nothing of
//! the machine while planning (its steps read the guests when they run),
//! plans, renders, and prints the exported root's fingerprint.

use crate::cli::{Cli, Cmd};
use crate::TOOL;
use phx_common::cli::{warn, Failure, GuestFilter, InputArgs};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use phx_plan::PlanWriter;

pub struct Ca;

/// phx-ca's subcommands beyond plan and render.
pub enum Extra {
    /// The SHA-256 fingerprint of the root certificate the plan exported.
    Fingerprint(InputArgs),
}

fn build(inv: &Inventory) -> Result<(crate::Output, Summary), Failure> {
    let mut out = crate::build(inv).map_err(Failure::Invalid)?;
    let summary = Summary {
        warnings: std::mem::take(&mut out.warnings),
        ..Summary::default()
    };
    Ok((out, summary))
}

impl Tool for Ca {
    const NAME: &'static str = TOOL;
    type Cli = Cli;
    type Options = GuestFilter;
    type Observed = ();
    type Extra = Extra;

    fn route(cli: Cli) -> Route<GuestFilter, Extra> {
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
            Some(Cmd::Fingerprint { input }) => Route::Extra(Extra::Fingerprint(input)),
        }
    }

    fn observe(_inv: &Inventory, _input: &InputArgs) -> Result<(), Failure> {
        Ok(())
    }

    fn plan(
        inv: &Inventory,
        _seen: &(),
        filter: GuestFilter,
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let sel = filter.selection(inv)?;
        let (mut out, summary) = build(inv)?;
        // --guest: the named guests' steps only (the host's trust and the
        // exported root are a whole run's).
        sel.keep_in_guest_steps(&mut out.plan);
        Ok(Planned::whole(out.plan, sink, summary))
    }

    fn render(inv: &Inventory, input: &InputArgs) -> Result<Rendered, Failure> {
        let (out, summary) = build(inv)?;
        let files = crate::render(inv, &out.topology, &input.state_root)?;
        Ok(Rendered { files, summary })
    }

    /// The exported root's fingerprint and path; nothing before the plan
    /// exported it.
    fn after_run(inv: &Inventory, input: &InputArgs) -> Result<Option<String>, Failure> {
        let (out, _) = build(inv)?;
        let path = out.topology.exported_root();
        let pem = std::fs::read_to_string(input.observed(&path));
        Ok(pem
            .ok()
            .as_deref()
            .and_then(phx_common::pem::first_fingerprint)
            .map(|fp| format!("{fp}  {path}")))
    }

    fn extra(cmd: Extra) -> Result<u8, Failure> {
        let Extra::Fingerprint(input) = cmd;
        let inv = Self::load(&input)?;
        let (out, summary) = build(&inv)?;
        warn(TOOL, &summary.warnings);
        match Self::after_run(&inv, &input)? {
            Some(line) => {
                println!("{line}");
                Ok(EXIT_OK)
            }
            None => {
                let path = out.topology.exported_root();
                eprintln!("{TOOL}: {path}: no root certificate exported yet (run the plan first)");
                Ok(EXIT_FAILED)
            }
        }
    }
}
