//! The steps of one container, each part in its own function, called in the
//! order the steps must run: make it exist (create or clone) or diff it, its
//! raw lines, one `pct set`, disk growth, raw lines of a new conf, a reboot
//! when asked for. Starts come after every container is converged.

use crate::ahead::Ahead;
use crate::conf::Conf;
use crate::desired::{self, Desired};
use crate::diff::{self, Final, SetKeys};
use crate::golden::Golden;
use crate::observe::{conf_lock, conf_path, Observed};
use crate::one_volume::{Alloc, Owners};
use crate::{clone, props, raw, storage, Options, KIND};
use phx_common::config::Inventory;
use phx_common::fast_hash::{FastMap, FastSet};
use phx_common::guests::{push_options, GuestPlanner, GuestSteps};
use phx_common::text::guest_tag;
use phx_plan::{Action, FileStep, LinesStep, StepSink};

mod bake;
mod one_volume;
mod prereq;

fn pct(args: &[&str]) -> Vec<String> {
    KIND.argv(args)
}

pub(crate) struct Planner<'a, S: StepSink = phx_plan::Plan> {
    inv: &'a Inventory,
    seen: &'a Observed,
    steps: GuestSteps<S>,
    finals: FastMap<u32, Final>,
    /// The golden templates' work, done before their snapshot.
    golden: Golden<'a>,
    storages: storage::Storages<'a>,
    /// Each container's desired state, made ahead, in order.
    desired: Ahead<'a>,
    /// `zfs_volumes` names more than one container uses, and their owners.
    one_volume_names: FastSet<String>,
    owners: Owners,
    /// The containers clones are made of.
    sources: FastSet<u32>,
}

/// One container being converged: what it is and what was planned for it.
struct Guest<'a> {
    d: Desired,
    tag: String,
    running: bool,
    existing: Option<&'a Conf>,
    /// Short names of the planned steps, for progress lines.
    actions: Vec<String>,
    /// Changes that take effect only at the next start of a running container.
    needs_restart: Vec<String>,
    /// Raw lines a container made by this plan starts with: none when
    /// created, its source snapshot's when cloned.
    inherited: Vec<String>,
    /// The names pct gives the volumes this plan allocates, followed only
    /// for a container that owns a shared volume (crate::one_volume).
    alloc: Option<Alloc<'a>>,
}

impl<'a, S: StepSink> Planner<'a, S> {
    pub(crate) fn new(
        inv: &'a Inventory,
        seen: &'a Observed,
        opts: Options,
        plan: S,
        desired: Ahead<'a>,
        mut golden: Golden<'a>,
    ) -> Self {
        let mut notes = seen.notes.clone();
        notes.append(&mut golden.notes);
        notes.extend(crate::check::pending_sources(inv, seen));
        notes.extend(crate::check::pending_templates(inv, seen));
        let one_volume_names = crate::one_volume::names(inv);
        Planner {
            inv,
            seen,
            steps: GuestSteps::new(KIND, plan, opts, notes),
            finals: FastMap::default(),
            golden,
            storages: storage::Storages::of(&inv.host),
            desired,
            owners: Owners::existing(inv, &seen.confs, &one_volume_names),
            one_volume_names,
            sources: inv.lxcs.values().filter_map(|c| c.clone_from).collect(),
        }
    }

    /// An existing container: the keys that differ; restarts it would need.
    fn diff_existing(&mut self, g: &mut Guest, conf: &Conf) -> (SetKeys, Final) {
        let source = self.sources.contains(&g.d.ctid);
        let (set, fin, restart) = diff::existing(&g.d, conf, source, &mut self.steps.notes);
        if g.running {
            g.needs_restart.extend(restart);
            if conf.has_pending() {
                g.needs_restart
                    .push("changes already pending in its conf".to_string());
            }
        }
        (set, fin)
    }

