//! phx-fw under the tool contract (phx_common::tool): it loads the rules
//! (the only tool that reads them), observes who is connected over SSH and
//! the node's name, plans and renders; simulate, parse and lint are its own
//! subcommands (`commands`).

use crate::cli::{Args, Cmd, RoutesArg};
use crate::planner::{self, Options};
use crate::TOOL;
use phx_common::cli::{Failure, InputArgs};
use phx_common::config::{Inventory, Rules};
use phx_common::tool::{Planned, Rendered, Route, Summary, Tool};
use phx_plan::PlanWriter;
use std::path::{Path, PathBuf};

pub struct Fw;

/// What the command line sets for planning.
pub struct Flags {
    pub allow_lockout: bool,
    pub routes: RoutesArg,
    /// Flows the operator accepts blocked (`--allow-blocked-flow`).
    pub allow_blocked_flows: Vec<String>,
}

/// Who is connected, and where: read before planning.
pub struct Seen {
    /// The SSH client's address, which the lockout guard keeps reachable.
    pub ssh_client: Option<std::net::Ipv4Addr>,
    /// The node's name, which names the directory of its host.fw.
    pub node: String,
    pub state_root: PathBuf,
    /// What reading them found to warn about, said with the plan's warnings.
    pub warnings: Vec<String>,
}

/// phx-fw's subcommands beyond plan and render.
pub enum Extra {
    Simulate(Box<crate::cli::SimArgs>),
    Parse(crate::cli::ParseArgs),
    Lint(crate::cli::ParseArgs),
    Flows(crate::cli::FlowsArgs),
}

pub(crate) fn warn_all(notes: &[String]) {
    phx_common::cli::warn(TOOL, notes);
}

impl Tool for Fw {
    const NAME: &'static str = TOOL;
    type Cli = Args;
    type Options = Flags;
    type Observed = Seen;
    type Extra = Extra;

    fn route(args: Args) -> Route<Flags, Extra> {
        let plan = |p: crate::cli::PlanArgs| Route::Plan {
            input: p.input,
            options: Flags {
                allow_lockout: p.allow_lockout,
                routes: p.routes,
                allow_blocked_flows: p.flows.allow_blocked_flow,
            },
        };
        match args.cmd {
            None => plan(args.plan),
            Some(Cmd::Plan(p)) => plan(p),
            Some(Cmd::Render(r)) => Route::Render(r),
            Some(Cmd::Simulate(s)) => Route::Extra(Extra::Simulate(s)),
            Some(Cmd::Parse(p)) => Route::Extra(Extra::Parse(p)),
            Some(Cmd::Lint(p)) => Route::Extra(Extra::Lint(p)),
            Some(Cmd::Flows(f)) => Route::Extra(Extra::Flows(f)),
        }
    }

    /// With the rules: they are what phx-fw plans.
    const RULES: Rules = Rules::Keep;

    fn observe(inv: &Inventory, input: &InputArgs) -> Result<Seen, Failure> {
        let var = std::env::var("SSH_CLIENT").ok();
        let ssh_client = crate::lockout::ssh_client(var.as_deref());
        let mut warnings = Vec::new();
        if let (Some(v), None) = (&var, ssh_client) {
            warnings.push(format!("SSH_CLIENT={v:?} is not an IPv4 client; the lockout guard checks only the admin network (network.default_subnet, else the host's own network)"));
        }
        let (node, differs) = node_name(inv, &input.state_root);
        warnings.extend(differs);
        Ok(Seen {
            ssh_client,
            node,
            state_root: input.state_root.clone(),
            warnings,
        })
    }

    fn plan(
        inv: &Inventory,
        seen: &Seen,
        flags: Flags,
        sink: PlanWriter,
    ) -> Result<Planned, Failure> {
        let opts = Options {
            allow_lockout: flags.allow_lockout,
            ssh_client: seen.ssh_client,
            routes: flags.routes.read(&seen.state_root)?,
            node: Some(seen.node.clone()),
            allow_blocked_flows: flags.allow_blocked_flows,
        };
        // What observing found is said with a refusal too (it may explain
        // it: the lockout guard's SSH client).
        let (plan, notes) = planner::plan(inv, &opts).map_err(|mut p| {
            p.warnings.splice(0..0, seen.warnings.iter().cloned());
            Failure::Invalid(p)
        })?;
        let summary = Summary {
            warnings: seen.warnings.iter().cloned().chain(notes).collect(),
            ..Summary::default()
        };
        Ok(Planned::whole(plan, sink, summary))
    }

    fn render(inv: &Inventory, input: &InputArgs) -> Result<Rendered, Failure> {
        let warnings = planner::validate(inv).map_err(Failure::Invalid)?;
        let (node, differs) = node_name(inv, &input.state_root);
        warn_all(differs.as_slice());
        Ok(Rendered {
            files: planner::propose_on(inv, &node).files(),
            summary: Summary {
                warnings,
                ..Summary::default()
            },
        })
    }

    /// The flows only: phoenix-cli's check lists them on its own load.
    fn extra_loaded(
        inv: &Inventory,
        cmd: Extra,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> Option<Result<u8, Failure>> {
        match cmd {
            Extra::Flows(f) => Some(crate::flows::run_on(inv, f, out, err)),
            _ => None,
        }
    }

    fn extra(cmd: Extra) -> Result<u8, Failure> {
        match cmd {
            Extra::Simulate(s) => crate::commands::run_simulate(*s),
            Extra::Parse(p) => crate::commands::run_parse(p, true),
            Extra::Lint(p) => crate::commands::run_parse(p, false),
            Extra::Flows(f) => crate::flows::run(f),
        }
    }
}

/// The node's name as pve-firewall takes it (`uname -n`; under a state
/// root its /etc/hostname), which names the directory of its host.fw; the
/// configured `network.hostname` when neither says. A difference is to be
/// said (the second value): the name changes only when phx-net renames the
/// node.
pub(crate) fn node_name(inv: &Inventory, state_root: &Path) -> (String, Option<String>) {
    let configured = &inv.host.network.hostname;
    match phx_common::node::node_name(state_root) {
        Some(node) if node != *configured => {
            let differs = format!("this node is named {node:?}, not {configured:?} (network.hostname): its host.fw goes to /etc/pve/nodes/{node}/, where pve-firewall reads it");
            (node, Some(differs))
        }
        Some(node) => (node, None),
        None => (configured.clone(), None),
    }
}
