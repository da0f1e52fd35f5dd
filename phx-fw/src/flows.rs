//! The estate's flows (`phx_common::flows`) through the proposed firewall:
//! each one's first packet is simulated from its source to its destination
//! across every chain it crosses (the sender's OUT, the host's, the
//! receiver's IN). A blocked flow is a plan problem unless the operator
//! accepts it by name (`--allow-blocked-flow`).

use crate::sim::{Decider, Packet, Ruleset, Scope, Verdict, Zone};
use phx_common::config::reader::join_key;
use phx_common::config::{Inventory, Problems};
use phx_common::flows::{Flow, Point};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// One flow and what the firewall does with it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub flow: Flow,
    pub verdict: Verdict,
    pub decider: Decider,
    /// The deciding rule or policy as `FILE:LINE: text`.
    pub decided_by: String,
    /// Blocked, and accepted by name with `--allow-blocked-flow`.
    pub allowed: bool,
}

impl Checked {
    pub fn open(&self) -> bool {
        self.verdict == Verdict::Accept
    }
}

fn zone(p: &Point) -> Zone {
    p.guest.map_or(Zone::Host, Zone::Guest)
}

/// The line of `option` in a rendered file, from its text.
fn option_line(texts: &BTreeMap<&str, &str>, file: &str, option: &str) -> Option<usize> {
    let prefix = format!("{option}:");
    texts
        .get(file)?
        .lines()
        .position(|l| l.starts_with(&prefix))
        .map(|i| i + 1)
}

fn decided_by(texts: &BTreeMap<&str, &str>, d: &Decider) -> String {
    match d {
        Decider::Policy {
            file,
            option,
            value,
        } => match option_line(texts, file, option) {
            Some(line) => format!("{file}:{line}: {option}: {value} (policy)"),
            None => {
                format!("{file}: {option}: {value} (policy, not written: pve-firewall's default)")
            }
        },
        other => other.to_string(),
    }
}