    /// A missing container: cloned from its source's snapshot, then every
    /// key set; or created with every key.
    fn make(&mut self, g: &mut Guest) -> (SetKeys, Final) {
        let c = &self.inv.lxcs[&g.d.ctid];
        let Some(src) = c.clone_from else {
            let volid = self
                .storages
                .template_volid(c.template.as_deref().expect("checked"))
                .expect("checked");
            let fin = self.create(&g.d, &volid, &g.tag);
            if let Some(alloc) = &mut g.alloc {
                // pct create allocates rootfs, then mp0, mp1… (foreach_volume).
                for (k, s) in std::iter::once(("rootfs".to_string(), &g.d.rootfs_storage)).chain(
                    g.d.mounts
                        .iter()
                        .enumerate()
                        .filter_map(|(n, m)| match &m.source {
                            desired::Source::Volume { storage, .. } => {
                                Some((format!("mp{n}"), storage))
                            }
                            _ => None,
                        }),
                ) {
                    alloc.alloc(&k, s);
                }
            }
            g.actions.push("create".to_string());
            return (Vec::new(), fin);
        };
        let ctid = g.d.ctid;
        let snap = self.inv.lxcs[&src]
            .template_snapshot_name
            .clone()
            .expect("checked");
        let (src_id, id) = (src.to_string(), ctid.to_string());
        let base = self.finals.get(&src).cloned().unwrap_or_default();
        let way = clone::way(&base, &g.d.rootfs_storage);
        let mut argv = pct(&[
            "clone",
            &src_id,
            &id,
            "--snapname",
            &snap,
            "--hostname",
            &c.name,
        ]);
        if let Some(s) = &way.storage {
            argv.extend(["--storage".to_string(), s.clone()]);
        }
        self.steps.command(
            ["lxc:", &id, ":clone"].concat(),
            argv,
            Some(pct(&["status", &id])),
            [
                g.tag.as_str(),
                ": clone from CT ",
                &src_id,
                " snapshot ",
                &snap,
            ]
            .concat(),
        );
        if let Some(alloc) = &mut g.alloc {
            for (k, s) in &base.volumes {
                alloc.alloc(k, way.storage.as_deref().unwrap_or(s));
            }
        }
        if let Some(to) = &way.move_rootfs {
            // Unguarded: it runs right after the clone that made the copy,
            // in the plan that made the clone.
            self.steps.command(
                ["lxc:", &id, ":move-rootfs"].concat(),
                pct(&["move-volume", &id, "rootfs", to, "--delete", "1"]),
                None,
                [
                    g.tag.as_str(),
                    ": move rootfs to ",
                    to,
                    " (its volume mounts stay on their storages)",
                ]
                .concat(),
            );
            g.actions.push(["move rootfs to ", to].concat());
            if let Some(alloc) = &mut g.alloc {
                alloc.moved("rootfs", to);
            }
        }
        g.actions.push(["clone from ", &src_id].concat());
        // The snapshot as it is, else as this plan takes it (after the
        // source's own steps).
        g.inherited =
            bake::seen_snapshot_raw(self.seen, src, &snap).unwrap_or_else(|| base.raw.clone());
        if base.unprivileged != g.d.unprivileged {
            self.steps.notes.push(format!(
                "CT {ctid}: unprivileged={} is wanted, but a clone of CT {src} is {}; unprivileged is fixed at creation, so it is not changed",
                g.d.unprivileged as u8, base.unprivileged as u8
            ));
        }
        let mut base = base;
        base.volumes = way.volumes;
        diff::clone_settings(&g.d, base)
    }

    fn create(&mut self, d: &Desired, volid: &str, tag: &str) -> Final {
        let id = d.ctid.to_string();
        let mut argv = pct(&["create", &id, volid]);
        push_options(&mut argv, &d.keys);
        argv.push("--rootfs".into());
        argv.push(format!("{}:{}", d.rootfs_storage, d.rootfs_gb));
        argv.push("--unprivileged".into());
        argv.push(if d.unprivileged { "1" } else { "0" }.into());
        let mut fin = Final {
            rootfs_bytes: d.rootfs_gb * props::GIB,
            mounts: Default::default(),
            unprivileged: d.unprivileged,
            volumes: [("rootfs".to_string(), d.rootfs_storage.clone())].into(),
            mount_bytes: Default::default(),
            raw: Vec::new(),
            devs: Default::default(),
        };
        for (n, m) in d.mounts.iter().enumerate() {
            argv.push(format!("--mp{n}"));
            argv.push(m.value());
            fin.mounts.insert(n as u32, m.path.clone());
            if let desired::Source::Volume {
                storage, size_gb, ..
            } = &m.source
            {
                fin.volumes.insert(format!("mp{n}"), storage.clone());
                fin.mount_bytes.insert(n as u32, size_gb * props::GIB);
            }
        }
        self.steps.command(
            format!("lxc:{}:create", d.ctid),
            argv,
            Some(pct(&["status", &id])),
            format!("{tag}: create from {volid}"),
        );
        fin
    }

