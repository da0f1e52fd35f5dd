//! phx-fw's own subcommands (the tool contract's Extra): `simulate` a
//! packet against the rules, `parse` the existing files back to JSON,
//! `lint` them.

use crate::cli::{ParseArgs, SimArgs};
use crate::existing;
use crate::planner;
use crate::sim::{self, Docs, Ruleset, Topology, Verdict};
use crate::tool::{node_name, warn_all};
use crate::TOOL;
use phx_common::cli::Failure;
use phx_common::config::Inventory;
use phx_plan::exit::EXIT_OK;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
        let (node, differs) = node_name(inv, &a.input.state_root);
        warn_all(differs.as_slice());
        let node = &node;
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

pub fn run_simulate(a: SimArgs) -> Result<u8, Failure> {
    let inv = <crate::tool::Fw as phx_common::tool::Tool>::load(&a.input)?;
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

pub fn run_parse(a: ParseArgs, print: bool) -> Result<u8, Failure> {
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
