//! LetsGo with VMs: phoenix-cli runs phx-lxc and phx-vm against the qm and
//! pct TEST DOUBLES (phx-testkit/doubles) and the real executor, from an
//! empty root, twice, after a JSON change and after a hand edit. The doubles
//! follow Proxmox's sources (cited in each); they are not proof that anything works on a real
//! Proxmox host.

use crate::common;

use common::*;
use phx_common::config::Inventory;
use serde_json::Value;
use std::path::Path;

fn letsgo(cfg: &Path, root: &Path) -> std::process::Output {
    // A golden template's features run inside it: its root needs the
    // guest-program doubles.
    install_guest_doubles(root);
    // The guests only: ca's in-guest steps are phx-ca's tests' business.
    let out = phoenix_cli(&[
        "LetsGo",
        "lxc",
        "vm",
        "--config-dir",
        cfg.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--run-commands",
    ]);
    assert!(
        out.status.success(),
        "LetsGo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The plan phoenix-cli would apply for the guests: steps as JSON values.
fn letsgo_plan(cfg: &Path, root: &Path) -> Vec<Value> {
    let out = phoenix_cli(&[
        "plan",
        "lxc",
        "vm",
        "--config-dir",
        cfg.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut steps: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The reordered plan ends with one trailer counting every step before it.
    let trailer = steps.pop().expect("a plan");
    assert_eq!(trailer["kind"], "end", "{trailer}");
    assert_eq!(trailer["steps"], steps.len(), "{trailer}");
    assert!(steps.iter().all(|s| s["kind"] != "end"));
    steps
}

fn pos(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in {log:#?}"))
}

/// (boot order, dependencies) of every guest of either kind.
fn guests(inv: &Inventory) -> std::collections::HashMap<u32, (u64, Vec<u32>)> {
    let mut g = std::collections::HashMap::new();
    for c in inv.lxcs.values() {
        g.insert(c.id, (c.boot_order, c.dependencies.clone()));
    }
    for v in &inv.vms {
        g.insert(v.id, (v.boot_order, v.dependencies.clone()));
    }
    g
}

/// Starts in the plan come after every other step, a dependency before its
/// dependents, and otherwise in boot order across containers and VMs.
fn assert_start_order(inv: &Inventory, steps: &[Value]) {
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let first_start = ids.iter().position(|i| i.starts_with("start:")).unwrap();
    assert!(
        ids[first_start..].iter().all(|i| i.starts_with("start:")),
        "every start after every other step: {ids:?}"
    );
    // Each start carries its place in the start order: kind and guest id.
    let starts = &steps[first_start..];
    let started: Vec<u32> = starts
        .iter()
        .map(|s| s["start"]["id"].as_u64().unwrap() as u32)
        .collect();
    let kinds: std::collections::BTreeSet<&str> = starts
        .iter()
        .map(|s| s["start"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "containers and VMs both start: {ids:?}");
    let g = guests(inv);
    for (i, a) in started.iter().enumerate() {
        for b in &started[i + 1..] {
            assert!(!g[a].1.contains(b), "{a} started before its dependency {b}");
            if !g[b].1.contains(a) {
                assert!(
                    g[a].0 <= g[b].0,
                    "{a} (boot {}) started before {b} (boot {}): {started:?}",
                    g[a].0,
                    g[b].0
                );
            }
        }
    }
}

/// Every VM exists as its entry says, made the right way, started when
/// start_at_boot, in the right order against the qm log.
fn assert_vms(inv: &Inventory, root: &Path, qm: &[String]) {
    let running = running_vms(root);
    for v in &inv.vms {
        let id = v.id;
        let made = if v.is_template {
            let c = pos(qm, &format!("qm create {id} "));
            assert!(
                qm[c].contains("import-from=/var/lib/vz/template/iso/"),
                "{}",
                qm[c]
            );
            let t = pos(qm, &format!("qm template {id}"));
            assert!(c < t);
            assert_eq!(vm_key(root, id, "template").as_deref(), Some("1"));
            c
        } else {
            let src = v.clone_from.unwrap();
            let c = pos(qm, &format!("qm clone {src} {id} "));
            let src_made = qm
                .iter()
                .position(|l| {
                    l.starts_with(&format!("qm create {src} "))
                        || l.starts_with("qm clone ")
                            && l.split_whitespace().nth(3) == Some(&src.to_string())
                })
                .unwrap();
            assert!(
                src_made < c,
                "VM {src} exists before VM {id} is cloned from it"
            );
            c
        };
        assert_eq!(vm_key(root, id, "name").as_deref(), Some(v.name.as_str()));
        let net0 = vm_key(root, id, "net0").unwrap();
        assert_eq!(
            net0.split(',').any(|p| p == "firewall=1"),
            v.firewall.as_ref().is_some_and(|f| f.enabled),
            "VM {id} net0 {net0}"
        );
        if let Some(phx_common::config::model::GuestIp::Static(ip)) = v.net.as_ref().map(|n| &n.ip)
        {
            let ipc = vm_key(root, id, "ipconfig0").unwrap();
            assert!(ipc.contains(&format!("ip={ip}")), "VM {id} {ipc}");
        }
        assert_eq!(
            running.contains(&id),
            v.start_at_boot && !v.is_template,
            "VM {id} running"
        );
        if running.contains(&id) {
            assert!(pos(qm, &format!("qm start {id}")) > made);
        }
    }
}

fn letsgo_twice(dir: &Path) {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    prepare_host(dir, root);
    let inv = load_dir(dir);
    assert_start_order(&inv, &letsgo_plan(dir, root));
    letsgo(dir, root);
    assert_vms(&inv, root, &log(root, "qm"));

    // Second run: one `qm list` (and one `pct list`), nothing else.
    clear_logs(root);
    letsgo(dir, root);
    assert_eq!(log(root, "qm"), vec!["qm list".to_string()]);
    assert_eq!(log(root, "pct"), vec!["pct list".to_string()]);
}

#[test]
fn letsgo_upstream_from_an_empty_root_then_nothing() {
    letsgo_twice(&upstream_dir());
}

#[test]
fn letsgo_example_from_an_empty_root_then_nothing() {
    letsgo_twice(&example_dir());
}

#[test]
fn a_vm_with_boot_order_1_starts_before_a_container_with_boot_order_2() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["boot_order"] = 1.into();
    });
    let inv = load_dir(cfg.path());
    let ct2: Vec<u32> = inv
        .lxcs
        .values()
        .filter(|c| c.boot_order >= 2 && c.start_at_boot)
        .map(|c| c.id)
        .collect();
    assert!(!ct2.is_empty());
    let root = tempfile::tempdir().unwrap();
    prepare_host(cfg.path(), root.path());
    let steps = letsgo_plan(cfg.path(), root.path());
    assert_start_order(&inv, &steps);
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let vm = ids.iter().position(|i| i.ends_with(":vm:1001")).unwrap();
    for ct in ct2 {
        let c = ids
            .iter()
            .position(|i| i.ends_with(&format!(":lxc:{ct}")))
            .unwrap();
        assert!(vm < c, "VM 1001 (boot 1) before CT {ct}: {ids:?}");
    }
}
