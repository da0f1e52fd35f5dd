//! Inventory → validated firewall objects → rendered files → lockout guard
//! → plan. Nothing is planned from a configuration with problems.

use crate::check::{self, Ctx, JsonLoc};
use crate::flows;
use crate::fwfile::{render_as, rendered_doc, FwDoc, Kind};
use crate::lockout::{self, Lockout, Who};
use crate::sim::localnet::Routes;
use crate::sim::{Decider, Docs, Ruleset, Scope, Topology};
use phx_common::config::reader::join_key;
use phx_common::config::{Firewall, Inventory, Problems};
use phx_common::firewall::lookup::AliasIndex;
use phx_plan::{argv, Action, FileStep, HandlerStep, Plan};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

pub use crate::TOOL;
pub const RESTART: &str = "fw:restart";

/// Checks every firewall object in the inventory. `Ok` carries warnings.
pub fn validate(inv: &Inventory) -> Result<Vec<String>, Problems> {
    let mut p = Problems::default();
    let cluster = inv.host.firewall.as_ref();
    let groups: BTreeSet<String> = cluster
        .map(|c| c.groups.keys().cloned().collect())
        .unwrap_or_default();
    let cluster_aliases = cluster.map(AliasIndex::new).unwrap_or_default();
    if let Some(fw) = cluster {
        let ctx = Ctx {
            kind: Kind::Cluster,
            cluster: None,
            cluster_aliases: &AliasIndex::default(),
            groups: &groups,
        };
        let base = &inv.host.firewall_path;
        let file = &inv.sources.hypervisor;
        check::check(fw, &ctx, file, &JsonLoc { base }, &mut p);
        let ctx = Ctx {
            kind: Kind::Host,
            cluster,
            cluster_aliases: &cluster_aliases,
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
                cluster_aliases: &cluster_aliases,
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

/// One file Phoenix proposes: its plan step's ID, where pve-firewall reads
/// it, and its text.
#[derive(Debug, Clone)]
pub struct ProposedFile {
    pub id: String,
    pub path: String,
    pub text: String,
}

impl ProposedFile {
    /// `fw` rendered as the file `id` at `path`, pushed onto `files`; its
    /// document, for the simulator.
    fn with_doc<'a>(
        files: &mut Vec<ProposedFile>,
        id: String,
        path: String,
        kind: Kind,
        fw: &'a Firewall,
    ) -> FwDoc<'a> {
        let (text, doc) = rendered_doc(path.clone(), kind, fw);
        files.push(ProposedFile { id, path, text });
        doc
    }
}

/// The files Phoenix proposes and the documents the simulator compiles.
pub struct Proposed<'a> {
    /// In plan order: cluster.fw, this node's host.fw, other nodes' host.fw
    /// (`hosts`), then the guests' `<vmid>.fw`.
    pub files: Vec<ProposedFile>,
    /// cluster.fw, this node's host.fw and the guests' files, each with the
    /// line of every rule; other nodes' host.fw are not simulated.
    pub docs: Docs<'a>,
}

/// This node's host object: `host`, else `hosts.<node>` (its name now),
/// else `hosts.<network.hostname>`.
fn own_host<'a>(
    fw: &'a phx_common::config::Firewall,
    node: &str,
    configured: &str,
) -> Option<&'a phx_common::config::Firewall> {
    fw.host
        .as_deref()
        .or_else(|| fw.hosts.get(node))
        .or_else(|| fw.hosts.get(configured))
}

/// The files for a node named `network.hostname`.
pub fn propose(inv: &Inventory) -> Proposed<'_> {
    propose_on(inv, &inv.host.network.hostname)
}

/// The files for the node named `node`: its host.fw goes where pve-firewall
/// reads it, `/etc/pve/nodes/<node>/host.fw` (`PVE::INotify::nodename`,
/// i.e. `uname -n`), whatever `network.hostname` says.
pub fn propose_on<'a>(inv: &'a Inventory, node: &str) -> Proposed<'a> {
    propose_with(inv, true, node)
}

