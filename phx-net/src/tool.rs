//! phx-net under the tool contract (phx_common::tool): what its command
//! line asks, how it reads the machine, plans and renders. The machine's
//! files refused as they are (e.g. a second bridge definition) are, like
//! bad input, exit 2 with nothing planned.

use crate::cli::{Args, Cmd};
use crate::{Observed, HOSTNAME, HOSTS, INTERFACES, RESOLV, TOOL};
use phx_common::cli::{Failure, InputArgs};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_common::Inventory;
use phx_plan::fsutil::read_optional;
use phx_plan::PlanWriter;
use std::convert::Infallible;
use std::path::PathBuf;

pub struct Net;

/// `--rename-node`.
pub struct Options {
    pub rename_node: bool,
}

impl Tool for Net {
    const NAME: &'static str = TOOL;
    type Cli = Args;
    type Options = Options;
    type Observed = Observed;
    type Extra = Infallible;

    fn route(args: Args) -> Route<Options, Infallible> {
        let plan = |input, rename_node| Route::Plan {
            input,
            options: Options { rename_node },
        };
        match args.cmd {
            None => plan(args.input, args.rename_node),
            Some(Cmd::Plan { input, rename_node }) => plan(input, rename_node),
            Some(Cmd::Render(r)) => Route::Render(r),
        }
    }

    fn observe(_inv: &Inventory, input: &InputArgs) -> Result<Observed, Failure> {
        read_machine(input)
    }

    fn plan(
        inv: &Inventory,
        seen: &Observed,
        options: Options,
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let (plan, notes) = crate::plan(inv, seen, options.rename_node).map_err(Failure::Usage)?;
        let summary = Summary {
            notes,
            ..Summary::default()
        };
        Ok(Planned::whole(plan, sink, summary))
    }

    fn render(inv: &Inventory, input: &InputArgs) -> Result<Rendered, Failure> {
        let seen = read_machine(input)?;
        let r = crate::render(inv, &seen).map_err(Failure::Usage)?;
        let hosts = phx_plan::edit::with_block(seen.hosts.as_deref(), "host", &r.hosts_block)
            .map_err(Failure::Usage)?;
        let hosts = phx_plan::edit::with_lines(&hosts, &r.loopback.wanted, &r.loopback.found, None);
        let files = vec![
            (INTERFACES.to_string(), r.interfaces),
            (HOSTNAME.to_string(), r.hostname),
            (HOSTS.to_string(), hosts),
            (RESOLV.to_string(), r.resolv),
        ];
        Ok(Rendered {
            files,
            summary: Summary {
                notes: r.notes,
                ..Summary::default()
            },
        })
    }

    fn extra(cmd: Infallible) -> Result<u8, Failure> {
        match cmd {}
    }
}

fn read_machine(input: &InputArgs) -> Result<Observed, Failure> {
    let read = |p: &str| {
        read_optional(&input.observed(p)).map_err(|e| {
            Failure::Runtime(anyhow::anyhow!(
                "reading {p} under {}: {e}",
                input.state_root.display()
            ))
        })
    };
    let mut interfaces_d = Vec::new();
    if let Ok(entries) = std::fs::read_dir(input.observed("/etc/network/interfaces.d")) {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| Failure::Runtime(anyhow::anyhow!("reading {}: {e}", p.display())))?;
            interfaces_d.push((
                format!(
                    "/etc/network/interfaces.d/{}",
                    p.file_name().unwrap().to_string_lossy()
                ),
                text,
            ));
        }
    }
    let node = phx_common::node::node_name(&input.state_root);
    let node_holds = match &node {
        Some(n) => crate::rename::Holdings::read(&input.state_root, n).map_err(|e| {
            Failure::Runtime(anyhow::anyhow!(
                "reading /etc/pve/nodes/{n} under {}: {e}",
                input.state_root.display()
            ))
        })?,
        None => Default::default(),
    };
    Ok(Observed {
        interfaces: read(INTERFACES)?,
        interfaces_d,
        hosts: read(HOSTS)?,
        interfaces_new_pending: input.observed("/etc/network/interfaces.new").exists(),
        node,
        node_holds,
    })
}