    /// Raw lines of an existing container: the whole conf with only its raw
    /// lines edited, written before any pct call for this container in this
    /// plan (pct set/resize rewrite the conf and keep raw lines, so writing
    /// after them would undo their change). Returns the raw lines it will
    /// have when they change.
    fn edit_raw_lines(&mut self, g: &mut Guest) -> Option<Vec<String>> {
        let conf = g.existing?;
        let ctid = g.d.ctid;
        let e = raw::edit(&conf.text, &g.d.raw, &g.d.owned);
        self.report_stray(ctid, &e.stray);
        if e.text == conf.text {
            return None;
        }
        let raw = crate::conf::parse(&e.text).raw;
        if let Some(lock) = conf.keys.get("lock") {
            self.steps.notes.push(format!(
                "CT {ctid} is locked ({lock}) now, a backup, migration or snapshot in progress: its conf is written only once the lock is gone (phx-apply fails the step while {} has a lock: line)",
                conf_path(ctid)
            ));
        }
        self.steps.plan.push(
            format!("lxc:{ctid}:conf"),
            Action::File(FileStep {
                path: conf_path(ctid),
                content: e.text,
                // pmxcfs: no mode or owner.
                conf_lock: Some(conf_lock(ctid)),
                ..Default::default()
            }),
        );
        g.actions.push(format!("edit {} lxc line(s)", e.changes));
        if g.running {
            g.needs_restart.push("raw lxc lines".to_string());
        }
        Some(raw)
    }

    /// Raw lines of an existing conf of keys its entry does not name: the
    /// operator's, kept, and reported.
    fn report_stray(&mut self, ctid: u32, stray: &[String]) {
        if stray.is_empty() {
            return;
        }
        self.steps.notes.push(format!(
            "CT {ctid} has lxc line(s) of keys its entry does not name (lxc_options, apparmor_profile): {}; kept — remove them from {} by hand if they are not wanted",
            stray.join(" | "),
            conf_path(ctid)
        ));
    }

    /// Its GPUs' `devN` entries (crate::gpu), set and deleted in its one
    /// `pct set`. Nothing when this node lacks the device nodes (plan_into
    /// warned). New entries are hotplugged into a running container;
    /// changed and deleted ones wait for its next start.
    fn gpu_devices(&mut self, g: &mut Guest, set: &mut SetKeys, fin: &mut Final) {
        let Ok(want) = crate::gpu::wanted(&g.d.gpus, &self.seen.own.gpu_nodes) else {
            return;
        };
        let r = crate::gpu::reconcile(&fin.devs, &want);
        if g.running && g.existing.is_some() && (r.set.len() > r.added || !r.delete.is_empty()) {
            g.needs_restart.push("GPU device entries".to_string());
        }
        set.extend(r.set);
        if !r.delete.is_empty() {
            set.push(("delete".to_string(), r.delete.join(",")));
        }
        fin.devs = r.devs;
    }

    /// One `pct set` with every key that differs.
    fn set(&mut self, g: &mut Guest, set: &SetKeys) {
        if let Some(a) = self.steps.set(g.d.ctid, &g.tag, set) {
            g.actions.push(a);
        }
    }

    /// Disks only grow: rootfs, then volume mounts; a smaller size is reported.
    fn grow(&mut self, g: &mut Guest, fin: &mut Final) {
        let ctid = g.d.ctid;
        let current_root = match g.existing {
            Some(conf) => diff::rootfs_bytes(conf),
            None => Some(fin.rootfs_bytes),
        };
        let want_gb = g.d.rootfs_gb;
        let want_root = want_gb * props::GIB;
        if let Some(cur) = current_root {
            if want_root > cur {
                let a = self.steps.resize(ctid, "rootfs", want_gb, &g.tag);
                g.actions.push(a);
                fin.rootfs_bytes = want_root;
            } else if want_root < cur && g.existing.is_some() {
                self.steps.notes.push(format!(
                    "CT {ctid}: rootfs is {} but storage_size_gb is {want_gb}; disks are never shrunk",
                    props::human(cur)
                ));
            }
        }
        let growth = match g.existing {
            Some(conf) => diff::mount_growth(&g.d, conf, &mut self.steps.notes),
            None => diff::inherited_growth(&g.d, fin, &mut self.steps.notes),
        };
        for (idx, size_gb) in growth {
            let a = self
                .steps
                .resize(ctid, &format!("mp{idx}"), size_gb, &g.tag);
            g.actions.push(a);
            fin.mount_bytes.insert(idx, size_gb * props::GIB);
        }
    }