/// The files, and the guests' documents only when asked for: the lockout
/// guard compiles no guest file, and 10,000 guests' documents are MBs.
fn propose_with<'a>(inv: &'a Inventory, guest_docs: bool, node: &str) -> Proposed<'a> {
    let guests = inv.guests().filter(|g| g.firewall().is_some()).count();
    let hosts = inv
        .host
        .firewall
        .as_ref()
        .map_or(0, |fw| 2 + fw.hosts.len());
    let mut files = Vec::with_capacity(hosts + guests);
    let mut docs = Docs {
        guests: Vec::with_capacity(if guest_docs { guests } else { 0 }),
        ..Docs::default()
    };
    let configured = inv.host.network.hostname.as_str();
    if let Some(fw) = &inv.host.firewall {
        let cluster = ProposedFile::with_doc(
            &mut files,
            "fw:cluster".into(),
            Kind::Cluster.path(),
            Kind::Cluster,
            fw,
        );
        docs.cluster = Some(cluster);
        if let Some(h) = own_host(fw, node, configured) {
            let host = ProposedFile::with_doc(
                &mut files,
                "fw:host".into(),
                Kind::Host.path_on(node),
                Kind::Host,
                h,
            );
            docs.host = Some(host);
        }
        let this_node = |name: &str| name == node || (fw.host.is_none() && name == configured);
        for (name, h) in fw.hosts.iter().filter(|(name, _)| !this_node(name)) {
            files.push(ProposedFile {
                id: format!("fw:host:{name}"),
                path: Kind::Host.path_on(name),
                text: render_as(Kind::Host, h).text,
            });
        }
    }
    for g in inv.guests() {
        let Some(fw) = g.firewall() else { continue };
        let kind = Kind::Guest(g.id());
        let id = format!("fw:guest:{}", g.id());
        if guest_docs {
            let doc = ProposedFile::with_doc(&mut files, id, kind.path(), kind, fw);
            docs.guests.push((g.id(), doc));
        } else {
            files.push(ProposedFile {
                id,
                path: kind.path(),
                text: render_as(kind, fw).text,
            });
        }
    }
    Proposed { files, docs }
}

impl<'a> Proposed<'a> {
    /// Every file as (path, text), cluster.fw first, then host.fw.
    pub fn files(self) -> Vec<(String, String)> {
        self.files.into_iter().map(|f| (f.path, f.text)).collect()
    }

    pub fn ruleset(self, inv: &Inventory) -> Ruleset<'a> {
        self.ruleset_with(inv, Routes::None)
    }

    /// The ruleset with `local_network` derived from the node's routes.
    pub fn ruleset_with(self, inv: &Inventory, routes: Routes) -> Ruleset<'a> {
        let mut topo = Topology::from_inventory(inv);
        topo.routes = routes;
        Ruleset::build_all(topo, self.docs)
    }
}

/// What the lockout guard evaluates: the host's IN chains (host.fw's rules,
/// cluster.fw's and the groups they jump to) for tcp to the management
/// ports. No guest file or NIC takes part in host IN, so none is compiled.
pub fn guard_ruleset<'a>(inv: &Inventory, docs: Docs<'a>, routes: Routes) -> Ruleset<'a> {
    let mut topo = Topology::of_host(inv);
    topo.routes = routes;
    let host_only = Docs {
        guests: Vec::new(),
        ..docs
    };
    Ruleset::build_scoped(
        topo,
        host_only,
        Scope::HostInTcp(lockout::MANAGEMENT_PORTS.to_vec()),
    )
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
    /// The node's name now (`uname -n`), where its host.fw goes; None:
    /// `network.hostname`.
    pub node: Option<String>,
    /// Flows accepted blocked, by name (`--allow-blocked-flow`).
    pub allow_blocked_flows: Vec<String>,
}

