//! The per-guest verbs: `converge|start|stop|restart|delete ID…` run
//! LetsGo's planners with `--guest ID… --action` (the tool contract's guest
//! filter: the same planners and executor as a whole run), and `status`
//! plans lxc and vm without applying, to say per guest whether a converge
//! would change it.

use super::{Run, Stop};
use crate::bins::Bins;
use crate::cli::{Common, GuestArgs, RunArgs, StatusArgs};
use phx_common::config::model::GuestIp;
use phx_common::config::names::{dns_label, qualify};
use phx_common::guests::{Action, Kind, Role, Selection, CT, VM};
use phx_common::registry::{self, Planner};
use phx_common::{guest_conf, Guest, Inventory};
use phx_plan::exit::EXIT_OK;
use phx_plan::Action as StepAction;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A refusal of the guest filter, said for the verb's IDs (not `--guest`).
fn as_verb(why: String) -> Stop {
    Stop::Usage(why.replacen("--guest ", "guest ", 1).replacen(
        "--action delete refused",
        "delete refused",
        1,
    ))
}

/// The RunArgs of a per-guest run: only the options the verbs have.
fn run_args(ids: &[u32], common: Common, action: Action) -> RunArgs {
    // A converge installs the guests' software (features, ca); the others
    // only act on the guests themselves.
    let subsystems: &[&str] = match action {
        Action::Converge => &["lxc", "vm", "features", "ca"],
        _ => &["lxc", "vm"],
    };
    RunArgs {
        subsystems: subsystems.iter().map(|s| s.to_string()).collect(),
        common,
        confirm_timeout: None,
        allow_lockout: false,
        allow_blocked_flow: Vec::new(),
        rename_node: false,
        start_all: false,
        no_start: false,
        wipe_disks: Vec::new(),
        keep_plans: None,
        guests: Some((ids.to_vec(), action)),
    }
}

/// `noun id (name)`: `CT 110 (Gitea)`.
fn named(inv: &Inventory, id: u32) -> String {
    match inv.guest(id) {
        Some(g) => format!("{} {id} ({})", kind_of(g).noun, g.name()),
        None => id.to_string(),
    }
}

/// How the guest tools name and reach a guest of `g`'s kind.
fn kind_of(g: Guest) -> Kind {
    match g {
        Guest::Lxc(_) => CT,
        Guest::Vm(_) => VM,
    }
}

/// Every guest's ID, in the one boot order (its prerequisites first).
fn guest_ids(inv: &Inventory) -> impl Iterator<Item = u32> {
    phx_common::order::order(inv)
        .unwrap_or_else(|_| inv.guests().map(|g| g.id()).collect())
        .into_iter()
}

pub(super) fn run(bins: Bins, action: Action, a: &GuestArgs) -> Result<u8, Stop> {
    let args = run_args(&a.ids, a.common.clone(), action);
    let run = Run::new(bins, &args)?;
    run.load_once(&run.named().unwrap_or_default())?;
    let inv = run.inventory();
    let sel = Selection::of(inv, &a.ids, action).map_err(as_verb)?;
    let needed: Vec<String> = guest_ids(inv)
        .filter(|&id| sel.role(id) == Some(Role::Prerequisite))
        .map(|id| named(inv, id))
        .collect();
    let subjects: Vec<String> = a.ids.iter().map(|&id| named(inv, id)).collect();
    eprintln!("phoenix-cli: {} {}", action.name(), subjects.join(", "));
    if !needed.is_empty() {
        let how = if action == Action::Converge {
            "made when missing, started as their entries say; their settings' drift left alone"
        } else {
            "started when they exist and their entries start them"
        };
        eprintln!("phoenix-cli: needed first ({how}): {}", needed.join(", "));
    }
    if action == Action::Delete {
        say_what_setup_removes(inv, &a.ids);
        if !a.yes && !a.check {
            return Err(Stop::Usage(format!(
                "delete destroys {} with their disks: run again with --yes (or --check to see the plan)",
                subjects.join(", ")
            )));
        }
    }
    let phases = registry::group("LetsGo").expect("the LetsGo group");
    let rc = run.apply("LetsGo", phases)?;
    if action == Action::Converge {
        say_missing_firewall(inv, &a.ids, &run.root_or_slash());
    }
    Ok(rc)
}

