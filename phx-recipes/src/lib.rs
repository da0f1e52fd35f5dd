//! phx-recipes: what each feature installs, as guarded in-guest steps (the
//! plan contract's guest kinds), and which guests get which. Shared by
//! the two planners that run features: phx-features in the running
//! containers and VMs, phx-lxc in a golden template before its snapshot.
//! Both see the same selection, so they say the same warnings (phoenix-cli
//! shows each once per run) and refuse the same input.

pub mod app;
pub mod base;
pub mod catalog;
pub mod docker;
pub mod nfs;
pub mod nvidia;
pub mod ollama;
pub mod portainer;
pub mod python;
pub mod subject;
pub mod vllm;
pub mod vllm_flags;
mod vm;

use catalog::{Kind, Recipe};
use phx_common::config::{Inventory, Lxc, Problems, VmVolume};
use phx_plan::guest_steps::{self as guest, installed};
use phx_plan::{argv, StepSink};
use std::collections::BTreeMap;
pub use subject::{Of, Subject};

/// One guest's work.
#[derive(Debug)]
pub struct Work<'a> {
    pub s: Subject<'a>,
    pub recipes: Vec<Recipe>,
    pub distro: Option<docker::Distro>,
    /// The `portainer` recipe's role (it is in `recipes` only with one).
    pub portainer: Option<portainer::Role>,
    pub script: Option<app::Script>,
    /// A VM's NFS volumes, mounted in it (nfs).
    pub volumes: &'a [VmVolume],
    /// A VM's cloud-init user, put in the `docker` group (docker).
    pub docker_user: Option<&'a str>,
    /// A container's `nvidia` (it is in `recipes` only with one).
    pub nvidia: Option<nvidia::Setup<'a>>,
}

impl Work<'_> {
    /// The feature names this work installs, for a template's record.
    pub fn names(&self) -> Vec<&'static str> {
        self.recipes.iter().map(|r| r.name()).collect()
    }
}

/// Every guest's work, containers and VMs in the one start order over both
/// (phx_common::order, which phx-lxc and phx-vm follow), with what the run
/// must say about the rest.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    pub work: Vec<Work<'a>>,
    /// Printed on stderr; the exit status is unaffected. Each names one
    /// container, so any planner's selection says it in the same words.
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    /// Feature names known but not installed yet: why, and the containers
    /// that list them.
    pub not_yet: BTreeMap<&'a str, (&'static str, Vec<u32>)>,
    /// The same for VMs.
    pub not_yet_vms: BTreeMap<&'a str, (&'static str, Vec<u32>)>,
    /// Containers with a portainer_role but not the feature that reads it.
    pub role_alone: Vec<String>,
}

impl Selection<'_> {
    /// The warnings that name several containers: one per feature name not
    /// installed yet, and the portainer_role nothing reads. Said by the
    /// planner that speaks for every container (phx-features), so a run
    /// says each once.
    pub fn summary_warnings(&self, inv: &Inventory) -> Vec<String> {
        let roles = (!self.role_alone.is_empty()).then(|| {
            format!(
                "{}: portainer_role ({}): not handled, ignored: only the \"portainer\" feature reads it, and these containers do not list it",
                inv.sources.lxc,
                self.role_alone.join(", ")
            )
        });
        let not_yet = |file: &str, kind: &str, map: &BTreeMap<&str, (&str, Vec<u32>)>| {
            map.iter()
                .map(|(f, (why, ids))| {
                    let guests: Vec<String> = ids.iter().map(|i| format!("{kind} {i}")).collect();
                    format!(
                        "{file}: features \"{f}\" ({}): not yet handled, nothing is installed for it ({why})",
                        guests.join(", ")
                    )
                })
                .collect::<Vec<_>>()
        };
        roles
            .into_iter()
            .chain(not_yet(&inv.sources.lxc, "CT", &self.not_yet))
            .chain(not_yet(&inv.sources.vm, "VM", &self.not_yet_vms))
            .collect()
    }
}

/// A golden template: its snapshot is what clones are made from, so its
/// features go into the image before the snapshot (phx-lxc plans them).
pub fn is_template(c: &Lxc) -> bool {
    c.template_snapshot_name.is_some()
}

/// A golden container template: phx-lxc's selection.
pub fn golden(s: &Subject) -> bool {
    s.lxc().is_some_and(is_template)
}

/// A VM template: phx-vm's selection (its features go into its image
/// before `qm template`).
pub fn vm_template(s: &Subject) -> bool {
    matches!(s.of, Of::Vm(v) if v.is_template)
}

