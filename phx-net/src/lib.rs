//! phx-net: the host's network — the primary bridge stanza, the hostname,
//! `/etc/hosts` and `/etc/resolv.conf` — as a plan.

pub mod cli;
pub mod hosts;
pub mod interfaces;
pub mod rename;
pub mod tool;

use phx_common::config::Inventory;
use phx_plan::{argv, Action, BlockStep, FileStep, HandlerStep, LinesStep, Plan};
use std::net::IpAddr;

pub const TOOL: &str = "phx-net";
pub const INTERFACES: &str = "/etc/network/interfaces";
pub const HOSTNAME: &str = "/etc/hostname";
pub const HOSTS: &str = "/etc/hosts";
pub const RESOLV: &str = "/etc/resolv.conf";
/// The resolver reads at most this many `nameserver` lines (glibc MAXNS).
pub const MAX_NAMESERVERS: usize = 3;

/// What the machine has now, read under `--root`.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub interfaces: Option<String>,
    /// `(path, text)` of files under /etc/network/interfaces.d/.
    pub interfaces_d: Vec<(String, String)>,
    pub hosts: Option<String>,
    pub interfaces_new_pending: bool,
    /// The node's name now (`uname -n`; under a state root its /etc/hostname).
    pub node: Option<String>,
    /// What `/etc/pve/nodes/<node>/` holds that a rename would orphan.
    pub node_holds: rename::Holdings,
}

/// The generated files and what the operator should be told about them.
#[derive(Debug)]
pub struct Rendered {
    pub interfaces: String,
    pub hostname: String,
    pub hosts_block: String,
    /// Lines mapping the node's name to loopback, to comment out.
    pub loopback: hosts::LoopbackLines,
    pub resolv: String,
    pub notes: Vec<String>,
}

pub fn render(inv: &Inventory, seen: &Observed) -> Result<Rendered, String> {
    let net = &inv.host.network;
    for (path, text) in &seen.interfaces_d {
        if !interfaces::definitions(text, &net.bridge).is_empty() {
            return Err(format!("{} defines {} too; Phoenix manages it in {INTERFACES} only. Remove that definition, then run again", path, net.bridge));
        }
    }
    let edited = interfaces::edit(seen.interfaces.as_deref(), net)?;
    let mut notes = edited.notes;
    if seen.interfaces_new_pending {
        notes.push(format!("{INTERFACES}.new exists: a change staged in the Proxmox GUI will overwrite {INTERFACES} at the next apply or boot"));
    }
    let fqdn = format!("{}.{}", net.hostname, inv.host.domain);
    let addr = net.address.addr();
    let mut loopback = hosts::LoopbackLines::default();
    if let Some(text) = &seen.hosts {
        let names = [net.hostname.as_str(), fqdn.as_str()];
        loopback = hosts::loopback_lines(
            phx_plan::edit::outside_block(text, "host").into_iter(),
            &names,
        );
        for line in &loopback.found {
            notes.push(format!("{HOSTS}: {line:?} maps {} to loopback: commented out (the line starts with {:?}; remove that to restore it)", net.hostname, hosts::MARKER.trim_end()));
        }
        for line in phx_plan::edit::outside_block(text, "host") {
            let mut words = line.split_whitespace();
            let ip = words.next().unwrap_or("");
            if !line.trim_start().starts_with('#')
                && ip != addr.to_string()
                && !ip.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
                && words.any(|w| w == net.hostname || w == fqdn)
            {
                notes.push(format!("{HOSTS} also maps {} to {ip} (line {line:?}); the first match wins, so remove it for Proxmox to see {addr}", net.hostname));
            }
        }
    }
    Ok(Rendered {
        interfaces: edited.text,
        hostname: format!("{}\n", net.hostname),
        hosts_block: format!("{addr} {fqdn} {}\n", net.hostname),
        loopback,
        resolv: resolv_conf(inv, &mut notes),
        notes,
    })
}

fn resolv_conf(inv: &Inventory, notes: &mut Vec<String>) -> String {
    let mut servers: Vec<IpAddr> = Vec::new();
    if inv.host.dns_server.enabled {
        servers.push(IpAddr::from([127, 0, 0, 1]));
    }
    for s in &inv.host.network.nameservers {
        if !servers.contains(s) {
            servers.push(*s);
        }
    }
    if servers.len() > MAX_NAMESERVERS {
        let ignored: Vec<String> = servers[MAX_NAMESERVERS..]
            .iter()
            .map(IpAddr::to_string)
            .collect();
        notes.push(format!("{} nameservers for {RESOLV}; the resolver uses the first {MAX_NAMESERVERS} and ignores {}", servers.len(), ignored.join(", ")));
    }
    let mut out = format!(
        "# Managed by Phoenix (phx-net); edits are overwritten.\nsearch {}\n",
        inv.host.domain
    );
    for s in servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    out
}

/// The plan; `rename_node`: a node whose name changes may orphan what its
/// /etc/pve/nodes directory holds (see [`rename::check`]).
pub fn plan(
    inv: &Inventory,
    seen: &Observed,
    rename_node: bool,
) -> Result<(Plan, Vec<String>), String> {
    let renamed = rename::check(inv, seen, rename_node)?;
    let mut r = render(inv, seen)?;
    r.notes.extend(renamed);
    let mut p = Plan::new(TOOL);
    let file = |path: &str, content: String, notify: &[&str]| {
        Action::File(FileStep {
            path: path.into(),
            content,
            mode: Some("0644".into()),
            notify: notify.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
    };
    p.push(
        "net:interfaces",
        file(INTERFACES, r.interfaces, &["net:ifreload"]),
    );
    p.push(
        "net:hostname",
        file(HOSTNAME, r.hostname, &["net:set-hostname"]),
    );
    p.push(
        "net:hosts",
        Action::Block(BlockStep {
            path: HOSTS.into(),
            marker: "host".into(),
            content: r.hosts_block,
            notify: vec![],
        }),
    );
    if !r.loopback.found.is_empty() {
        p.push(
            "net:hosts-loopback",
            Action::Lines(LinesStep {
                path: HOSTS.into(),
                lines: r.loopback.wanted,
                owned: r.loopback.found,
                ..Default::default()
            }),
        );
    }
    p.push("net:resolv", file(RESOLV, r.resolv, &[]));
    p.push(
        "net:ifreload",
        Action::Handler(HandlerStep {
            superseded_by: vec![],
            confirm: true,
            only_if: None,
            argv: argv(&["ifreload", "-a"]),
            desc: "apply the bridge stanza without a reboot".into(),
        }),
    );
    p.push(
        "net:set-hostname",
        Action::Handler(HandlerStep {
            superseded_by: vec![],
            confirm: false,
            only_if: None,
            argv: argv(&["hostnamectl", "set-hostname", &inv.host.network.hostname]),
            desc: "set the running hostname".into(),
        }),
    );
    Ok((p, r.notes))
}
