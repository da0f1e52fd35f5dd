//! The guest keys of the original's files that no Phoenix tool acts on:
//! one warning per key and file, naming the guests that carry it. The
//! loader says it, so every planner of a run prints the same line and
//! phoenix-cli shows it once. A key a tool reads and acts on is not here;
//! keys one tool knows it does not handle yet are warned by that tool
//! (phx-vm: a VM's `features` and `volumes`; phx-recipes: the features not
//! written yet, a container's `portainer_role` without the `portainer`
//! feature).

use super::model::{Guest, Inventory};
use super::problems::Problems;
use std::collections::BTreeMap;

/// Why each noted key is not acted on, and what Phoenix does instead.
pub fn why(key: &str) -> &'static str {
    match key {
        "apparmor_manages_nesting" => {
            "the original added lxc.apparmor.allow_nesting and nesting.conf when true; Phoenix gives nesting through pct_options (nesting=1) and the profile through apparmor_profile"
        }
        "enable_lifecycle_snapshots" => {
            "Phoenix takes no snapshot before a container's features; only a template's template_snapshot_name is made"
        }
        "tests" => "the original's in-guest health checks are not run; phx-verify checks names and flows",
        "ports" => {
            "no host port is forwarded into a container; reach it at its own address (phx-fw opens the declared flows); only the \"ollama\" feature reads it (the port Ollama listens on), and these containers do not list it"
        }
        "portainer_environment_name" | "docker_stacks" => {
            "Portainer's stacks and environments are not set up inside VMs yet (Portainer itself is: phx-features runs its server or agent per portainer_role)"
        }
        _ => "no Phoenix tool reads it",
    }
}

/// One warning per (file, key), guests in file order.
pub fn check(inv: &Inventory, p: &mut Problems) {
    let mut by_key: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for g in inv.guests() {
        let (file, who) = match g {
            Guest::Lxc(c) => (inv.sources.lxc.as_str(), format!("CT {}", c.id)),
            Guest::Vm(v) => (inv.sources.vm.as_str(), format!("VM {}", v.id)),
        };
        let mut keys: Vec<&str> = g.common().unhandled.clone();
        if let Guest::Lxc(c) = g {
            // phx-recipes' ollama listens on the guest side of its ports.
            if !c.ports.is_empty() && !c.has_feature("ollama") {
                keys.push("ports");
            }
        }
        for k in keys {
            by_key.entry((file, k)).or_default().push(who.clone());
        }
    }
    for ((file, key), who) in by_key {
        p.warn(format!(
            "{file}: {key} ({}): not handled, ignored: {}",
            who.join(", "),
            why(key)
        ));
    }
}
