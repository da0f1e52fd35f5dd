//! The configuration modules depend on each other one way only: no module
//! of `phx-common/src/config` reaches, through the others, back to itself.
//! The loader once went back and forth (`load` ↔ `digest` ↔ `stream`, all
//! for the load's options; `raw` ↔ `dup` for the key type), so none of
//! them could be read, or changed, without the others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module of `dir` (a file, or a directory of files taken as one) and
/// the sibling modules its code names (`super::x`, from a directory's files
/// `super::super::x`, or `crate::config::x`); comment lines are skipped.
fn uses(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let module = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let mut files: Vec<(String, PathBuf, usize)> = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).unwrap() {
                let inner = inner.unwrap().path();
                // A directory's mod.rs is the module itself; its files are one below.
                let depth = if module(&inner) == "mod" { 1 } else { 2 };
                files.push((module(&path), inner, depth));
            }
        } else if module(&path) != "mod" {
            files.push((module(&path), path, 1));
        }
    }
    let names: BTreeSet<String> = files.iter().map(|f| f.0.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, path, depth) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let prefixes = ["super::".repeat(*depth), "crate::config::".to_string()];
        let used = graph.entry(name.clone()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for prefix in &prefixes {
                for (at, _) in line.match_indices(prefix.as_str()) {
                    // `super::super::x` read as `super::` + `super::x` is not a use of `super`.
                    if line[..at].ends_with("super::") {
                        continue;
                    }
                    let rest = &line[at + prefix.len()..];
                    let end = rest
                        .find(|c: char| !c.is_alphanumeric() && c != '_')
                        .unwrap_or(rest.len());
                    let used_name = &rest[..end];
                    if used_name != name && names.contains(used_name) {
                        used.insert(used_name.to_string());
                    }
                }
            }
        }
    }
    graph
}

/// A path from `from` back to itself, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        for next in graph.get(path.last().unwrap()).into_iter().flatten() {
            let mut longer = path.clone();
            longer.push(next.clone());
            if next == from {
                return Some(longer);
            }
            if seen.insert(next.clone()) {
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn the_configuration_modules_use_each_other_one_way() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
    let graph = uses(&dir);
    // The reading sees the loader's real uses (else the test proves nothing).
    assert!(graph["load"].contains("digest"), "{graph:?}");
    assert!(graph["digest"].contains("stream"), "{graph:?}");
    assert!(graph["parse"].contains("reader"), "{graph:?}");
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "modules that use themselves: {circles:#?}"
    );
}
