//! Inventory → validated firewall objects → rendered files → lockout guard
//! → plan. Nothing is planned from a configuration with problems.

use crate::check::{self, Ctx, JsonLoc};
use crate::fwfile::{rendered_doc, FwDoc, Kind};
use crate::lockout::{self, Lockout, Who};
use crate::sim::localnet::Routes;
use crate::sim::{Decider, Docs, Ruleset, Topology};
use phx_common::config::reader::join_key;
use phx_common::config::{Inventory, Problems};
use phx_common::plan::{argv, Action, FileStep, HandlerStep, Plan};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

pub use crate::TOOL;
pub const COMPILE: &str = "fw:compile";
pub const RESTART: &str = "fw:restart";

/// Checks every firewall object in the inventory. `Ok` carries warnings.
pub fn validate(inv: &Inventory) -> Result<Vec<String>, Problems> {
    let mut p = Problems::default();
    let cluster = inv.host.firewall.as_ref();
    let groups: BTreeSet<String> = cluster
        .map(|c| c.groups.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(fw) = cluster {
        let ctx = Ctx {
            kind: Kind::Cluster,
            cluster: None,
            groups: &groups,
        };
        let base = &inv.host.firewall_path;
        let file = &inv.sources.hypervisor;
        check::check(fw, &ctx, file, &JsonLoc { base }, &mut p);
        let ctx = Ctx {
            kind: Kind::Host,
            cluster,
            groups: &groups,
        };
        if let Some(host) = &fw.host {
            let base = join_key(base, "host");
            check::check(host, &ctx, file, &JsonLoc { base: &base }, &mut p);
        }
        let node = &inv.host.network.hostname;
        for (name, host) in &fw.hosts {
            let base = join_key(&join_key(base, "hosts"), name);
            check::check(host, &ctx, file, &JsonLoc { base: &base }, &mut p);
            if name == node && fw.host.is_some() {
                p.push(
                    file,
                    &base,
                    format!("{name:?}"),
                    format!("one host.fw per node: this node's ({node}, network.hostname) is already the firewall's \"host\""),
                );
            }
        }
    }
    for g in inv.guests() {
        if let Some(fw) = g.firewall() {
            let base = join_key(g.path(), "firewall");
            let ctx = Ctx {
                kind: Kind::Guest(g.id()),
                cluster,
                groups: &groups,
            };
            check::check(fw, &ctx, inv.file_of(g), &JsonLoc { base: &base }, &mut p);
        }
    }
    if cluster.is_none() && inv.guests().any(|g| g.firewall().is_some()) {
        p.warn("guests have firewall objects but the hypervisor configuration has none: no cluster.fw is written, and Proxmox filters nothing until cluster.fw has enable: 1");
    }
    for w in check::nics::undeclared_nics(inv) {
        p.warn(w);
    }
    if p.is_empty() {
        Ok(p.warnings)
    } else {
        Err(p)
    }
}

/// The files Phoenix proposes: path, content, and the document for simulation.
pub struct Proposed<'a> {
    pub cluster: Option<(String, FwDoc<'a>)>,
    /// This node's host.fw: its path (the node's directory), text and document.
    pub host: Option<(String, String, FwDoc<'a>)>,
    /// Other nodes' host.fw (`hosts`): node, path, text.
    pub other_hosts: Vec<(String, String, String)>,
    pub guests: Vec<(u32, String, FwDoc<'a>)>,
}

/// This node's host object: `host`, else `hosts.<network.hostname>`.
fn own_host<'a>(
    fw: &'a phx_common::config::Firewall,
    node: &str,
) -> Option<&'a phx_common::config::Firewall> {
    fw.host.as_deref().or_else(|| fw.hosts.get(node))
}

pub fn propose(inv: &Inventory) -> Proposed<'_> {
    let cluster = inv
        .host
        .firewall
        .as_ref()
        .map(|fw| rendered_doc(Kind::Cluster.path(), Kind::Cluster, fw));
    let node = &inv.host.network.hostname;
    let host = inv.host.firewall.as_ref().and_then(|fw| {
        let h = own_host(fw, node)?;
        let path = Kind::Host.path_on(node);
        let (text, doc) = rendered_doc(path.clone(), Kind::Host, h);
        Some((path, text, doc))
    });
    let other_hosts = inv
        .host
        .firewall
        .iter()
        .flat_map(|fw| &fw.hosts)
        .filter(|(name, _)| *name != node)
        .map(|(name, h)| {
            let path = Kind::Host.path_on(name);
            let (text, _) = rendered_doc(path.clone(), Kind::Host, h);
            (name.clone(), path, text)
        })
        .collect();
    let guests = inv
        .guests()
        .filter_map(|g| {
            let fw = g.firewall()?;
            let kind = Kind::Guest(g.id());
            let (text, doc) = rendered_doc(kind.path(), kind, fw);
            Some((g.id(), text, doc))
        })
        .collect();
    Proposed {
        cluster,
        host,
        other_hosts,
        guests,
    }
}

