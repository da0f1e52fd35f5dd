//! The registry (phx_common::registry) against the workspace: every binary
//! a workspace crate builds is registered or named here as never shipped,
//! every registered program is built, and every planner is a crate of its
//! own name. A tool added without its registry entry fails here, and so
//! does an entry whose program does not exist.

use phx_common::registry::{self, PLANNERS};
use std::collections::BTreeSet;

/// Binaries the workspace builds for its own use, never installed.
const NEVER_SHIPPED: [&str; 2] = ["phx-synth", "phx-gen-docs"];

/// (crate, binary) of every binary target in the workspace.
fn workspace_binaries() -> Vec<(String, String)> {
    let meta = phx_testkit::workspace_metadata();
    let mut out = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            if t["kind"].as_array().unwrap().iter().any(|k| k == "bin") {
                out.push((
                    p["name"].as_str().unwrap().to_string(),
                    t["name"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn the_registry_lists_exactly_the_shipped_binaries_of_the_workspace() {
    let built: BTreeSet<String> = workspace_binaries()
        .into_iter()
        .map(|(_, bin)| bin)
        .filter(|b| !NEVER_SHIPPED.contains(&b.as_str()))
        .collect();
    let registered: BTreeSet<String> = registry::shipped().map(str::to_string).collect();
    assert_eq!(
        built, registered,
        "binaries the workspace builds (left) against phx-common/src/registry.rs (right)"
    );
}

#[test]
fn every_planner_is_a_crate_of_its_binary_name() {
    let bins = workspace_binaries();
    for p in PLANNERS {
        assert!(
            bins.iter()
                .any(|(krate, bin)| krate == p.binary && bin == p.binary),
            "{}: no workspace crate {0} building the binary {0}",
            p.binary
        );
    }
}

/// Each binary picks its allocator in its main.rs; a library choosing it
/// would choose it for every program and test that links it.
#[test]
fn allocators_are_chosen_in_binaries_never_in_libraries() {
    let ws = phx_testkit::workspace();
    let declares = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .contains("#[global_allocator]")
    };
    for (krate, bin) in workspace_binaries() {
        // phx-apply has always run on the system allocator: it never linked
        // phx-common, and its work is waiting on commands, not allocating.
        if bin == "phx-apply" {
            continue;
        }
        let main = ws.join(&krate).join("src/main.rs");
        assert!(
            declares(&main),
            "{bin}: {} declares no #[global_allocator]",
            main.display()
        );
    }
    let mut libs = Vec::new();
    let mut stack = vec![ws.join("phx-common/src"), ws.join("phx-plan/src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") && declares(&path) {
                libs.push(path);
            }
        }
    }
    assert!(
        libs.is_empty(),
        "libraries declaring the allocator: {libs:?}"
    );
}

/// Every planner keeps the tool contract: its main.rs is the one generic
/// call (and its allocator), so loading, printing and exit statuses are
/// phx-common's, the same for all.
#[test]
fn every_planner_main_is_the_generic_call() {
    let ws = phx_testkit::workspace();
    for p in PLANNERS {
        let main = std::fs::read_to_string(ws.join(p.binary).join("src/main.rs")).unwrap();
        let code: Vec<&str> = main
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .collect();
        let call = format!(
            "phx_common::tool::main::<{}::tool::",
            p.binary.replace('-', "_")
        );
        assert!(
            code.iter().any(|l| l.starts_with(&call)),
            "{}/src/main.rs does not call {call}…>()",
            p.binary
        );
        assert!(
            code.len() <= 6,
            "{}/src/main.rs holds more than the generic call and the allocator: {code:?}",
            p.binary
        );
    }
}

/// docs/adding-a-tool.md names every file a new planner touches: the
/// registry, packaging, the workspace, its own crate's contract files.
#[test]
fn adding_a_tool_names_every_file_it_touches() {
    let doc = std::fs::read_to_string(phx_testkit::workspace().join("docs/adding-a-tool.md"))
        .expect("docs/adding-a-tool.md");
    for file in [
        "phx-common/src/registry.rs",
        "phx-pkg/src/lib.rs",
        "phx-pkg/Cargo.toml",
        "docs/tools.md",
        "src/tool.rs",
        "src/main.rs",
        "src/cli.rs",
        "tests/it/main.rs",
        "phoenix-cli/src/cli.rs",
    ] {
        assert!(
            doc.contains(file),
            "docs/adding-a-tool.md does not name {file}"
        );
    }
    assert!(doc.contains("Cargo.toml") && doc.contains("members"));
}