/// The selection over the guests `which` takes. `Err` holds every
/// problem, and then nothing is planned.
pub fn select(
    inv: &Inventory,
    which: impl Fn(&Subject) -> bool,
) -> Result<Selection<'_>, Problems> {
    let mut p = Problems::default();
    let mut sel = Selection::default();
    // Containers and VMs in the one start order (the loader refuses cycles).
    let order = phx_common::order::order(inv).unwrap_or_else(|_| {
        inv.lxcs
            .keys()
            .copied()
            .chain(inv.vms.iter().map(|v| v.id))
            .collect()
    });
    for s in order.iter().filter_map(|id| {
        inv.lxcs.get(id).map(|c| Subject::ct(inv, c)).or_else(|| {
            inv.vms
                .iter()
                .find(|v| v.id == *id)
                .map(|v| Subject::vm(inv, v))
        })
    }) {
        if !which(&s) {
            continue;
        }
        let c = match s.of {
            Of::Ct(c) => c,
            Of::Vm(v) => {
                vm::select(inv, s, v, &mut p, &mut sel);
                continue;
            }
        };
        if let Some(r) = c.portainer_role.as_deref() {
            if r != "none" && !c.has_feature("portainer") {
                sel.role_alone.push(format!("CT {} {r:?}", c.id));
            }
        }
        let mut recipes = Vec::new();
        let mut unhandled = Vec::new();
        for f in &c.features {
            match catalog::kind(f) {
                Kind::Recipe(r) if !recipes.contains(&r) => recipes.push(r),
                Kind::Recipe(_) | Kind::ByCa => {}
                Kind::NotYet(why) => {
                    sel.not_yet
                        .entry(f)
                        .or_insert((why, Vec::new()))
                        .1
                        .push(c.id);
                    unhandled.push(f.as_str());
                }
            }
        }
        let distro = if recipes.contains(&Recipe::Docker) {
            docker::check(inv, c, &mut p, &mut sel.warnings)
        } else {
            None
        };
        nvidia::check_docker_gpu(inv, s, c, &mut p);
        let nvidia = if recipes.contains(&Recipe::Nvidia) {
            let n = nvidia::check(inv, c, &mut p, &mut sel.warnings);
            if n.is_none() {
                recipes.retain(|r| *r != Recipe::Nvidia);
            }
            n
        } else {
            None
        };
        let portainer = if recipes.contains(&Recipe::Portainer) {
            let role = portainer::check(inv, s, &mut p, &mut sel.warnings);
            if role.is_none() {
                recipes.retain(|r| *r != Recipe::Portainer);
            }
            role
        } else {
            None
        };
        if recipes.contains(&Recipe::Vllm) {
            vllm::check(inv, s, vllm::engine(c), &mut p, &mut sel.warnings);
        }
        let wants_script = c.application_script.is_some();
        if recipes.is_empty() && !wants_script {
            continue;
        }
        if !c.start_at_boot && !is_template(c) {
            // LetsGo starts only these, and pct exec needs it running.
            let what: Vec<&str> = recipes
                .iter()
                .map(|r| r.name())
                .chain(wants_script.then_some("application_script"))
                .collect();
            sel.warnings.push(format!(
                "{}: {}.start_at_boot: CT {} does not start at boot: nothing is done for its {} (features run inside running containers, or in a template before its snapshot)",
                inv.sources.lxc,
                c.path,
                c.id,
                what.join(", ")
            ));
            continue;
        }
        let script = if wants_script && !unhandled.is_empty() {
            // The script builds on what those features install.
            sel.warnings.push(format!(
                "{}: {}.application_script: CT {}'s {:?} is not run: it builds on {}, not yet handled",
                inv.sources.lxc,
                c.path,
                c.id,
                c.application_script.as_deref().unwrap_or_default(),
                unhandled.join(", ")
            ));
            None
        } else {
            app::resolve(inv, c, &mut p, (&mut sel.notes, &mut sel.warnings))
        };
        if recipes.is_empty() && script.is_none() {
            continue;
        }
        sel.work.push(Work {
            s,
            recipes,
            distro,
            portainer,
            script,
            volumes: &[],
            docker_user: None,
            nvidia,
        });
    }
    if !p.is_empty() {
        let not_yet = sel.summary_warnings(inv);
        p.warnings.extend(sel.warnings);
        p.warnings.extend(not_yet);
        return Err(p);
    }
    Ok(sel)
}

/// The nearest guest up the clone chain that lists `feature`: its image
/// already carries what the recipe installs (the original's
/// is_feature_present_on_container), which the guards then prove.
pub fn ancestor_with<'a>(inv: &'a Inventory, s: Subject<'a>, feature: &str) -> Option<Subject<'a>> {
    let mut cur = s;
    for _ in 0..inv.lxcs.len() + inv.vms.len() {
        let parent = cur.parent(inv)?;
        if parent.has_feature(feature) {
            return Some(parent);
        }
        cur = parent;
    }
    None
}