impl<'a> Proposed<'a> {
    /// All files, cluster.fw first, then host.fw.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((text, _)) = &self.cluster {
            out.push((Kind::Cluster.path(), text.clone()));
        }
        if let Some((path, text, _)) = &self.host {
            out.push((path.clone(), text.clone()));
        }
        for (_, path, text) in &self.other_hosts {
            out.push((path.clone(), text.clone()));
        }
        for (id, text, _) in &self.guests {
            out.push((Kind::Guest(*id).path(), text.clone()));
        }
        out
    }

    pub fn ruleset(self, inv: &Inventory) -> Ruleset<'a> {
        self.ruleset_with(inv, Routes::None)
    }

    /// The ruleset with `local_network` derived from the node's routes.
    pub fn ruleset_with(self, inv: &Inventory, routes: Routes) -> Ruleset<'a> {
        let mut topo = Topology::from_inventory(inv);
        topo.routes = routes;
        Ruleset::build_all(
            topo,
            Docs {
                cluster: self.cluster.map(|(_, d)| d),
                host: self.host.map(|(_, _, d)| d),
                guests: self.guests.into_iter().map(|(id, _, d)| (id, d)).collect(),
            },
        )
    }
}

/// Who must keep access to the host's SSH and web UI: the admin network
/// (`network.default_subnet`, else the host's own network, so the guard
/// never checks nothing) and the operator's SSH client.
pub fn guarded(inv: &Inventory, ssh_client: Option<Ipv4Addr>) -> Vec<Who> {
    let mut who = vec![match inv.host.network.default_subnet {
        Some(n) => Who::AdminNet(n),
        None => Who::HostNet(inv.host.network.address.trunc()),
    }];
    if let Some(ip) = ssh_client {
        who.push(Who::SshClient(ip));
    }
    who
}

/// A lockout as a configuration problem: the rule or policy responsible, with its JSON path.
pub fn lockout_problems(inv: &Inventory, found: &[Lockout]) -> Problems {
    let mut p = Problems::default();
    let file = &inv.sources.hypervisor;
    let fw_path = &inv.host.firewall_path;
    for l in found {
        let what = format!(
            "a ruleset that keeps tcp/{} to the host {} open from {}; this {} it for {} — add an ACCEPT rule before it, or pass --allow-lockout",
            l.port,
            inv.host.network.address.addr(),
            l.who.describe(),
            match l.verdict {
                crate::sim::Verdict::Reject => "REJECTs",
                _ => "DROPs",
            },
            l.affected
        );
        match &l.decider {
            Decider::Rule {
                file: fwfile,
                line,
                text,
                path,
            } => p.push(file, path, format!("{text:?} ({fwfile}:{line})"), what),
            Decider::Policy { value, .. } => p.push(
                file,
                &join_key(fw_path, "default_input_policy"),
                format!(
                    "{:?} (policy_in, after every rule and the implicit +management accept)",
                    value.to_string()
                ),
                what,
            ),
            other => p.push(
                file,
                &join_key(&join_key(fw_path, "ipsets"), "blacklist"),
                other.to_string(),
                what,
            ),
        }
    }
    p
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub allow_lockout: bool,
    pub ssh_client: Option<Ipv4Addr>,
    /// The node's routes, for `local_network` in +management.
    pub routes: Routes,
}

/// The plan for a validated inventory, or every problem (validation, then
/// lockout). Warnings come with either; the caller prints them.
pub fn plan(inv: &Inventory, opts: &Options) -> Result<(Plan, Vec<String>), Problems> {
    let mut notes = validate(inv)?;
    let proposed = propose(inv);
    let files = proposed.files();
    let rs = proposed.ruleset_with(inv, opts.routes.clone());
    notes.extend(rs.notes().iter().cloned());
    let who = guarded(inv, opts.ssh_client);
    for w in &who {
        if let Who::HostNet(n) = w {
            notes.push(format!("no network.default_subnet: the lockout guard checks the host's own network {n} (from network.address) as the admin network; set default_subnet to the network you manage the host from"));
        }
    }
    let found = lockout::check(&rs, &who);
    if !found.is_empty() {
        if !opts.allow_lockout {
            let mut p = lockout_problems(inv, &found);
            p.warnings = notes;
            return Err(p);
        }
        for l in &found {
            notes.push(format!(
                "--allow-lockout: tcp/{} from {} ({}) is not accepted: {} by {}",
                l.port,
                l.who.describe(),
                l.affected,
                l.verdict,
                l.decider
            ));
        }
    }
    let mut plan = Plan::new(TOOL);
    for (path, content) in files {
        let id = match path.rsplit('/').next() {
            Some("host.fw") if path == Kind::Host.path_on(&inv.host.network.hostname) => {
                "fw:host".to_string()
            }
            Some("host.fw") => {
                let node = path.rsplit('/').nth(1).unwrap_or_default();
                format!("fw:host:{node}")
            }
            name => match name.and_then(Kind::of_file) {
                Some(Kind::Guest(id)) => format!("fw:guest:{id}"),
                _ => "fw:cluster".to_string(),
            },
        };
        // pmxcfs refuses chmod/chown: no mode or owner under /etc/pve.
        plan.push(
            id,
            Action::File(FileStep {
                path,
                content,
                notify: vec![COMPILE.into(), RESTART.into()],
                ..Default::default()
            }),
        );
    }
    if !plan.steps.is_empty() {
        plan.push(
            COMPILE,
            Action::Handler(HandlerStep {
                superseded_by: vec![],
                confirm: false,
                // `pve-firewall compile` is the check; where the command is
                // missing (a preview machine) the restart still follows.
                only_if: Some(argv(&["which", "pve-firewall"])),
                argv: argv(&["pve-firewall", "compile"]),
                desc: "check the changed firewall files compile (pve-firewall compile)".into(),
            }),
        );
        plan.push(
            RESTART,
            Action::Handler(HandlerStep {
                superseded_by: vec![],
                confirm: true,
                only_if: None,
                argv: argv(&["pve-firewall", "restart"]),
                desc: "reload the firewall with the changed files".into(),
            }),
        );
    }
    Ok((plan, notes))
}