    /// A container made by this plan: its conf does not exist while
    /// planning, so its raw lines go in through a `lines` step once pct made
    /// it. A clone's step also removes the owned lines it inherited that its
    /// entry does not want (another GPU, another AppArmor profile), before
    /// it is first started. Returns the raw lines it will have.
    fn add_raw_lines(&mut self, g: &mut Guest) -> Option<Vec<String>> {
        if g.existing.is_some() {
            return None;
        }
        let before: String = g.inherited.iter().map(|l| format!("{l}\n")).collect();
        let is_clone = self.inv.lxcs[&g.d.ctid].clone_from.is_some();
        let owned = if is_clone {
            g.d.owned.clone()
        } else {
            Vec::new()
        };
        let after = phx_plan::edit::with_lines(&before, &g.d.raw, &owned, Some("["));
        let raw: Vec<String> = after.lines().map(str::to_string).collect();
        if after == before {
            return Some(raw);
        }
        let removed = g.inherited.iter().filter(|l| !raw.contains(l)).count();
        self.steps.plan.push(
            format!("lxc:{}:lines", g.d.ctid),
            Action::Lines(LinesStep {
                path: conf_path(g.d.ctid),
                lines: g.d.raw.clone(),
                owned,
                stop_at: Some("[".into()),
                notify: Vec::new(),
                conf_lock: Some(conf_lock(g.d.ctid)),
            }),
        );
        g.actions.push(match removed {
            0 => format!("{} lxc line(s)", g.d.raw.len()),
            n => format!(
                "{} lxc line(s), {n} inherited one(s) removed",
                g.d.raw.len()
            ),
        });
        Some(raw)
    }

    /// A running container with changes that wait for its next start:
    /// rebooted with --restart, else reported.
    fn reboot(&mut self, g: &mut Guest) {
        if let Some(a) = self.steps.reboot(g.d.ctid, &g.tag, &g.needs_restart) {
            g.actions.push(a);
        }
    }
}

impl<S: StepSink> GuestPlanner for Planner<'_, S> {
    type Sink = S;

    /// Steps that make container `ctid` exist and match its entry. Returns
    /// short names of what was planned.
    fn converge(&mut self, ctid: u32, i: usize, total: usize) -> Vec<String> {
        let c = &self.inv.lxcs[&ctid];
        let seen = self.seen;
        let mut d = self.desired.next(ctid);
        let mounted = self.share(&mut d);
        let owns = d.mounts.iter().any(|m| match &m.source {
            desired::Source::Volume { name, .. } => self.owners.owns(name, ctid),
            _ => false,
        });
        let existing = seen.confs.get(&ctid);
        let mut g = Guest {
            d,
            tag: guest_tag(i, total, KIND.noun, ctid, &c.name),
            running: seen.running.contains(&ctid),
            existing,
            actions: Vec::new(),
            needs_restart: Vec::new(),
            inherited: Vec::new(),
            alloc: owns.then(|| Alloc::new(ctid, &seen.own.kinds, existing, &seen.own.on_storage)),
        };
        let (mut set, mut fin) = match g.existing {
            Some(conf) => self.diff_existing(&mut g, conf),
            None => self.make(&mut g),
        };
        self.gpu_devices(&mut g, &mut set, &mut fin);
        self.one_volume_notes(&g, &set, &mounted);
        self.record_owned(&mut g, &set, &fin);
        if let Some(raw) = self.edit_raw_lines(&mut g) {
            fin.raw = raw;
        }
        self.set(&mut g, &set);
        self.grow(&mut g, &mut fin);
        if let Some(raw) = self.add_raw_lines(&mut g) {
            fin.raw = raw;
        }
        self.reboot(&mut g);
        self.bake(&mut g);
        self.finals.insert(ctid, fin);
        g.actions
    }

    /// `pct start` of a container that should run and does not; `rank` is
    /// its place in the order over every guest (the step id carries it).
    fn start(&mut self, ctid: u32, rank: usize, i: usize, total: usize) -> Option<String> {
        let c = &self.inv.lxcs[&ctid];
        if !self.steps.opts.start.wants(c.start_at_boot) || self.seen.running.contains(&ctid) {
            return None;
        }
        let tag = guest_tag(i, total, KIND.noun, ctid, &c.name);
        Some(self.steps.start(ctid, rank, &tag, c.boot_order))
    }

    fn pass(&mut self, ctid: u32) {
        self.take_as_is(ctid);
    }

    fn name(&self, ctid: u32) -> String {
        self.inv.lxcs[&ctid].name.clone()
    }

    fn boot_order(&self, ctid: u32) -> u64 {
        self.inv.lxcs[&ctid].boot_order
    }

    fn exists(&self, ctid: u32) -> bool {
        self.seen.confs.contains_key(&ctid)
    }

    fn running(&self, ctid: u32) -> bool {
        self.seen.running.contains(&ctid)
    }

    fn made(&self, ctid: u32) -> bool {
        self.is_made(ctid)
    }

    fn steps(&mut self) -> &mut GuestSteps<S> {
        &mut self.steps
    }

    fn finish(self) -> (S, Vec<String>) {
        (self.steps.plan, self.steps.notes)
    }
}
