//! phx-lxc: turns the LXC entries of the Phoenix JSON, and what the machine
//! has (`/etc/pve/lxc/*.conf`, one `pct list`), into a plan of `pct` calls and
//! conf edits: create or clone what is missing, one `pct set` per container
//! with every differing key, mounts, raw LXC lines, disk growth, starts — in
//! dependency and boot order. A converged host gets an empty plan.

pub mod conf;
pub mod desired;
pub mod observe;
pub mod order;
pub mod props;
pub mod raw;
pub mod render;
pub mod storage;

use conf::Conf;
use desired::{Desired, Mount, Source};
use observe::{conf_path, Observed};
use phx_common::config::{Inventory, Problems};
use phx_common::plan::{Action, CommandStep, FileStep, LinesStep, Plan};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub const TOOL: &str = "phx-lxc";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Start guests with `start_at_boot` that are not running.
    #[default]
    AtBoot,
    /// Start every guest in the file that is not running.
    All,
    /// Start nothing.
    None,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub start: StartMode,
    /// Reboot running containers whose change only takes effect at start.
    pub restart: bool,
}

/// What was planned for one container, for progress lines.
#[derive(Debug, Clone)]
pub struct GuestSummary {
    pub ctid: u32,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Drift that is reported, not changed (smaller disks, unprivileged, restarts).
    pub notes: Vec<String>,
    /// One entry per container that gets any step, in plan order.
    pub guests: Vec<GuestSummary>,
}

/// Keys pct keeps in `[pve:pending]` on a running container (reference §3.3).
const PENDING_KEYS: [&str; 2] = ["features", "nameserver"];

fn pct(args: &[&str]) -> Vec<String> {
    std::iter::once("pct")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect()
}