/// The estate's flows (derived and declared) through the files proposed
/// for `node`, every guest's included; none derived, nothing is compiled.
pub fn check_flows(
    inv: &Inventory,
    node: &str,
    routes: Routes,
    allowed: &[String],
) -> Result<Vec<flows::Checked>, Problems> {
    let found = phx_common::flows::derive(inv)?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let Proposed { files, docs } = propose_on(inv, node);
    let texts = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let mut topo = Topology::from_inventory(inv);
    topo.routes = routes;
    let rs = Ruleset::build_scoped(topo, docs, flows::scope(&found));
    Ok(flows::check(&rs, &texts, found, allowed))
}

/// The plan for a validated inventory, or every problem (validation, then
/// lockout). Warnings come with either; the caller prints them.
pub fn plan(inv: &Inventory, opts: &Options) -> Result<(Plan, Vec<String>), Problems> {
    // The checks and the rendering read the model alike and need nothing
    // of each other: at 10,000 guests each is a fifth of the plan's time,
    // so the checks run beside it. Their problems come back as before; the
    // rendering must therefore take a model the checks refuse (it only
    // builds text, and its result is dropped then).
    // The flows decide whether the guests' documents are needed: only
    // the flows check compiles guest files.
    let derived = phx_common::flows::derive(inv);
    let wants_flows = derived.as_ref().is_ok_and(|f| !f.is_empty());
    let node = opts.node.as_deref().unwrap_or(&inv.host.network.hostname);
    let (Proposed { files, docs }, checked) =
        phx_plan::par::join(|| propose_with(inv, wants_flows, node), || validate(inv));
    let mut notes = checked?;
    let found_flows = match derived {
        Ok(f) => f,
        Err(mut p) => {
            p.warnings.extend(notes);
            return Err(p);
        }
    };
    // Only the names an allowance may give, for its check.
    let flow_names: Vec<String> = if opts.allow_blocked_flows.is_empty() {
        Vec::new()
    } else {
        found_flows.iter().map(|f| f.name.clone()).collect()
    };
    let Docs {
        cluster,
        host,
        guests,
    } = docs;
    let flow_docs = wants_flows.then(|| Docs {
        cluster: cluster.clone(),
        host: host.clone(),
        guests,
    });
    let guard_docs = Docs {
        cluster,
        host,
        guests: Vec::new(),
    };
    let rs = guard_ruleset(inv, guard_docs, opts.routes.clone());
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
    drop(rs);
    // Every flow the estate needs, through the files as they would be: a
    // blocked one stops the plan as a lockout does.
    let allowed = &opts.allow_blocked_flows;
    let checked = match flow_docs {
        Some(d) => {
            let texts = files
                .iter()
                .map(|f| (f.path.as_str(), f.text.as_str()))
                .collect();
            let mut topo = Topology::from_inventory(inv);
            topo.routes = opts.routes.clone();
            let rs = Ruleset::build_scoped(topo, d, flows::scope(&found_flows));
            let reported = |c: &flows::Checked| !c.open() || allowed.contains(&c.flow.name);
            flows::check_kept(&rs, &texts, found_flows, allowed, reported)
        }
        None => Vec::new(),
    };
    let (mut blocked, flow_notes) = flows::judge(inv, &checked, &flow_names, allowed);
    notes.extend(flow_notes);
    if !blocked.is_empty() {
        blocked.warnings.extend(notes);
        return Err(blocked);
    }
    let mut plan = Plan::new(TOOL);
    plan.steps.reserve_exact(files.len() + 2);
    for f in files {
        // pmxcfs refuses chmod/chown: no mode or owner under /etc/pve.
        plan.push(
            f.id,
            Action::File(FileStep {
                path: f.path,
                content: f.text,
                notify: vec![RESTART.into()],
                ..Default::default()
            }),
        );
    }
    if !plan.is_empty() {
        // No `pve-firewall compile` first: it exits 0 whatever the files
        // hold (a bad line is a warning and is skipped; pve-firewall
        // src/PVE/Service/pve_firewall.pm:207 compile, src/PVE/Firewall.pm
        // parse_fw_rule's callers `warn "$prefix: $err"`), so it checks
        // nothing. The gate is Phoenix's own: every value was checked against
        // what pve-firewall accepts before this plan was made.
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
