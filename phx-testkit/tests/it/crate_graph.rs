//! The workspace's dependency rules (docs/design.md, "Architecture"), read from
//! `cargo metadata`: phx-plan (the plan format) depends on no workspace
//! crate; the executor on phx-plan only, never on the configuration loader;
//! phx-common on phx-plan; tools on phx-common and phx-plan, never on each
//! other or on the executor (phx-features, phx-lxc and phx-vm also on phx-recipes,
//! the feature recipes' library); phoenix-cli on the planners' libraries,
//! which it plans with through the tool contract, never on the executor;
//! test, benchmark and packaging crates are never a normal dependency of
//! anything.

use serde_json::Value;
use std::collections::BTreeMap;

/// Which workspace crates each kind may depend on (normal and build
/// dependencies; dev-dependencies are the tests' business).
fn allowed(krate: &str) -> Vec<&'static str> {
    match krate {
        "phx-plan" => vec![],
        // The executor reads plans, never the configuration.
        "phx-apply" => vec!["phx-plan"],
        "phx-common" => vec!["phx-plan"],
        "phx-bench" => vec!["phx-common", "phx-plan"],
        "phx-testkit" => vec!["phx-common", "phx-plan", "phx-apply"],
        // The schemas are built from the loader's section declarations.
        "phx-schema" => vec!["phx-common", "phx-plan"],
        // Packaging reads every shipped program's command line.
        "phx-pkg" => ["phx-common", "phx-plan"]
            .into_iter()
            .chain(phx_common::registry::shipped())
            .collect(),
        // The feature recipes, a library shared by the two planners that run
        // features (running guests: phx-features; golden templates: phx-lxc, VM
        // templates: phx-vm).
        "phx-features" | "phx-lxc" | "phx-vm" => vec!["phx-common", "phx-plan", "phx-recipes"],
        // The front door plans in its own process, through each planner's
        // tool contract (phx_common::tool), on one load; phx-apply stays a
        // program it runs.
        "phoenix-cli" => ["phx-common", "phx-plan"]
            .into_iter()
            .chain(phx_common::registry::PLANNERS.iter().map(|p| p.binary))
            .collect(),
        // Every tool: the shared model and the plan format, nothing else of ours.
        _ => vec!["phx-common", "phx-plan"],
    }
}

const NEVER_A_DEPENDENCY: [&str; 3] = ["phx-testkit", "phx-bench", "phx-pkg"];

fn workspace_deps() -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let meta: Value = phx_testkit::workspace_metadata();
    let names: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| names.iter().any(|n| n == d["name"].as_str().unwrap()))
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().to_string(),
                        d["kind"].as_str().map(str::to_string),
                    )
                })
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn tools_depend_on_the_shared_model_only() {
    let graph = workspace_deps();
    assert!(graph.contains_key("phx-net") && graph.contains_key("phx-apply"));
    assert!(
        graph.contains_key("phx-plan"),
        "the plan format has its own crate"
    );
    let mut wrong = Vec::new();
    for (krate, deps) in &graph {
        for (dep, kind) in deps {
            if kind.as_deref() == Some("dev") {
                continue;
            }
            if !allowed(krate).contains(&dep.as_str()) {
                wrong.push(format!("{krate} -> {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "edges the architecture forbids: {wrong:?}"
    );
}

#[test]
fn test_bench_and_packaging_crates_are_never_dependencies() {
    for (krate, deps) in workspace_deps() {
        for (dep, kind) in deps {
            assert!(
                !NEVER_A_DEPENDENCY.contains(&dep.as_str()) || kind.as_deref() == Some("dev"),
                "{krate} depends on {dep} outside its tests"
            );
        }
    }
}
