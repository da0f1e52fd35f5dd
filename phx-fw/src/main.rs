//! phx-fw: plans the Proxmox firewall (cluster.fw, <vmid>.fw) from the
//! Phoenix JSON, simulates packets, and reads existing files back to JSON.
//! It never writes to the system.

use clap::Parser;
use phx_common::cli::{emit, finish, render, Failure, InputArgs, RenderArgs};
use phx_common::config::Inventory;
use phx_fw::cli::{Args, Cmd, ParseArgs, PlanArgs, SimArgs};
use phx_fw::existing;
use phx_fw::planner::{self, Options};
use phx_fw::sim::{self, Docs, Ruleset, Topology, Verdict};
use phx_plan::exit::EXIT_OK;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use phx_fw::TOOL;

fn warn_all(notes: &[String]) {
    for n in notes {
        eprintln!("{TOOL}: warning: {n}");
    }
}

fn run_plan(a: PlanArgs) -> Result<u8, Failure> {
    let inv = a.input.load(TOOL)?;
    let var = std::env::var("SSH_CLIENT").ok();
    let ssh = phx_fw::lockout::ssh_client(var.as_deref());
    if let (Some(v), None) = (&var, ssh) {
        eprintln!("{TOOL}: warning: SSH_CLIENT={v:?} is not an IPv4 client; the lockout guard checks only the admin network (network.default_subnet, else the host's own network)");
    }
    let opts = Options {
        allow_lockout: a.allow_lockout,
        ssh_client: ssh,
        routes: a.routes.read(&a.input.state_root)?,
        node: Some(node_name(&inv, &a.input.state_root)),
    };
    let (plan, notes) = planner::plan(&inv, &opts).map_err(Failure::Invalid)?;
    warn_all(&notes);
    let status = emit(&plan);
    phx_common::cli::leave_to_exit((inv, plan));
    status
}

/// The node's name as pve-firewall takes it (`uname -n`; under a state
/// root its /etc/hostname), which names the directory of its host.fw; the
/// configured `network.hostname` when neither says. A difference is said:
/// the name changes only when phx-net renames the node.
fn node_name(inv: &Inventory, state_root: &Path) -> String {
    let configured = &inv.host.network.hostname;
    match phx_common::node::node_name(state_root) {
        Some(node) if node != *configured => {
            eprintln!("{TOOL}: warning: this node is named {node:?}, not {configured:?} (network.hostname): its host.fw goes to /etc/pve/nodes/{node}/, where pve-firewall reads it");
            node
        }
        Some(node) => node,
        None => configured.clone(),
    }
}

fn run_render(input: InputArgs, out: Option<PathBuf>) -> Result<u8, Failure> {
    let inv = input.load(TOOL)?;
    let notes = planner::validate(&inv).map_err(Failure::Invalid)?;
    warn_all(&notes);
    let node = node_name(&inv, &input.state_root);
    render(&planner::propose_on(&inv, &node).files(), out.as_deref())
}

fn existing_files(
    root: &Path,
    given: &[PathBuf],
) -> Result<(existing::Files, phx_common::config::Problems), Failure> {
    let (paths, notes) = if given.is_empty() {
        existing::find(root)?
    } else {
        let paths = given
            .iter()
            .map(|p| (p.clone(), p.display().to_string()))
            .collect();
        (paths, Vec::new())
    };
    let (files, mut problems) = existing::read(&paths).map_err(Failure::Usage)?;
    problems.warnings.extend(notes);
    Ok((files, problems))
}

fn ruleset<'a>(inv: &'a Inventory, a: &SimArgs) -> Result<Ruleset<'a>, Failure> {
    if a.existing || a.input.state_root != Path::new("/") {
        let (mut files, mut problems) = existing_files(&a.input.state_root, &[])?;
        existing::lint(&files, &mut problems);
        // What pve-firewall cannot parse or compile it skips, and so does
        // the simulation; every such line is named.
        for p in &problems.list {
            eprintln!("{TOOL}: warning: {p}");
        }
        if let Some(more) = problems.more() {
            eprintln!("{TOOL}: warning: {more}");
        }
        warn_all(&problems.warnings);
        let node = &node_name(inv, &a.input.state_root);
        let mut topo = Topology::from_inventory(inv);
        topo.routes = a.routes.read(&a.input.state_root)?;
        warn_all(&sim::machine::read_into(
            &mut topo,
            &a.input.state_root,
            node,
        ));
        let host = files.host_of(node).cloned();
        if host.is_none() && !files.hosts.is_empty() {
            eprintln!("{TOOL}: warning: no /etc/pve/nodes/{node}/host.fw among several nodes' host.fw: host rules are not simulated");
        }
        files.hosts.clear();
        let rs = Ruleset::build_all(
            topo,
            Docs {
                cluster: files.cluster,
                host,
                guests: files.guests,
            },
        );
        warn_all(rs.notes());
        Ok(rs)
    } else {
        let notes = planner::validate(inv).map_err(Failure::Invalid)?;
        warn_all(&notes);
        let routes = a.routes.read(&a.input.state_root)?;
        // The configuration's files as they would be: on its node (the
        // name only labels host.fw's rules in answers).
        let rs = planner::propose(inv).ruleset_with(inv, routes);
        warn_all(rs.notes());
        Ok(rs)
    }
}