/// What stays of a deleted guest in the configuration-driven host files
/// until its entry goes: its DNS names and its firewall file.
fn say_what_setup_removes(inv: &Inventory, ids: &[u32]) {
    let domain = inv.host.domain.to_ascii_lowercase();
    for &id in ids {
        let Some(g) = inv.guest(id) else { continue };
        let mut names = Vec::new();
        if matches!(g.net().map(|n| &n.ip), Some(GuestIp::Static(_))) {
            names.push(format!("{}.{domain}", dns_label(g.name())));
        }
        names.extend(g.dns_records().iter().map(|r| r.hostname.clone()));
        names.extend(
            g.traefik_services()
                .iter()
                .map(|s| qualify(&s.name, &domain)),
        );
        names.sort();
        names.dedup();
        // pct/qm destroy remove the guest's firewall file themselves
        // (PVE::Firewall::remove_vmfw_conf: pve-container
        // src/PVE/API2/LXC.pm:907, qemu-server src/PVE/API2/Qemu.pm:2873).
        let fw = if g.firewall().is_some() {
            format!("; the destroy removes /etc/pve/firewall/{id}.fw, which only `phoenix-cli setup fw` writes again if the guest is made again")
        } else {
            String::new()
        };
        let snippet = match g {
            Guest::Vm(v) if v.has_password => format!(
                "; its password snippet /var/lib/vz/snippets/phoenix-vm-{id}-user.yaml stays until the entry goes and LetsGo runs"
            ),
            _ => String::new(),
        };
        eprintln!(
            "phoenix-cli: {} stays in the configuration ({}: {}): remove it there, or LetsGo makes it again; `phoenix-cli setup` then drops its DNS names ({}){fw}{snippet}; --purge also takes it out of backup, replication and HA jobs",
            named(inv, id),
            inv.file_of(g),
            g.path(),
            if names.is_empty() { "none".to_string() } else { names.join(", ") },
        );
    }
}

/// A converged guest with firewall rules whose `<id>.fw` is not on the
/// node: a destroy removed it, and only phx-fw (setup) writes it. Said, as
/// the guest runs unfiltered until then.
fn say_missing_firewall(inv: &Inventory, ids: &[u32], root: &Path) {
    for &id in ids {
        let Some(g) = inv.guest(id) else { continue };
        let file = format!("/etc/pve/firewall/{id}.fw");
        if g.firewall().is_some() && !phx_plan::fsutil::under_root(root, &file).exists() {
            eprintln!(
                "phoenix-cli: warning: {} has firewall rules but {file} does not exist (a destroy removes it): run `phoenix-cli setup fw`, or the guest runs without its rules",
                named(inv, id)
            );
        }
    }
}

/// One guest's line of `status`.
#[derive(Debug)]
struct Line {
    id: u32,
    kind: Kind,
    name: String,
    state: String,
    drift: bool,
    /// What a converge would do to it: its steps' last id parts.
    changes: Vec<String>,
    addresses: Vec<String>,
}

impl Line {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.noun.to_ascii_lowercase(),
            "name": self.name,
            "state": self.state,
            "drift": self.drift,
            "changes": self.changes,
            "addresses": self.addresses,
        })
    }
}

pub(super) fn status(bins: Bins, a: &StatusArgs) -> Result<u8, Stop> {
    let common = Common {
        config_dir: a.config_dir.clone(),
        root: a.root.clone(),
        check: true,
        ..Common::default()
    };
    let args = RunArgs {
        subsystems: vec!["lxc".into(), "vm".into()],
        ..run_args(&a.ids, common, Action::Converge)
    };
    let run = Run::new(bins, &args)?;
    run.load_once(&run.named().unwrap_or_default())?;
    let inv = run.inventory();
    let ids: Vec<u32> = if a.ids.is_empty() {
        guest_ids(inv).collect()
    } else {
        Selection::of(inv, &a.ids, Action::Converge).map_err(as_verb)?;
        a.ids.clone()
    };
    let planners: Vec<&Planner> = ["lxc", "vm"]
        .iter()
        .filter_map(|s| registry::planner(s))
        .collect();
    let plans = run.plan_quietly("status", &planners)?;
    let changes = changes_by_guest(&plans)?;
    let root = run.root_or_slash();
    let running = [running(CT, &root)?, running(VM, &root)?];
    let lines: Vec<Line> = ids
        .iter()
        .filter_map(|&id| inv.guest(id).map(|g| line(g, &root, &running, &changes)))
        .collect();
    if a.json {
        let doc: Vec<serde_json::Value> = lines.iter().map(Line::json).collect();
        println!("{:#}", serde_json::Value::from(doc));
    } else {
        for l in &lines {
            let drift = if l.drift {
                format!("drift: yes ({})", l.changes.join(", "))
            } else {
                "drift: no".to_string()
            };
            println!(
                "{} {:<6} {:<24} {:<8} {:<28} {}",
                l.kind.noun,
                l.id,
                l.name,
                l.state,
                drift,
                l.addresses.join(" ")
            );
        }
    }
    Ok(EXIT_OK)
}

