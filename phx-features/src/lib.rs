//! phx-features: the software inside the running containers. Each
//! container's `features` in array order (recipes of guarded in-guest steps,
//! the executor's guest kinds), then its `application_script`; containers in
//! the order phx-lxc starts them. Every feature name is planned here,
//! provided by phx-ca, or warned about once per run (`catalog`).

pub mod app;
pub mod base;
pub mod catalog;
pub mod cli;
pub mod docker;
pub mod tool;

use catalog::{Kind, Recipe};
use phx_common::config::{Inventory, Lxc, Problems};
use phx_plan::guest_steps::{self as guest, installed};
use phx_plan::{argv, Action, Plan};
use std::collections::BTreeMap;

pub const TOOL: &str = "phx-features";

#[derive(Debug)]
pub struct Output {
    pub plan: Plan,
    /// Printed on stderr; the exit status is unaffected.
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

/// One container's work.
struct Work<'a> {
    c: &'a Lxc,
    recipes: Vec<Recipe>,
    distro: Option<docker::Distro>,
    script: Option<app::Script>,
}

/// The plan. `Err` holds every problem, and then nothing is planned.
pub fn build(inv: &Inventory) -> Result<Output, Problems> {
    let mut p = Problems::default();
    let (mut warnings, mut notes) = (Vec::new(), Vec::new());
    // Containers in phx-lxc's start order (the loader refuses cycles).
    let order =
        phx_common::order::order(inv).unwrap_or_else(|_| inv.lxcs.keys().copied().collect());
    let mut not_yet: BTreeMap<&str, (&str, Vec<u32>)> = BTreeMap::new();
    let mut work = Vec::new();
    for c in order.iter().filter_map(|id| inv.lxcs.get(id)) {
        let mut recipes = Vec::new();
        let mut unhandled = Vec::new();
        for f in &c.features {
            match catalog::kind(f) {
                Kind::Recipe(r) if !recipes.contains(&r) => recipes.push(r),
                Kind::Recipe(_) | Kind::ByCa => {}
                Kind::NotYet(why) => {
                    not_yet.entry(f).or_insert((why, Vec::new())).1.push(c.id);
                    unhandled.push(f.as_str());
                }
            }
        }
        let distro = if recipes.contains(&Recipe::Docker) {
            docker::check(inv, c, &mut p, &mut warnings)
        } else {
            None
        };
        let wants_script = c.application_script.is_some();
        if recipes.is_empty() && !wants_script {
            continue;
        }
        if !c.start_at_boot {
            // LetsGo starts only these, and pct exec needs it running.
            let what: Vec<&str> = recipes
                .iter()
                .map(|r| r.name())
                .chain(wants_script.then_some("application_script"))
                .collect();
            warnings.push(format!(
                "{}: {}.start_at_boot: CT {} does not start at boot: nothing is done for its {} (phx-features works inside running containers)",
                inv.sources.lxc,
                c.path,
                c.id,
                what.join(", ")
            ));
            continue;
        }
        let script = if wants_script && !unhandled.is_empty() {
            // The script builds on what those features install.
            warnings.push(format!(
                "{}: {}.application_script: CT {}'s {:?} is not run: it builds on {}, not yet handled",
                inv.sources.lxc,
                c.path,
                c.id,
                c.application_script.as_deref().unwrap_or_default(),
                unhandled.join(", ")
            ));
            None
        } else {
            app::resolve(inv, c, &mut p, &mut notes)
        };
        if recipes.is_empty() && script.is_none() {
            continue;
        }
        work.push(Work {
            c,
            recipes,
            distro,
            script,
        });
    }
    for (f, (why, ids)) in not_yet {
        let cts: Vec<String> = ids.iter().map(|i| format!("CT {i}")).collect();
        warnings.push(format!(
            "{}: features \"{f}\" ({}): not yet handled, nothing is installed for it ({why})",
            inv.sources.lxc,
            cts.join(", ")
        ));
    }
    if !p.is_empty() {
        p.warnings.extend(warnings);
        return Err(p);
    }
    let mut plan = Plan::new(TOOL);
    for w in &work {
        plan_container(&mut plan, inv, w);
    }
    Ok(Output {
        plan,
        warnings,
        notes,
    })
}

/// The nearest container up the clone chain that lists `feature`: its image
/// already carries what the recipe installs (the original's
/// is_feature_present_on_container), which the guards then prove.
pub fn ancestor_with(inv: &Inventory, c: &Lxc, feature: &str) -> Option<u32> {
    let mut cur = c;
    for _ in 0..inv.lxcs.len() {
        let parent = inv.lxcs.get(&cur.clone_from?)?;
        if parent.has_feature(feature) {
            return Some(parent.id);
        }
        cur = parent;
    }
    None
}

fn packages(r: Recipe, c: &Lxc) -> Vec<&'static str> {
    match r {
        Recipe::BaseSetup => base::PACKAGES.to_vec(),
        Recipe::Docker => docker::packages(c),
    }
}

/// Repositories first, then one index refresh (only while a package of any
/// recipe is missing), each recipe's packages and configuration in array
/// order, then the application script.
fn plan_container(plan: &mut Plan, inv: &Inventory, w: &Work) {
    let ct = w.c.id;
    let id = |s: &str| format!("features-{ct}-{s}");
    if let Some(d) = &w.distro {
        docker::repository(plan, &id("docker"), ct, d);
    }
    if !w.recipes.is_empty() {
        let all: Vec<&str> = w.recipes.iter().flat_map(|r| packages(*r, w.c)).collect();
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
        let pk = packages(r, w.c);
        let get = guest::apt_get_install(&pk);
        let from = match ancestor_with(inv, w.c, r.name()) {
            Some(a) => format!(" (inherited from CT {a}: the guard checks its image carries them)"),
            None => String::new(),
        };
        guest::command(
            plan,
            &id(&format!("{}-install", r.name())),
            ct,
            get,
            Some(installed(&pk)),
            &format!("install {}'s packages{from}", r.name()),
        );
    }
    for &r in &w.recipes {
        let prefix = id(r.name());
        match r {
            Recipe::BaseSetup => base::locale(plan, &prefix, ct),
            Recipe::Docker => docker::configure(plan, &prefix, w.c),
        }
    }
    if let Some(s) = &w.script {
        app::plan(plan, &id("app"), ct, s);
    }
}

/// The files the plan writes whole, at `/guests/<id>/<path in the guest>`.
pub fn render(out: &Output) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = out
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::GuestFile(f) => f
                .content
                .as_ref()
                .map(|c| (format!("/guests/{}{}", f.guest.id(), f.path), c.clone())),
            _ => None,
        })
        .collect();
    files.sort();
    files
}
