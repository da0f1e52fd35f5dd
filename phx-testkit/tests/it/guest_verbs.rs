//! Issue 28's per-guest verbs, end to end through phoenix-cli, the guest
//! planners' `--guest/--action` and phx-apply against the pct/qm doubles:
//! converge makes one guest and exactly what it needs, stop/start/restart
//! act on the named guest only, delete refuses what others need and wants
//! --yes, status says state and drift per guest; each twice is a no-op.

use crate::example_node::{example_node, ok};
use crate::fresh_node::clear_logs;
use crate::phoenix_cli::cli;
use phx_testkit::*;
use std::ffi::OsString;
use std::path::Path;

/// `phoenix-cli VERB ARGS --config-dir CONFIG --root ROOT --run-commands`.
fn verb(path: &OsString, root: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    cli()
        .args(args)
        .arg("--config-dir")
        .arg(config)
        .arg("--root")
        .arg(root)
        .arg("--run-commands")
        .env("PATH", path)
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn status(path: &OsString, root: &Path, config: &Path, ids: &[&str]) -> serde_json::Value {
    let out = ok(cli()
        .arg("status")
        .args(ids)
        .arg("--json")
        .arg("--config-dir")
        .arg(config)
        .arg("--root")
        .arg(root)
        .env("PATH", path)
        .env("NO_COLOR", "1"));
    let json = &out[..out.rfind(']').unwrap() + 1];
    serde_json::from_str(&json[json.find('[').unwrap()..]).unwrap()
}

/// The pct calls that change a container (guards' `pct exec`, list and
/// config only ask).
fn pct_calls(root: &Path) -> Vec<String> {
    const CHANGING: [&str; 12] = [
        "create", "clone", "set", "start", "stop", "shutdown", "reboot", "resize", "snapshot",
        "destroy", "rollback", "push",
    ];
    double_log(root, "pct")
        .into_iter()
        .filter(|l| CHANGING.contains(&l.split_whitespace().nth(1).unwrap_or("")))
        .collect()
}

#[test]
fn converge_makes_one_container_and_what_it_needs_and_nothing_else() {
    let path = node_path();
    let node = example_node(&path, &["setup", "confirm"]);
    let root = node.path();
    let example = example_dir();
    let o = verb(&path, root, &example, &["converge", "110"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    // The closure: 110 clones from 900 and depends on 102, which depends on 103.
    let needed = said
        .lines()
        .find(|l| l.contains("needed first"))
        .unwrap_or_else(|| panic!("{said}"));
    for id in ["CT 900", "CT 102", "CT 103"] {
        assert!(needed.contains(id), "{needed}");
    }
    assert!(!needed.contains("111"), "{needed}");
    let running = running_ids(root, "pct-double");
    for id in [102, 103, 110] {
        assert!(running.contains(&id), "CT {id}: {running:?}");
    }
    assert!(
        !root.join("etc/pve/lxc/111.conf").exists(),
        "CT 111 is not needed by 110"
    );
    assert!(
        !root.join("etc/pve/qemu-server/1001.conf").exists(),
        "no VM is needed"
    );

    // Twice: nothing.
    clear_logs(root);
    let again = verb(&path, root, &example, &["converge", "110"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(pct_calls(root), Vec::<String>::new());
    assert!(!text(&again).contains("] changed"), "{}", text(&again));

    // status: the four exist and run without drift; 111 is missing.
    let s = status(&path, root, &example, &[]);
    let of = |id: u64| {
        s.as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(of(110)["state"], "running", "{s}");
    assert_eq!(of(110)["drift"], false, "{s}");
    assert_eq!(of(111)["state"], "missing", "{s}");
    assert_eq!(of(111)["drift"], true, "{s}");
    assert_eq!(of(110)["addresses"][0], "10.0.0.110/24");

    // One memory value changed: status says 110 drifts, and only 110.
    let config = copy_config(&example);
    edit_json(&config.path().join(LXC), |v| {
        v["lxc_configs"]["110"]["memory_mb"] = 4096.into();
    });
    let s = status(&path, root, config.path(), &["110", "102"]);
    assert_eq!(s.as_array().unwrap().len(), 2);
    assert_eq!(s[0]["drift"], true, "{s}");
    assert_eq!(s[1]["drift"], false, "{s}");
}

#[test]
fn stop_start_restart_and_delete_act_on_the_named_guest_only() {
    let path = node_path();
    let node = example_node(&path, &["setup", "confirm", "LetsGo"]);
    let root = node.path();
    let example = example_dir();

    clear_logs(root);
    let o = verb(&path, root, &example, &["stop", "111"]);
    assert!(o.status.success(), "{}", text(&o));
    let calls = pct_calls(root);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].starts_with("pct shutdown 111"), "{calls:?}");
    assert!(!running_ids(root, "pct-double").contains(&111));
    // A stopped guest its entry starts drifts: a converge would start it.
    let st = status(&path, root, &example, &["111", "9000"]);
    assert_eq!(st[0]["state"], "stopped", "{st}");
    assert_eq!(st[0]["drift"], true, "{st}");
    assert_eq!(st[0]["changes"][0], "start", "{st}");
    assert_eq!(st[1]["state"], "template", "{st}");
    // --check: the plan, exit 3, nothing done.
    let o = verb(&path, root, &example, &["start", "111", "--check"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(!running_ids(root, "pct-double").contains(&111));
    clear_logs(root);
    verb(&path, root, &example, &["stop", "111"]);
    assert_eq!(
        pct_calls(root),
        Vec::<String>::new(),
        "a stopped guest is not stopped again"
    );

    let o = verb(&path, root, &example, &["start", "111"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(pct_calls(root), vec!["pct start 111"]);
    clear_logs(root);
    let o = verb(&path, root, &example, &["restart", "111"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(pct_calls(root), vec!["pct reboot 111"]);

    // delete: refused for what others need, and without --yes.
    let o = verb(&path, root, &example, &["delete", "102"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("110") && text(&o).contains("111"),
        "{}",
        text(&o)
    );
    let o = verb(&path, root, &example, &["delete", "111"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains("--yes") && said.contains("monitoring."),
        "{said}"
    );
    assert!(root.join("etc/pve/lxc/111.conf").exists());

    clear_logs(root);
    let o = verb(&path, root, &example, &["delete", "111", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let calls = pct_calls(root);
    assert!(
        calls.iter().any(|c| c.starts_with("pct destroy 111")),
        "{calls:?}"
    );
    assert!(!root.join("etc/pve/lxc/111.conf").exists());
    clear_logs(root);
    let o = verb(&path, root, &example, &["delete", "111", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        pct_calls(root),
        Vec::<String>::new(),
        "a deleted guest is not deleted again"
    );

    // A VM deleted and converged again: the destroy removed its firewall
    // file (as Proxmox's does), which only setup writes: said.
    assert!(root.join("etc/pve/firewall/1001.fw").exists());
    let o = verb(&path, root, &example, &["delete", "1001", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!root.join("etc/pve/qemu-server/1001.conf").exists());
    assert!(
        !root.join("etc/pve/firewall/1001.fw").exists(),
        "qm destroy removes the .fw"
    );
    let o = verb(&path, root, &example, &["converge", "1001"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(root.join("etc/pve/qemu-server/1001.conf").exists());
    assert!(
        text(&o).contains("1001.fw does not exist") && text(&o).contains("setup fw"),
        "{}",
        text(&o)
    );

    // An ID in neither file.
    let o = verb(&path, root, &example, &["converge", "4242"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("4242"), "{}", text(&o));
}
