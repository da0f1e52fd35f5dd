//! Issue 28's offline preview: `phoenix-cli observe` copies what the guest
//! planners read of a node and records `pct list`/`qm list`; under `--root`
//! that copy, without pct or qm, LetsGo previews exactly what it would do
//! on the node — nothing for a converged one, one `pct set` for one memory
//! value. The copy made here is also the one the repository ships
//! (examples/recorded, which the docs' transcript uses): this test says
//! when it is out of date, and `PHX_UPDATE_RECORDED=1` rewrites it.

use crate::example_node::{example_node, ok};
use crate::phoenix_cli::{cli, repo};
use phx_testkit::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir`, relative, with its text; the record's time
/// left out (it is when the copy was made), and git's `.keep` files.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
                continue;
            }
            if p.file_name().is_some_and(|n| n == ".keep") {
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text
                .lines()
                .filter(|l| !l.contains("\"taken_at\""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(rel, text);
        }
    }
    out
}

/// `phoenix-cli check lxc vm --root copy` with no pct or qm on PATH.
fn preview(config: &Path, copy: &Path) -> (Option<i32>, String) {
    let out = cli()
        .args(["check", "lxc", "vm", "--config-dir"])
        .arg(config)
        .arg("--root")
        .arg(copy)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Whether `line` shows a pct/qm command on a guest (`pct set 110 …`), not
/// a note that names the program.
fn names_a_command(line: &str) -> bool {
    let w: Vec<&str> = line.split_whitespace().collect();
    w.windows(3).any(|w| {
        ["pct", "qm"].contains(&w[0])
            && w[1].chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && w[2].parse::<u32>().is_ok()
    })
}

#[test]
fn an_observed_node_previews_offline_exactly_what_letsgo_would_do() {
    let path = node_path();
    let node = example_node(&path, &["setup", "confirm", "LetsGo"]);
    let copy = tempfile::tempdir().unwrap();
    let said = ok(cli()
        .arg("observe")
        .arg("--out")
        .arg(copy.path())
        .arg("--root")
        .arg(node.path())
        .env("PATH", &path));
    assert!(said.contains("pct list: "), "{said}");
    // CT 102's bind-mount source, as an empty directory: the planners ask
    // only whether it exists.
    let ssl = copy.path().join("mnt/pve/tank/persistent/ssl");
    assert!(ssl.is_dir() && std::fs::read_dir(&ssl).unwrap().next().is_none());

    // Only what the planners read: no double's state, no /etc/pve/priv.
    let copied = files(copy.path());
    assert!(
        copied.keys().all(|k| k.starts_with("etc/pve/")
            || k == "etc/hostname"
            || k == "var/lib/vz/snippets/phoenix-vendor.yaml"
            || k == "var/lib/phoenix/observed.json"),
        "{:?}",
        copied.keys()
    );
    assert!(
        copied.contains_key("etc/pve/lxc/110.conf"),
        "{:?}",
        copied.keys()
    );
    let rec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(copy.path().join("var/lib/phoenix/observed.json")).unwrap(),
    )
    .unwrap();
    let running = |prog: &str| {
        rec["lists"][prog]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "running")
            .count()
    };
    assert_eq!(
        running("pct"),
        running_ids(node.path(), "pct-double").len(),
        "{rec}"
    );
    assert!(running("pct") > 0, "{rec}");

    previews_exactly_one_change(copy.path());

    // The copy the repository ships is such a copy (its MACs, UUIDs and
    // times differ from run to run: the same files and rows are asked) and
    // previews the same.
    let shipped = repo("examples/recorded");
    if std::env::var_os("PHX_UPDATE_RECORDED").is_some() {
        let _ = std::fs::remove_dir_all(&shipped);
        ok(cli()
            .arg("observe")
            .arg("--out")
            .arg(&shipped)
            .arg("--root")
            .arg(node.path())
            .env("PATH", &path));
        // git keeps no empty directory.
        std::fs::write(shipped.join("mnt/pve/tank/persistent/ssl/.keep"), "").unwrap();
    }
    assert!(shipped.join("mnt/pve/tank/persistent/ssl").is_dir());
    let stale = "examples/recorded is out of date: PHX_UPDATE_RECORDED=1 cargo test -p phx-testkit --test it observe";
    let record = |dir: &Path| files(dir).remove("var/lib/phoenix/observed.json");
    assert_eq!(
        files(&shipped).keys().collect::<Vec<_>>(),
        copied.keys().collect::<Vec<_>>(),
        "{stale}"
    );
    assert_eq!(record(&shipped), record(copy.path()), "{stale}");
    previews_exactly_one_change(&shipped);
}

/// Converged, read from the copy: nothing to change, and the running state
/// is the record's; one memory value changed: exactly one `pct set`.
fn previews_exactly_one_change(copy: &Path) {
    let (code, text) = preview(&example_dir(), copy);
    assert_eq!(code, Some(0), "{}: {text}", copy.display());
    assert!(
        text.contains("as `phoenix-cli observe` recorded it"),
        "{text}"
    );

    let config = copy_config(&example_dir());
    edit_json(&config.path().join(LXC), |v| {
        v["lxc_configs"]["110"]["memory_mb"] = 4096.into();
    });
    let (code, text) = preview(config.path(), copy);
    assert_eq!(code, Some(3), "{text}");
    let commands: Vec<&str> = text.lines().filter(|l| names_a_command(l)).collect();
    assert_eq!(commands.len(), 1, "{text}");
    assert!(commands[0].contains("pct set 110 --memory 4096"), "{text}");
}

#[test]
fn observe_refuses_a_directory_that_holds_something_else() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    let o = cli()
        .arg("observe")
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an earlier observation"));
    assert_eq!(
        std::fs::read_to_string(out.path().join("notes.txt")).unwrap(),
        "mine"
    );
}