fn run_simulate(a: SimArgs) -> Result<u8, Failure> {
    let inv = a.input.load(TOOL)?;
    let rs = ruleset(&inv, &a)?;
    if let Some(batch) = &a.batch {
        let reader: Box<dyn BufRead> = if batch.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(batch)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", batch.display())))?,
            ))
        };
        let lines: Vec<String> = reader.lines().collect::<Result<_, _>>()?;
        let started = Instant::now();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut n = 0usize;
        let mut denied = false;
        for (i, line) in lines.iter().enumerate() {
            let bad =
                |e: String| Failure::Usage(format!("{}: line {}: {e}", batch.display(), i + 1));
            let Some(q) = sim::batch_line(line).map_err(bad)? else {
                continue;
            };
            let (ans, _) = q.run(&rs).map_err(bad)?;
            writeln!(out, "{}\t{}", ans.verdict, ans.decider)?;
            denied |= ans.verdict != Verdict::Accept;
            n += 1;
        }
        out.flush()?;
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{TOOL}: {n} queries in {secs:.3} s ({:.0} queries/s)",
            n as f64 / secs.max(1e-9)
        );
        return Ok(verdict_status(a.exit_status, denied));
    }
    let (from, to) = (
        a.from.as_deref().unwrap_or_default(),
        a.to.as_deref().unwrap_or_default(),
    );
    let q = sim::Query {
        from,
        to,
        proto: &a.proto,
        dport: a.dport,
        sport: a.sport,
        icmp_type: a.icmp_type.as_deref(),
        source: a.source,
        dest: a.dest,
        iface: a.iface.as_deref(),
        dsttype: a.dsttype.as_deref(),
        source_mac: a.source_mac.as_deref(),
    };
    let (ans, p) = q.run(&rs).map_err(Failure::Usage)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Test packet:")?;
    writeln!(
        out,
        "  from {from} ({}) to {to} ({}) proto {}{}{}",
        p.src,
        p.dst,
        a.proto,
        p.dport.map(|d| format!(" dport {d}")).unwrap_or_default(),
        p.sport.map(|s| format!(" sport {s}")).unwrap_or_default()
    )?;
    if !ans.chains.is_empty() {
        writeln!(out, "  chains: {}", ans.chains.join(" -> "))?;
    }
    writeln!(out, "ACTION: {}", ans.verdict)?;
    writeln!(out, "decided by: {}", ans.decider)?;
    Ok(verdict_status(
        a.exit_status,
        ans.verdict != Verdict::Accept,
    ))
}

/// With --exit-status, a denied packet is exit 1 (for scripts); otherwise 0.
fn verdict_status(exit_status: bool, denied: bool) -> u8 {
    if exit_status && denied {
        EXIT_DENIED
    } else {
        EXIT_OK
    }
}

/// `simulate --exit-status`: the packet (or one of the batch) is dropped or rejected.
const EXIT_DENIED: u8 = 1;

fn run_parse(a: ParseArgs, print: bool) -> Result<u8, Failure> {
    let (mut files, mut problems) = existing_files(&a.state_root, &a.files)?;
    existing::lint(&files, &mut problems);
    if !print && !problems.is_empty() {
        return Err(Failure::Invalid(problems));
    }
    warn_all(&problems.warnings);
    // parse: what pve-firewall skips is skipped here too, each line named.
    warn_all(&existing::leave_out(&mut files, &problems));
    if print {
        let mut out = std::io::stdout().lock();
        let (json, notes) = existing::to_json(&files);
        warn_all(&notes);
        serde_json::to_writer_pretty(&mut out, &json).map_err(anyhow::Error::from)?;
        writeln!(out)?;
    } else {
        eprintln!("{TOOL}: {} file(s) clean", files.count());
    }
    Ok(EXIT_OK)
}

fn run(args: Args) -> Result<u8, Failure> {
    match args.cmd {
        None => run_plan(args.plan),
        Some(Cmd::Plan(p)) => run_plan(p),
        Some(Cmd::Render(RenderArgs { input, out })) => run_render(input, out),
        Some(Cmd::Simulate(s)) => run_simulate(*s),
        Some(Cmd::Parse(p)) => run_parse(p, true),
        Some(Cmd::Lint(p)) => run_parse(p, false),
    }
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish(TOOL, run(Args::parse()))
}