/// Checks the configuration against the storages and the machine; every
/// problem at once.
pub fn check(inv: &Inventory, seen: &Observed) -> Problems {
    let mut p = Problems::default();
    let file = &inv.sources.lxc;
    let storages = storage::Storages::of(&inv.host);
    let mut sources_without_snapshot = BTreeSet::new();
    for c in inv.lxcs.values() {
        if let Some(s) = &c.storage_pool {
            if !storages.is_known(s) {
                p.push(
                    file,
                    &format!("{}.storage_pool", c.path),
                    format!("{s:?}"),
                    storages.expected_storage(),
                );
            }
        }
        for (i, v) in c.zfs_volumes.iter().enumerate() {
            if !storages.is_known(&v.pool) {
                p.push(
                    file,
                    &format!("{}.zfs_volumes[{i}].pool", c.path),
                    format!("{:?}", v.pool),
                    storages.expected_storage(),
                );
            }
        }
        for (i, m) in c.mount_points.iter().enumerate() {
            if !seen.host_paths.contains(&m.host_path) {
                p.push(
                    file,
                    &format!("{}.mount_points[{i}].host_path", c.path),
                    format!("{:?}", m.host_path),
                    "an existing directory on the host (the bind mount's source does not exist)",
                );
            }
        }
        match (&c.clone_from, &c.template) {
            (None, None) => p.push(
                file,
                &format!("{}.template", c.path),
                "(missing)",
                "a template (STORAGE:vztmpl/FILE or a file under a vztmpl storage) or a clone_from_ctid",
            ),
            (None, Some(t)) => {
                if let Err(e) = storages.template_volid(t) {
                    p.push(file, &format!("{}.template", c.path), format!("{t:?}"), e);
                }
            }
            (Some(src), _) => {
                if let Some(s) = inv.lxcs.get(src) {
                    if s.template_snapshot_name.is_none() && sources_without_snapshot.insert(*src) {
                        p.push(
                            file,
                            &format!("{}.template_snapshot_name", s.path),
                            "(missing)",
                            format!("the snapshot to clone from (CT {} is cloned from CT {src})", c.id),
                        );
                    }
                    // `pct clone` fails on a source with bind mounts
                    // (reference §4); only a clone still to be made matters.
                    if let Some(m) = s.mount_points.first() {
                        if !seen.confs.contains_key(&c.id) {
                            p.push(
                                file,
                                &format!("{}.clone_from_ctid", c.path),
                                src.to_string(),
                                format!(
                                    "a clone source without bind mounts (`pct clone` fails on them): CT {src} has {}.mount_points[0] {} -> {}{}",
                                    s.path,
                                    m.host_path,
                                    m.container_path,
                                    match s.mount_points.len() {
                                        1 => String::new(),
                                        n => format!(" and {} more", n - 1),
                                    }
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
    p
}

/// What a container will have once its steps ran, for the clones made from it.
#[derive(Debug, Clone, Default)]
struct Final {
    rootfs_bytes: u64,
    /// mpN index → container path.
    mounts: BTreeMap<u32, String>,
    unprivileged: bool,
}

struct Planner<'a> {
    inv: &'a Inventory,
    seen: &'a Observed,
    opts: Options,
    plan: Plan,
    notes: Vec<String>,
    guests: Vec<GuestSummary>,
    finals: HashMap<u32, Final>,
    snapshots_planned: HashSet<(u32, String)>,
    storages: storage::Storages,
}

/// The plan for every container in the inventory; `Err` with every problem
/// when the configuration cannot be planned (nothing is planned then).
pub fn plan(inv: &Inventory, seen: &Observed, opts: Options) -> Result<Planned, Problems> {
    let problems = check(inv, seen);
    if !problems.is_empty() {
        return Err(problems);
    }
    let order: Vec<u32> = order::order(inv)
        .expect("phx-common's load refuses dependency/clone cycles (exit 2)")
        .into_iter()
        .filter(|id| inv.lxcs.contains_key(id))
        .collect();
    let mut p = Planner {
        inv,
        seen,
        opts,
        plan: Plan::new(TOOL),
        notes: seen.notes.clone(),
        guests: Vec::new(),
        finals: HashMap::new(),
        snapshots_planned: HashSet::new(),
        storages: storage::Storages::of(&inv.host),
    };
    let total = order.len();
    let mut summaries: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (i, &ctid) in order.iter().enumerate() {
        let actions = p.converge(ctid, i + 1, total);
        if !actions.is_empty() {
            summaries.insert(ctid, actions);
        }
    }
    for (i, &ctid) in order.iter().enumerate() {
        if let Some(a) = p.start(ctid, i + 1, total) {
            summaries.entry(ctid).or_default().push(a);
        }
    }
    for &ctid in &order {
        if let Some(actions) = summaries.remove(&ctid) {
            p.guests.push(GuestSummary {
                ctid,
                name: inv.lxcs[&ctid].name.clone(),
                actions,
            });
        }
    }
    Ok(Planned {
        plan: p.plan,
        notes: p.notes,
        guests: p.guests,
    })
}

impl Planner<'_> {
    fn command(
        &mut self,
        id: String,
        argv: Vec<String>,
        unless: Option<Vec<String>>,
        desc: String,
    ) {
        self.plan.push(
            id,
            Action::Command(CommandStep {
                argv,
                unless,
                only_if: None,
                desc,
                notify: Vec::new(),
            }),
        );
    }

    /// Steps that make container `ctid` exist and match its entry. Returns
    /// short names of what was planned.
    fn converge(&mut self, ctid: u32, i: usize, total: usize) -> Vec<String> {
        let c = &self.inv.lxcs[&ctid];
        let d = desired::desired(c, &self.inv.host);
        let tag = format!("[{i}/{total}] CT {ctid} {}", c.name);
        let mut actions = Vec::new();
        let running = self.seen.running.contains(&ctid);
        let existing = self.seen.confs.get(&ctid);
        let mut needs_restart: Vec<String> = Vec::new();
        let (set, mut fin) = match existing {
            Some(conf) => {
                let (set, fin, restart) = self.diff_existing(&d, conf, &tag);
                if running {
                    needs_restart.extend(restart);
                    if conf.has_pending() {
                        needs_restart.push("changes already pending in its conf".to_string());
                    }
                }
                (set, fin)
            }
            None => match c.clone_from {
                Some(src) => {
                    let snap = self.inv.lxcs[&src]
                        .template_snapshot_name
                        .clone()
                        .expect("checked");
                    self.ensure_snapshot(src, &snap, &tag);
                    let storage = d.rootfs_storage.clone();
                    self.command(
                        format!("lxc:{ctid}:clone"),
                        pct(&[
                            "clone",
                            &src.to_string(),
                            &ctid.to_string(),
                            "--snapname",
                            &snap,
                            "--hostname",
                            &c.name,
                            "--storage",
                            &storage,
                        ]),
                        Some(pct(&["status", &ctid.to_string()])),
                        format!("{tag}: clone from CT {src} snapshot {snap}"),
                    );
                    actions.push(format!("clone from {src}"));
                    let base = self.finals.get(&src).cloned().unwrap_or_default();
                    if base.unprivileged != d.unprivileged {
                        self.notes.push(format!(
                            "CT {ctid}: unprivileged={} is wanted, but a clone of CT {src} is {}; unprivileged is fixed at creation, so it is not changed",
                            d.unprivileged as u8, base.unprivileged as u8
                        ));
                    }
                    self.plan_clone_settings(&d, base, &tag)
                }
                None => {
                    let volid = self
                        .storages
                        .template_volid(c.template.as_deref().expect("checked"))
                        .expect("checked");
                    let fin = self.create(&d, &volid, &tag);
                    actions.push("create".to_string());
                    (Vec::new(), fin)
                }
            },
        };
        // Raw lines of an existing container: the whole conf with only its
        // raw lines edited, written before any pct call for this container
        // in this plan (pct set/resize rewrite the conf and keep raw lines,
        // so writing after them would undo their change).
        if let Some(conf) = existing {
            let e = raw::edit(&conf.text, &d.raw);
            self.report_stray(ctid, &e.stray);
            if e.text != conf.text {
                self.plan.push(
                    format!("lxc:{ctid}:conf"),
                    Action::File(FileStep {
                        path: conf_path(ctid),
                        content: e.text,
                        // pmxcfs: no mode or owner.
                        ..Default::default()
                    }),
                );
                actions.push(format!("edit {} lxc line(s)", e.changes));
                if running {
                    needs_restart.push("raw lxc lines".to_string());
                }
            }
        }
        if !set.is_empty() {
            let mut argv = pct(&["set", &ctid.to_string()]);
            let mut names = Vec::new();
            for (k, v) in &set {
                argv.push(format!("--{k}"));
                argv.push(v.clone());
                names.push(k.clone());
            }
            self.command(
                format!("lxc:{ctid}:set"),
                argv,
                None,
                format!("{tag}: set {}", names.join(", ")),
            );
            actions.push(format!("set {}", names.join(",")));
        }
        // Disks only grow.
        let current_root = match existing {
            Some(conf) => rootfs_bytes(conf),
            None => Some(fin.rootfs_bytes),
        };
        let want_root = d.rootfs_gb * props::GIB;
        if let Some(cur) = current_root {
            if want_root > cur {
                self.command(
                    format!("lxc:{ctid}:resize:rootfs"),
                    pct(&[
                        "resize",
                        &ctid.to_string(),
                        "rootfs",
                        &format!("{}G", d.rootfs_gb),
                    ]),
                    None,
                    format!("{tag}: grow rootfs to {}G", d.rootfs_gb),
                );
                actions.push(format!("resize rootfs {}G", d.rootfs_gb));
                fin.rootfs_bytes = want_root;
            } else if want_root < cur && existing.is_some() {
                self.notes.push(format!(
                    "CT {ctid}: rootfs is {} but storage_size_gb is {}; disks are never shrunk",
                    human(cur),
                    d.rootfs_gb
                ));
            }
        }
        if let Some(conf) = existing {
            for (idx, size_gb) in self.mount_growth(&d, conf) {
                self.command(
                    format!("lxc:{ctid}:resize:mp{idx}"),
                    pct(&[
                        "resize",
                        &ctid.to_string(),
                        &format!("mp{idx}"),
                        &format!("{size_gb}G"),
                    ]),
                    None,
                    format!("{tag}: grow mp{idx} to {size_gb}G"),
                );
                actions.push(format!("resize mp{idx} {size_gb}G"));
            }
        }
        // A container made by this plan: its conf does not exist while
        // planning, so the lines go in through a `lines` step once pct made it.
        if existing.is_none() && !d.raw.is_empty() {
            self.plan.push(
                format!("lxc:{ctid}:lines"),
                Action::Lines(LinesStep {
                    path: conf_path(ctid),
                    lines: d.raw.clone(),
                    stop_at: Some("[".into()),
                    notify: Vec::new(),
                }),
            );
            actions.push(format!("{} lxc line(s)", d.raw.len()));
        }
        if !needs_restart.is_empty() {
            if self.opts.restart {
                self.command(
                    format!("lxc:{ctid}:reboot"),
                    pct(&["reboot", &ctid.to_string()]),
                    None,
                    format!("{tag}: reboot to apply {}", needs_restart.join(", ")),
                );
                actions.push("reboot".to_string());
            } else {
                self.notes.push(format!(
                    "CT {ctid} is running: {} take effect at its next start (not restarted; use --restart)",
                    needs_restart.join(", ")
                ));
            }
        }
        self.finals.insert(ctid, fin);
        actions
    }

    /// Raw lines of an existing conf that its entry does not ask for: kept
    /// (they may be the operator's own), and reported.
    fn report_stray(&mut self, ctid: u32, stray: &[String]) {
        let gpu = |l: &String| {
            l.strip_prefix("lxc.mount.entry: /dev/nvidia")
                .and_then(|rest| rest.split_whitespace().next())
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        };
        let gpus: Vec<String> = stray.iter().filter_map(gpu).collect();
        if !gpus.is_empty() {
            self.notes.push(format!(
                "CT {ctid} passes through /dev/nvidia{} which gpu_assignment does not list; remove the line(s) from {} by hand",
                gpus.join(", /dev/nvidia"),
                conf_path(ctid)
            ));
        }
        let other: Vec<&str> = stray
            .iter()
            .filter(|l| gpu(l).is_none())
            .map(String::as_str)
            .collect();
        if !other.is_empty() {
            self.notes.push(format!(
                "CT {ctid} has lxc line(s) its entry does not ask for (lxc_options, apparmor_profile, gpu_assignment): {}; kept — remove them from {} by hand if they are not wanted",
                other.join(" | "),
                conf_path(ctid)
            ));
        }
    }

    /// `pct snapshot` of a clone source that lacks the snapshot clones are
    /// made from (guarded by `pct config --snapshot`, once per plan).
    fn ensure_snapshot(&mut self, src: u32, snap: &str, tag: &str) {
        let has = self
            .seen
            .confs
            .get(&src)
            .is_some_and(|c| c.snapshots.contains(snap));
        if has || !self.snapshots_planned.insert((src, snap.to_string())) {
            return;
        }
        let s = src.to_string();
        self.command(
            format!("lxc:{src}:snapshot:{snap}"),
            pct(&["snapshot", &s, snap]),
            Some(pct(&["config", &s, "--snapshot", snap])),
            format!("{tag}: snapshot {snap} of clone source CT {src}"),
        );
    }

    fn create(&mut self, d: &Desired, volid: &str, tag: &str) -> Final {
        let id = d.ctid.to_string();
        let mut argv = pct(&["create", &id, volid]);
        for (k, v) in &d.keys {
            argv.push(format!("--{k}"));
            argv.push(v.clone());
        }
        argv.push("--rootfs".into());
        argv.push(format!("{}:{}", d.rootfs_storage, d.rootfs_gb));
        argv.push("--unprivileged".into());
        argv.push(if d.unprivileged { "1" } else { "0" }.into());
        let mut fin = Final {
            rootfs_bytes: d.rootfs_gb * props::GIB,
            mounts: BTreeMap::new(),
            unprivileged: d.unprivileged,
        };
        for (n, m) in d.mounts.iter().enumerate() {
            argv.push(format!("--mp{n}"));
            argv.push(m.value());
            fin.mounts.insert(n as u32, m.path.clone());
        }
        self.command(
            format!("lxc:{}:create", d.ctid),
            argv,
            Some(pct(&["status", &id])),
            format!("{tag}: create from {volid}"),
        );
        fin
    }

    /// After a clone: everything but the hostname comes from the source, so
    /// set every key, and the mounts the source does not have.
    fn plan_clone_settings(
        &self,
        d: &Desired,
        base: Final,
        _tag: &str,
    ) -> (Vec<(String, String)>, Final) {
        let mut set: Vec<(String, String)> = d
            .keys
            .iter()
            .filter(|(k, _)| *k != "hostname")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut fin = Final {
            unprivileged: base.unprivileged,
            ..base
        };
        let have: HashSet<String> = fin.mounts.values().cloned().collect();
        for m in &d.mounts {
            if have.contains(&m.path) {
                continue;
            }
            let idx = lowest_free(&fin.mounts.keys().copied().collect());
            fin.mounts.insert(idx, m.path.clone());
            set.push((format!("mp{idx}"), m.value()));
        }
        (set, fin)
    }

    /// The keys of an existing container that differ, what it will have,
    /// and which of the changes wait for a restart when it runs.
    fn diff_existing(
        &mut self,
        d: &Desired,
        conf: &Conf,
        _tag: &str,
    ) -> (Vec<(String, String)>, Final, Vec<String>) {
        let ctid = d.ctid;
        let mut set: Vec<(String, String)> = Vec::new();
        let mut restart = Vec::new();
        for (k, want) in &d.keys {
            let have = conf.effective(k);
            let new = match *k {
                "net0" => net0_update(want, have),
                _ if same(k, want, have) => None,
                _ => Some(want.clone()),
            };
            if let Some(v) = new {
                if PENDING_KEYS.contains(k) {
                    restart.push(k.to_string());
                }
                set.push((k.to_string(), v));
            }
        }
        let have_unpriv = conf
            .effective("unprivileged")
            .and_then(props::norm_bool)
            .unwrap_or("0")
            == "1";
        if have_unpriv != d.unprivileged {
            self.notes.push(format!(
                "CT {ctid}: unprivileged is {} but the configuration says {}; it is fixed at creation and not changed",
                have_unpriv as u8, d.unprivileged as u8
            ));
        }
        if let Some(root) = conf.effective("rootfs") {
            let m = props::parse(root, Some("volume"));
            let storage = m
                .get("volume")
                .and_then(|v| v.split_once(':'))
                .map(|(s, _)| s);
            if storage.is_some_and(|s| s != d.rootfs_storage) {
                self.notes.push(format!(
                    "CT {ctid}: rootfs is on {} but storage_pool is {}; not moved",
                    storage.unwrap(),
                    d.rootfs_storage
                ));
            }
        }
        // Mounts, matched by container path; new ones take the lowest free index.
        let mut indices: BTreeSet<u32> = conf.mount_keys();
        let mut by_path: HashMap<String, (u32, BTreeMap<String, String>)> = HashMap::new();
        for &n in &indices {
            if let Some(v) = conf.effective(&format!("mp{n}")) {
                let m = props::parse(v, Some("volume"));
                if let Some(p) = m.get("mp") {
                    by_path.insert(p.clone(), (n, m.clone()));
                }
            }
        }
        let mut fin = Final {
            rootfs_bytes: rootfs_bytes(conf)
                .unwrap_or(0)
                .max(d.rootfs_gb * props::GIB),
            mounts: BTreeMap::new(),
            unprivileged: have_unpriv,
        };
        for (p, (n, _)) in &by_path {
            fin.mounts.insert(*n, p.clone());
        }
        for m in &d.mounts {
            match by_path.get(&m.path) {
                Some((n, have)) => {
                    if let Some(v) = mount_update(ctid, *n, m, have, &mut self.notes) {
                        restart.push(format!("mp{n}"));
                        set.push((format!("mp{n}"), v));
                    }
                }
                None => {
                    let n = lowest_free(&indices);
                    indices.insert(n);
                    fin.mounts.insert(n, m.path.clone());
                    set.push((format!("mp{n}"), m.value()));
                }
            }
        }
        (set, fin, restart)
    }

    /// Volume mounts whose configured size is larger than what they have.
    fn mount_growth(&mut self, d: &Desired, conf: &Conf) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        for n in conf.mount_keys() {
            let Some(v) = conf.effective(&format!("mp{n}")) else {
                continue;
            };
            let have = props::parse(v, Some("volume"));
            let Some(m) = d.mounts.iter().find(|m| have.get("mp") == Some(&m.path)) else {
                continue;
            };
            if let Source::Volume { size_gb, .. } = m.source {
                let cur = have.get("size").and_then(|s| props::size_bytes(s));
                match cur {
                    Some(cur) if size_gb * props::GIB > cur => out.push((n, size_gb)),
                    Some(cur) if size_gb * props::GIB < cur => self.notes.push(format!(
                        "CT {}: mp{n} ({}) is {} but size_gb is {size_gb}; disks are never shrunk",
                        d.ctid,
                        m.path,
                        human(cur)
                    )),
                    _ => {}
                }
            }
        }
        out
    }

    fn start(&mut self, ctid: u32, i: usize, total: usize) -> Option<String> {
        let c = &self.inv.lxcs[&ctid];
        let wanted = match self.opts.start {
            StartMode::AtBoot => c.start_at_boot,
            StartMode::All => true,
            StartMode::None => false,
        };
        if !wanted || self.seen.running.contains(&ctid) {
            return None;
        }
        self.command(
            format!("lxc:{ctid}:start"),
            pct(&["start", &ctid.to_string()]),
            None,
            format!(
                "[{i}/{total}] CT {ctid} {}: start (boot order {})",
                c.name, c.boot_order
            ),
        );
        Some("start".to_string())
    }
}

/// Whether an observed scalar equals the wanted one, the way pct reads it.
fn same(key: &str, want: &str, have: Option<&str>) -> bool {
    let Some(have) = have else { return false };
    match key {
        "memory" | "swap" | "cores" => have.trim().parse::<u64>().ok() == want.parse::<u64>().ok(),
        "onboot" => props::norm_bool(have) == props::norm_bool(want),
        "nameserver" => {
            let split = |s: &str| {
                s.split([' ', ',', ';'])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            split(have) == split(want)
        }
        "startup" => props::parse(have, Some("order")) == props::parse(want, Some("order")),
        "features" => props::features_map(have) == props::features_map(want),
        _ => have == want,
    }
}

/// The new net0 when the managed sub-keys differ; other sub-keys of the
/// existing value (type, mtu, tag, a generated hwaddr…) are kept.
fn net0_update(want: &str, have: Option<&str>) -> Option<String> {
    let want = props::parse(want, None);
    let Some(have) = have else {
        return Some(props::format_net(&want));
    };
    let have = props::parse(have, None);
    let mut differs = false;
    for k in ["name", "bridge", "ip", "gw"] {
        differs |= want.get(k) != have.get(k);
    }
    if let Some(mac) = want.get("hwaddr") {
        differs |=
            have.get("hwaddr").map(|h| h.to_ascii_uppercase()) != Some(mac.to_ascii_uppercase());
    }
    let fw_have = have
        .get("firewall")
        .and_then(|v| props::norm_bool(v))
        .unwrap_or("0");
    let fw_want = if want.contains_key("firewall") {
        "1"
    } else {
        "0"
    };
    differs |= fw_have != fw_want;
    if !differs {
        return None;
    }
    let mut new = have.clone();
    for k in ["name", "bridge", "ip", "gw", "hwaddr", "firewall"] {
        match want.get(k) {
            Some(v) => {
                new.insert(k.to_string(), v.clone());
            }
            None if k == "hwaddr" => {}
            None => {
                new.remove(k);
            }
        }
    }
    Some(props::format_net(&new))
}

/// The new value of an existing mount when its source differs. A volume on
/// another storage is reported, never replaced (that would orphan its data).
fn mount_update(
    ctid: u32,
    n: u32,
    m: &Mount,
    have: &BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Option<String> {
    let vol = have.get("volume").map(String::as_str).unwrap_or("");
    match &m.source {
        Source::Volume { storage, .. } => {
            let have_storage = vol.split_once(':').map(|(s, _)| s).unwrap_or(vol);
            if have_storage != storage {
                notes.push(format!(
                    "CT {ctid}: mp{n} ({}) is {vol}, not on storage {storage}; not replaced",
                    m.path
                ));
            }
            None
        }
        Source::Bind { host, read_only } => {
            let ro_have = have
                .get("ro")
                .and_then(|v| props::norm_bool(v))
                .unwrap_or("0")
                == "1";
            if vol == host && ro_have == *read_only {
                return None;
            }
            let mut new = have.clone();
            new.insert("volume".into(), host.clone());
            if *read_only {
                new.insert("ro".into(), "1".into());
            } else {
                new.remove("ro");
            }
            Some(props::format_volume(&new))
        }
    }
}

fn lowest_free(used: &BTreeSet<u32>) -> u32 {
    (0..).find(|i| !used.contains(i)).expect("u32 indices")
}

fn rootfs_bytes(conf: &Conf) -> Option<u64> {
    let root = props::parse(conf.effective("rootfs")?, Some("volume"));
    props::size_bytes(root.get("size")?)
}

fn human(bytes: u64) -> String {
    if (bytes / props::GIB) * props::GIB == bytes {
        format!("{}G", bytes / props::GIB)
    } else {
        format!("{bytes} bytes")
    }
}
