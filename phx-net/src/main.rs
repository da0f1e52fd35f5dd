//! phx-net: plans the host network (bridge stanza, hostname, /etc/hosts,
//! /etc/resolv.conf) from the Phoenix JSON. It never writes to the system.

use clap::Parser;
use phx_common::cli::{emit, finish, leave_to_exit, render, Failure, InputArgs, RenderArgs};
use phx_net::cli::{Args, Cmd};
use phx_net::{Observed, HOSTNAME, HOSTS, INTERFACES, RESOLV};
use phx_plan::fsutil::read_optional;
use std::path::PathBuf;
use std::process::ExitCode;

fn observe(input: &InputArgs) -> Result<Observed, Failure> {
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
        Some(n) => phx_net::rename::Holdings::read(&input.state_root, n).map_err(|e| {
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

fn run(args: Args) -> Result<u8, Failure> {
    let (input, out, rendering, rename_node) = match args.cmd {
        None => (args.input, None, false, args.rename_node),
        Some(Cmd::Plan { input, rename_node }) => (input, None, false, rename_node),
        Some(Cmd::Render(RenderArgs { input, out })) => (input, out, true, true),
    };
    let inv = input.load_without_rules(phx_net::TOOL)?;
    let seen = observe(&input)?;
    // The machine's files are refused as they are (e.g. a second bridge
    // definition): like bad input, nothing is planned, exit 2.
    let refuse = Failure::Usage;
    if rendering {
        let r = phx_net::render(&inv, &seen).map_err(refuse)?;
        r.notes.iter().for_each(|n| eprintln!("phx-net: note: {n}"));
        let hosts = phx_plan::edit::with_block(seen.hosts.as_deref(), "host", &r.hosts_block)
            .map_err(refuse)?;
        let hosts = phx_plan::edit::with_lines(&hosts, &r.loopback.wanted, &r.loopback.found, None);
        let files = vec![
            (INTERFACES.to_string(), r.interfaces),
            (HOSTNAME.to_string(), r.hostname),
            (HOSTS.to_string(), hosts),
            (RESOLV.to_string(), r.resolv),
        ];
        return render(&files, out.as_deref());
    }
    let (plan, notes) = phx_net::plan(&inv, &seen, rename_node).map_err(refuse)?;
    leave_to_exit(inv);
    notes.iter().for_each(|n| eprintln!("phx-net: note: {n}"));
    emit(&plan)
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish("phx-net", run(Args::parse()))
}