/// Which guests of `kind` run: one `pct list`/`qm list` (or the record
/// `observe` left under the root); None when that cannot be known (offline).
fn running(kind: Kind, root: &Path) -> Result<Option<HashSet<u32>>, Stop> {
    let r = phx_common::probe::running(kind.program, kind.guest, root, None, kind.status_column)
        .map_err(|e| Stop::Failed(e.to_string()))?;
    Ok(r.known.then_some(r.ids))
}

fn line(
    g: Guest,
    root: &Path,
    running: &[Option<HashSet<u32>>; 2],
    changes: &BTreeMap<u32, Vec<String>>,
) -> Line {
    let kind = kind_of(g);
    let running = &running[usize::from(kind.program == VM.program)];
    let id = g.id();
    let conf = guest_conf::read(root, &kind.conf_path(id), kind.dialect)
        .ok()
        .flatten();
    let template = conf.as_ref().and_then(|c| c.effective("template")) == Some("1");
    let state = match (&conf, running) {
        (None, _) => "missing",
        (Some(_), _) if template => "template",
        (Some(_), None) => "unknown",
        (Some(_), Some(ids)) if ids.contains(&id) => "running",
        (Some(_), Some(_)) => "stopped",
    }
    .to_string();
    let addresses = g
        .net()
        .into_iter()
        .chain(g.common().more_nets.iter())
        .map(|n| match &n.ip {
            GuestIp::Static(net) => net.to_string(),
            GuestIp::Dhcp => "dhcp".to_string(),
            GuestIp::Manual => "manual".to_string(),
        })
        .collect();
    let mut changes = changes.get(&id).cloned().unwrap_or_default();
    if state == "unknown" {
        changes.retain(|c| c != START);
    }
    Line {
        id,
        kind,
        name: g.name().to_string(),
        state,
        drift: !changes.is_empty(),
        changes,
        addresses,
    }
}

/// A start step's word in `changes`: offline (no running state) every guest
/// counts as stopped, so a start says nothing there.
const START: &str = "start";

/// Each guest's planned steps, by the guest they are about: an in-guest
/// step's guest, a start's or stop's, else the guest ID in its id
/// (`lxc:110:set`).
fn changes_by_guest(plans: &[PathBuf]) -> Result<BTreeMap<u32, Vec<String>>, Stop> {
    let mut out: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for p in plans {
        let failed = |e: String| Stop::Failed(format!("{}: {e}", p.display()));
        let f = std::fs::File::open(p).map_err(|e| failed(e.to_string()))?;
        let steps = phx_plan::read_jsonl(std::io::BufReader::new(f))
            .map_err(|e| failed(format!("{e:#}")))?;
        for s in steps {
            let in_guest = s.action.guest().map(|g| g.id());
            let ranked = s.start.or(s.stop).map(|r| r.id);
            let id = in_guest
                .or(ranked)
                .or_else(|| s.id.split(':').nth(1).and_then(|n| n.parse().ok()));
            let Some(id) = id else { continue };
            // The step's own words (`[2/5] CT 110 Gitea: set memory`).
            let said = match &s.action {
                StepAction::Command(c) => c.desc.split_once(": ").map(|(_, w)| w),
                _ => None,
            };
            let what = match (in_guest, said) {
                (Some(_), _) => "in-guest",
                _ if s.start.is_some() => START,
                (None, Some(w)) => w,
                (None, None) => s.id.rsplit(':').next().unwrap_or(&s.id),
            };
            let list = out.entry(id).or_default();
            if !list.iter().any(|w| w == what) {
                list.push(what.to_string());
            }
        }
    }
    Ok(out)
}
