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
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
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
    preview_with(config, copy, None)
}

/// The same with `path` as PATH (the doubles: a `pct` that would describe
/// another tree than the copy's node).
fn preview_with(config: &Path, copy: &Path, path: Option<&OsStr>) -> (Option<i32>, String) {
    let mut cmd = cli();
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd
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
    // What a node keeps in /etc/pve/priv (cluster keys, tokens): never copied.
    let private = node.path().join("etc/pve/priv");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(private.join("authkey.key"), "PRIVATE KEY s3cret\n").unwrap();
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
    assert!(
        !copied.keys().any(|k| k.starts_with("etc/pve/priv")),
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

    // The record, not a `pct` on PATH, says what runs: the doubles on PATH
    // read the copy, which has no double's state (every guest stopped).
    let (code, text) = preview_with(&example_dir(), copy.path(), Some(&path));
    assert_eq!(code, Some(0), "{text}");

    secrets_stay_on_the_node(node.path(), &path);
}

/// A node whose confs hold secrets: none reaches the copy, each line left
/// out is named, and the copy still previews what the node would do.
fn secrets_stay_on_the_node(node: &Path, path: &std::ffi::OsString) {
    let edit = |rel: &str, f: &dyn Fn(&str) -> String| {
        let p = node.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(&text)).unwrap();
    };
    edit("etc/pve/qemu-server/1001.conf", &|t| {
        format!("#admin password%3A s3cret-notes\ncipassword: $5$s3cret-main\nargs: -fw_cfg name=opt/k,string=s3cret-args\n{t}\n[special:cloudinit]\ncipassword: $5$s3cret-ci\n")
    });
    edit("etc/pve/lxc/110.conf", &|t| {
        format!("#db password%3A s3cret-ct-notes\n{t}lxc.environment: DB_PASS=s3cret-env\n")
    });
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("pve1");
    let said = ok(cli()
        .arg("observe")
        .arg("--out")
        .arg(&copy)
        .arg("--root")
        .arg(node)
        .env("PATH", path));
    for left in [
        "qemu-server/1001.conf: a description (Notes) line",
        "qemu-server/1001.conf: cipassword",
        "qemu-server/1001.conf: args",
        "qemu-server/1001.conf [special:cloudinit]: cipassword",
        "lxc/110.conf: a description (Notes) line",
        "lxc/110.conf: lxc.environment",
    ] {
        assert!(
            said.contains(&format!("left out: /etc/pve/{left}")),
            "{left}: {said}"
        );
    }
    let copied = files(&copy);
    for (name, text) in &copied {
        assert!(!text.contains("s3cret"), "{name}: {text}");
    }
    // Phoenix's own record of the template's image stays (it is compared).
    assert!(copied["etc/pve/lxc/110.conf"].contains("#phoenix-template"));
    let rec = &copied["var/lib/phoenix/observed.json"];
    assert!(rec.contains("110.conf: lxc.environment"), "{rec}");
    previews_exactly_one_change(&copy);
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
    // The copy is made beside DIR and renamed to it: `.` has no name.
    let empty = tempfile::tempdir().unwrap();
    let o = cli()
        .args(["observe", "--out", "."])
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("name the directory"));
}

/// A tree under `root` holding `examples/recorded`'s confs, as a node
/// whose guests are all stopped (the doubles keep no state in it).
fn recorded_node() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(repo("examples/recorded/."))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_file(root.path().join("var/lib/phoenix/observed.json")).unwrap();
    root
}

fn observe_into(node: &Path, out: &Path, path: &OsStr) -> std::process::Output {
    cli()
        .arg("observe")
        .arg("--out")
        .arg(out)
        .arg("--root")
        .arg(node)
        .env("PATH", path)
        .output()
        .unwrap()
}

#[test]
fn observe_without_pct_or_qm_leaves_no_directory() {
    let node = recorded_node();
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("pve1");
    // Neither, then pct without qm: both are asked before anything is written.
    for progs in [&[][..], &["pct"][..]] {
        let o = observe_into(node.path(), &copy, &doubles_path(progs));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{progs:?}: {err}");
        assert!(err.contains("list` on"), "{err}");
        assert_eq!(
            std::fs::read_dir(out.path()).unwrap().count(),
            0,
            "{progs:?}: nothing written beside it either"
        );
    }
}

#[test]
fn an_earlier_observation_is_replaced_whole_and_the_copy_is_private() {
    let node = recorded_node();
    let path = node_path();
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("pve1");
    let o = observe_into(node.path(), &copy, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // What an earlier observation had and this node no longer has.
    std::fs::create_dir_all(copy.join("mnt/pve/tank/gone")).unwrap();
    std::fs::write(copy.join("var/lib/vz/snippets/old.yaml"), "x").unwrap();
    std::fs::write(copy.join("etc/pve/lxc/999.conf"), "hostname: old\n").unwrap();
    let o = observe_into(node.path(), &copy, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for gone in [
        "mnt/pve/tank/gone",
        "var/lib/vz/snippets/old.yaml",
        "etc/pve/lxc/999.conf",
    ] {
        assert!(!copy.join(gone).exists(), "{gone} survived");
    }
    assert!(copy.join("etc/pve/lxc/110.conf").is_file());
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "no stage left beside it"
    );
    // Private: the node's /etc/pve is root:www-data 0640, and a copy may
    // sit in /tmp.
    let mut todo = vec![copy.clone()];
    while let Some(d) = todo.pop() {
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700, "{}", d.display());
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.ends_with("phoenix-vendor.yaml") {
                // Phoenix's, no secret: the node's mode, which phx-vm compares.
                assert_eq!(mode(&p), 0o644, "{}", p.display());
            } else {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
    }
}

#[test]
fn a_copy_previews_a_gpu_containers_device_entries() {
    let node = recorded_node();
    nvidia_nodes(node.path(), &[0]);
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("pve1");
    let o = observe_into(node.path(), &copy, &node_path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = copy_config(&example_dir());
    edit_json(&config.path().join(LXC), |v| {
        v["lxc_configs"]["110"]["gpu_assignment"] = "0".into();
    });
    let (_, text) = preview(config.path(), &copy);
    assert!(
        text.contains("--dev0 /dev/nvidia0,mode=0666 --dev1 /dev/nvidiactl,mode=0666"),
        "{text}"
    );
    assert!(!text.contains("gpu_assignment needs"), "{text}");
    // The copy holds no device node: without the record's, none is seen.
    let rec = copy.join("var/lib/phoenix/observed.json");
    edit_json(&rec, |v| v["devices"] = serde_json::json!([]));
    let (_, text) = preview(config.path(), &copy);
    assert!(text.contains("gpu_assignment needs /dev/nvidia0"), "{text}");
}