/// The rules the flows' packets can meet: only those are compiled.
pub fn scope(flows: &[Flow]) -> Scope {
    let mut pairs: Vec<(u8, u16)> = flows.iter().map(|f| (f.proto.number(), f.port)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    Scope::Packets(pairs)
}

/// Every flow's verdict. `texts`: each proposed file's text by path, for
/// the line of a deciding policy.
pub fn check(
    rs: &Ruleset,
    texts: &BTreeMap<&str, &str>,
    flows: Vec<Flow>,
    allowed: &[String],
) -> Vec<Checked> {
    check_kept(rs, texts, flows, allowed, |_| true)
}

/// The verdicts of the flows `keep` takes: the plan keeps only what it
/// reports (blocked flows, allowances), not 20,000 open DNS flows.
pub fn check_kept(
    rs: &Ruleset,
    texts: &BTreeMap<&str, &str>,
    flows: Vec<Flow>,
    allowed: &[String],
    keep: impl Fn(&Checked) -> bool,
) -> Vec<Checked> {
    flows
        .into_iter()
        .map(|flow| {
            let p = Packet {
                src: flow.from.ip,
                dst: flow.to.ip,
                proto: flow.proto.number(),
                dport: Some(flow.port),
                ..Packet::default()
            };
            let ans = rs.simulate(zone(&flow.from), zone(&flow.to), &p);
            let open = ans.verdict == Verdict::Accept;
            Checked {
                allowed: !open && allowed.contains(&flow.name),
                decided_by: decided_by(texts, &ans.decider),
                verdict: ans.verdict,
                decider: ans.decider,
                flow,
            }
        })
        .filter(keep)
        .collect()
}

/// The JSON file and path that wrote a firewall file: cluster.fw and host.fw
/// come from the hypervisor file, `<vmid>.fw` from its guest's entry.
fn json_home(inv: &Inventory, fw_file: &str) -> (String, String) {
    let base = &inv.host.firewall_path;
    let hyp = inv.sources.hypervisor.clone();
    let name = fw_file.rsplit('/').next().unwrap_or(fw_file);
    if name == "host.fw" {
        return (hyp, join_key(base, "host"));
    }
    let guest = name
        .strip_suffix(".fw")
        .and_then(|id| id.parse::<u32>().ok())
        .and_then(|id| inv.guest(id));
    match guest {
        Some(g) => (inv.file_of(g).to_string(), join_key(g.path(), "firewall")),
        None => (hyp, base.clone()),
    }
}

/// A blocked flow as a configuration problem: at the deciding rule's JSON
/// path (or the policy's), naming the flow, why it is needed and the
/// rule or policy with its file and line.
fn problem(inv: &Inventory, c: &Checked, p: &mut Problems) {
    let f = &c.flow;
    let what = format!(
        "flow {} open ({} {} -> {}:{}; from {}): {}; it is {} by {} — add an ACCEPT rule before it, or pass --allow-blocked-flow {}",
        f.name,
        f.proto.as_str(),
        f.from.ip,
        f.to.ip,
        f.port,
        f.origin,
        f.why,
        if c.verdict == Verdict::Reject { "REJECTed" } else { "DROPped" },
        c.decided_by,
        f.name
    );
    match &c.decider {
        Decider::Rule {
            file,
            line,
            text,
            path,
        } => {
            let (json_file, _) = json_home(inv, file);
            p.push(&json_file, path, format!("{text:?} ({file}:{line})"), what);
        }
        Decider::Policy {
            file,
            option,
            value,
        } => {
            let (json_file, base) = json_home(inv, file);
            let key = match *option {
                "policy_in" => "default_input_policy",
                "policy_out" => "default_output_policy",
                other => other,
            };
            p.push(
                &json_file,
                &join_key(&base, key),
                format!("{:?} ({option})", value.to_string()),
                what,
            );
        }
        other => {
            let (file, path) = f.origin.split_once(": ").unwrap_or((&f.origin, ""));
            p.push(file, path, other.to_string(), what);
        }
    }
}

/// Problems for the blocked flows not allowed, and for allowances naming
/// no flow; warnings (said on every run) for the allowed ones.
pub fn judge(
    inv: &Inventory,
    checked: &[Checked],
    all: &[String],
    allowed: &[String],
) -> (Problems, Vec<String>) {
    let mut p = Problems::default();
    let mut notes = Vec::new();
    for c in checked {
        if c.open() {
            if allowed.contains(&c.flow.name) {
                notes.push(format!(
                    "--allow-blocked-flow {}: the flow is open; the allowance is not needed",
                    c.flow.name
                ));
            }
        } else if c.allowed {
            notes.push(format!(
                "--allow-blocked-flow: flow {} ({}) is accepted blocked: {} by {}",
                c.flow.name, c.flow.why, c.verdict, c.decided_by
            ));
        } else {
            problem(inv, c, &mut p);
        }
    }
    for a in allowed {
        if !all.contains(a) {
            let names: Vec<&str> = all.iter().map(String::as_str).collect();
            p.push(
                "(command line)",
                "--allow-blocked-flow",
                format!("{a:?}"),
                format!(
                    "the name of one of the estate's flows: {}",
                    names.join(", ")
                ),
            );
        }
    }
    (p, notes)
}

/// `phx-fw flows`'s table: one line per flow.
pub fn table(checked: &[Checked]) -> String {
    let mut out = String::new();
    for c in checked {
        let f = &c.flow;
        let verdict = match (c.open(), c.allowed) {
            (true, _) => "open".to_string(),
            (false, true) => format!("BLOCKED ({}, allowed)", c.verdict),
            (false, false) => format!("BLOCKED ({})", c.verdict),
        };
        out.push_str(&format!(
            "{:<34} {}/{:<5} {:>15} -> {:<15} {verdict}\n    why: {}\n    decided by: {}\n",
            f.name,
            f.proto.as_str(),
            f.port,
            f.from.ip,
            f.to.ip,
            f.why,
            c.decided_by
        ));
    }
    out
}

/// `phx-fw flows --json`: an array of objects.
pub fn to_json(checked: &[Checked]) -> Value {
    Value::Array(
        checked
            .iter()
            .map(|c| {
                let f = &c.flow;
                let end = |p: &Point| json!({"guest": p.guest, "ip": p.ip.to_string()});
                json!({
                    "name": f.name,
                    "kind": f.kind.as_str(),
                    "from": end(&f.from),
                    "to": end(&f.to),
                    "proto": f.proto.as_str(),
                    "port": f.port,
                    "why": f.why,
                    "origin": f.origin,
                    "verdict": c.verdict.to_string(),
                    "open": c.open(),
                    "allowed": c.allowed,
                    "decided_by": c.decided_by,
                })
            })
            .collect(),
    )
}

/// `phx-fw flows [--json]`.
pub fn run(a: crate::cli::FlowsArgs) -> Result<u8, phx_common::cli::Failure> {
    let inv = a.input.load(crate::TOOL)?;
    run_on(
        &inv,
        a,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

/// [`run`] on an inventory already loaded: the listing into `out`, the
/// warnings into `err` (phoenix-cli's check lists the flows in its own
/// process).
pub fn run_on(
    inv: &Inventory,
    a: crate::cli::FlowsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, phx_common::cli::Failure> {
    use phx_common::cli::Failure;
    let notes = crate::planner::validate(inv).map_err(Failure::Invalid)?;
    let allowed = &a.flows.allow_blocked_flow;
    let routes = a.routes.read(&a.input.state_root)?;
    let node = inv.host.network.hostname.clone();
    let checked =
        crate::planner::check_flows(inv, &node, routes, allowed).map_err(Failure::Invalid)?;
    let all: Vec<String> = checked.iter().map(|c| c.flow.name.clone()).collect();
    let (problems, more) = judge(inv, &checked, &all, allowed);
    for n in notes.iter().chain(&more) {
        writeln!(err, "{}: warning: {n}", crate::TOOL)?;
    }
    // An allowance naming no flow is a usage error; a blocked flow is the answer.
    if let Some(p) = problems.list.iter().find(|p| p.file == "(command line)") {
        return Err(Failure::Usage(p.to_string()));
    }
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &to_json(&checked)).map_err(anyhow::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(table(&checked).as_bytes())?;
    }
    out.flush()?;
    let blocked = checked.iter().any(|c| !c.open() && !c.allowed);
    Ok(if blocked { 1 } else { 0 })
}
