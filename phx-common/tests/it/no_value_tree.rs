//! Structural guard for load speed and memory (no timed assertion): the
//! loader reads guest entries straight into typed sections and builds no
//! `serde_json::Value` tree for a valid inventory. It runs alone in a
//! child process (`alone`), because the counter it reads is process-wide.

use phx_common::config::raw::value_trees_built;
use phx_common::config::{load, Input};
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn valid_inventories_build_no_value_tree() {
    if !crate::alone::alone("no_value_tree::valid_inventories_build_no_value_tree") {
        return;
    }
    for dir in ["tests/fixtures/phoenix-upstream", "examples/etc"] {
        load(&Input::Dir(repo(dir))).unwrap_or_else(|p| panic!("{dir}: {p}"));
    }
    assert_eq!(
        value_trees_built(),
        0,
        "a valid inventory built a Value tree"
    );

    // The counter sees the one path that builds them: a wrongly typed value.
    let tmp = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(repo("examples/etc")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, tmp.path().join(f.file_name().unwrap())).unwrap();
    }
    let lxc = tmp.path().join("phoenix_lxc_configs.json");
    let text = std::fs::read_to_string(&lxc).unwrap();
    std::fs::write(
        &lxc,
        text.replacen("\"name\": \"Gitea\"", "\"name\": [\"Gitea\"]", 1),
    )
    .unwrap();
    let p = load(&Input::Dir(tmp.path().to_path_buf())).unwrap_err();
    assert!(p.to_string().contains("name: [\"Gitea\"]: a string"), "{p}");
    assert_eq!(value_trees_built(), 1);

    // And nothing else in the loader names the type: the sections are typed.
    let mut files = Vec::new();
    sources(&repo("phx-common/src/config"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_str().unwrap();
        let uses = text.matches("serde_json::Value").count();
        let allowed = match name {
            "raw.rs" => 4,      // two doc comments, shown_seq and shown_map
            "problems.rs" => 1, // show(): renders one for a message
            _ => 0,
        };
        assert_eq!(uses, allowed, "{}: serde_json::Value", f.display());
    }
}