fn packages(r: Recipe, unprivileged: bool) -> Vec<&'static str> {
    match r {
        Recipe::BaseSetup => base::PACKAGES.to_vec(),
        Recipe::Docker => docker::packages(unprivileged),
        Recipe::PythonApiService => python::PACKAGES.to_vec(),
        Recipe::Vllm => vllm::PACKAGES.to_vec(),
        Recipe::Ollama => ollama::PACKAGES.to_vec(),
        // Images, not packages: Docker pulls them.
        Recipe::Portainer => Vec::new(),
        // What fetches its keys and runfile; CUDA comes from NVIDIA's
        // repository (nvidia::plan).
        Recipe::Nvidia => nvidia::PACKAGES.to_vec(),
    }
}

/// One guest's steps, ids prefixed `prefix-<id>-`: repositories first,
/// then one index refresh (only while a package of any recipe is missing),
/// each recipe's packages in array order, a VM's NFS volumes mounted, each
/// recipe's configuration, then the application script.
pub fn plan(plan: &mut impl StepSink, prefix: &str, inv: &Inventory, w: &Work) {
    let ct = w.s.guest();
    let unpriv = w.s.unprivileged();
    let id = |s: &str| format!("{prefix}-{}-{s}", ct.id());
    if let Some(d) = &w.distro {
        docker::repository(plan, &id("docker"), ct, d);
    }
    let nfs: &[&str] = if w.volumes.is_empty() {
        &[]
    } else {
        &nfs::PACKAGES
    };
    let all: Vec<&str> = w
        .recipes
        .iter()
        .flat_map(|r| packages(*r, unpriv))
        .chain(nfs.iter().copied())
        .collect();
    if !all.is_empty() {
        guest::command(
            plan,
            &id("apt-update"),
            ct,
            argv(&["apt-get", "update"]),
            Some(installed(&all)),
            "apt-get update (a feature's package is missing)",
        );
    }
    for &r in &w.recipes {
        let pk = packages(r, unpriv);
        if pk.is_empty() {
            continue;
        }
        let get = guest::apt_get_install(&pk);
        let from = inherited(inv, w.s, r.name());
        guest::command(
            plan,
            &id(&format!("{}-install", r.name())),
            ct,
            get,
            Some(installed(&pk)),
            &format!("install {}'s packages{from}", r.name()),
        );
    }
    if !w.volumes.is_empty() {
        guest::command(
            plan,
            &id("nfs-install"),
            ct,
            guest::apt_get_install(nfs),
            Some(installed(nfs)),
            "install nfs-common (mount.nfs, for the NFS volumes)",
        );
        nfs::plan(plan, &id("volume"), ct, w.volumes);
    }
    // nvidia first (Docker's configuration sets its runtime), Portainer
    // last, whatever their place in the array: it needs Docker's service
    // running, which docker's configuration starts.
    let (last, first): (Vec<Recipe>, Vec<Recipe>) =
        w.recipes.iter().partition(|r| **r == Recipe::Portainer);
    let (gpu, first): (Vec<Recipe>, Vec<Recipe>) =
        first.into_iter().partition(|r| *r == Recipe::Nvidia);
    let runtime = w.nvidia.as_ref().is_some_and(|n| n.docker);
    for r in gpu.into_iter().chain(first).chain(last) {
        let prefix = id(r.name());
        match r {
            Recipe::BaseSetup => base::locale(plan, &prefix, ct),
            Recipe::Nvidia => {
                if let Some(n) = &w.nvidia {
                    let from = inherited(inv, w.s, "nvidia");
                    nvidia::plan(plan, &prefix, ct, n, &from);
                    if runtime {
                        nvidia::container_toolkit(plan, &prefix, ct, unpriv);
                    }
                }
            }
            Recipe::Docker => {
                docker::configure(plan, &prefix, ct, unpriv, runtime);
                if let Some(u) = w.docker_user {
                    docker::group(plan, &prefix, ct, u);
                }
            }
            Recipe::PythonApiService => {}
            Recipe::Vllm => {
                if let Some(c) = w.s.lxc() {
                    vllm::plan(plan, &prefix, ct, c, vllm::engine(c));
                }
            }
            Recipe::Ollama => {
                if let Some(c) = w.s.lxc() {
                    ollama::plan(plan, &prefix, ct, ollama::port_of(c), ollama::models(c));
                }
            }
            Recipe::Portainer => {
                if let Some(role) = w.portainer {
                    portainer::plan(plan, &prefix, ct, role);
                }
            }
        }
    }
    if let Some(s) = &w.script {
        app::plan(plan, &id("app"), ct, s);
    }
}

/// " (inherited from CT n: …)" when a clone ancestor lists `feature`.
fn inherited(inv: &Inventory, s: Subject, feature: &str) -> String {
    match ancestor_with(inv, s, feature) {
        Some(a) => format!(
            " (inherited from {}: the guard checks its image carries it)",
            a.label()
        ),
        None => String::new(),
    }
}
