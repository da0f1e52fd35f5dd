//! LetsGo-lxc against the pct TEST DOUBLE (phx-testkit/doubles/pct-double) and the
//! real executor: from an empty root, twice, after a JSON change and after a
//! hand edit. The double follows pve-container's sources (cited in it); it is not proof
//! that anything works on a real Proxmox host.

use crate::common;

use common::*;
use phx_common::config::Inventory;
use phx_lxc::Options;
use std::path::Path;

/// Index of the first log line starting with `prefix`.
fn at(log: &[String], prefix: &str) -> Option<usize> {
    log.iter().position(|l| l.starts_with(prefix))
}

/// Checks everything LetsGo promises for `inv` on the double's state in `root`,
/// with `log` the pct calls of the run that built it.
fn assert_letsgo(inv: &Inventory, root: &Path, log: &[String]) {
    let run = running(root);
    let mut volumes: std::collections::HashMap<String, Option<String>> = Default::default();
    for c in inv.lxcs.values() {
        let id = c.id;
        // Exists, made by create (template) or clone (source).
        let made = match c.clone_from {
            Some(src) => {
                let i = at(log, &format!("pct clone {src} {id} "))
                    .unwrap_or_else(|| panic!("CT {id} not cloned from {src}: {log:?}"));
                let src_made = at(log, &format!("pct create {src} ")).or_else(|| {
                    log.iter().position(|l| {
                        l.starts_with("pct clone ")
                            && l.split_whitespace().nth(3) == Some(&src.to_string())
                    })
                });
                assert!(
                    src_made.unwrap() < i,
                    "CT {src} must exist before CT {id} is cloned from it"
                );
                let snap = inv.lxcs[&src].template_snapshot_name.as_deref().unwrap();
                let s = at(log, &format!("pct snapshot {src} {snap}"))
                    .expect("the source's snapshot is taken");
                assert!(s < i, "snapshot of {src} before the clone of {id}");
                i
            }
            None => at(log, &format!("pct create {id} "))
                .unwrap_or_else(|| panic!("CT {id} not created: {log:?}")),
        };
        // Configured as the JSON says.
        assert_eq!(
            main_key(root, id, "hostname").as_deref(),
            Some(c.name.as_str()),
            "CT {id} hostname"
        );
        assert_eq!(
            main_key(root, id, "memory"),
            Some(c.memory_mb.to_string()),
            "CT {id} memory"
        );
        assert_eq!(
            main_key(root, id, "cores"),
            Some(c.cores.to_string()),
            "CT {id} cores"
        );
        assert_eq!(
            main_key(root, id, "onboot").as_deref(),
            Some(if c.start_at_boot { "1" } else { "0" }),
            "CT {id} onboot"
        );
        let net0 = main_key(root, id, "net0").unwrap();
        if let Some(ip) = c.net.as_ref().and_then(|n| match &n.ip {
            phx_common::config::model::GuestIp::Static(net) => Some(net.to_string()),
            _ => None,
        }) {
            assert!(
                net0.split(',').any(|p| p == format!("ip={ip}")),
                "CT {id} net0 {net0}"
            );
        }
        if let Some(mac) = &c.mac {
            assert!(
                net0.split(',').any(|p| p == format!("hwaddr={mac}")),
                "CT {id} net0 {net0}"
            );
        }
        let fw = c.firewall.as_ref().is_some_and(|f| f.enabled);
        assert_eq!(
            net0.split(',').any(|p| p == "firewall=1"),
            fw,
            "CT {id} firewall flag in {net0}"
        );
        let rootfs = main_key(root, id, "rootfs").unwrap();
        assert!(
            rootfs.contains(&format!("size={}G", c.storage_size_gb)),
            "CT {id} rootfs {rootfs}"
        );
        let text = conf_text(root, id);
        let head: Vec<&str> = text.lines().take_while(|l| !l.starts_with('[')).collect();
        for v in &c.zfs_volumes {
            let line = head
                .iter()
                .find(|l| {
                    l.starts_with("mp")
                        && l.split(',').any(|p| p == format!("mp={}", v.mount_point))
                        && l.contains(&format!(" {}:", v.pool))
                })
                .unwrap_or_else(|| panic!("CT {id} volume {}: {head:?}", v.mount_point));
            // One volume per name: the first container's, in every one naming it.
            let volid = line.split_whitespace().nth(1).unwrap().split(',').next();
            let first = volumes
                .entry(v.name.clone())
                .or_insert(volid.map(str::to_string))
                .clone();
            assert_eq!(
                first.as_deref(),
                volid,
                "CT {id}: zfs_volumes {} is one volume",
                v.name
            );
        }
        for m in &c.mount_points {
            assert!(
                head.iter().any(|l| l.starts_with("mp")
                    && l.contains(&format!("{},mp={}", m.host_path, m.container_path))),
                "CT {id} bind {}",
                m.container_path
            );
        }
        for o in &c.lxc_options {
            let (k, v) = phx_common::config::raw_lxc_key(o).unwrap();
            assert!(
                head.contains(&format!("{k}: {v}").as_str()),
                "CT {id} raw line {o}"
            );
        }
        // Exactly the GPUs of its gpu_assignment, whatever a clone
        // inherited, as devN entries of the node's own device nodes.
        let devs: Vec<&str> = head
            .iter()
            .filter(|l| l.starts_with("dev"))
            .filter_map(|l| l.split_once(": ").map(|(_, v)| v))
            .collect();
        let mut gpus: Vec<u32> = devs
            .iter()
            .filter_map(|v| {
                v.strip_prefix("/dev/nvidia")?
                    .split(',')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        gpus.sort_unstable();
        let mut want = c.gpus.clone();
        want.sort_unstable();
        assert_eq!(gpus, want, "CT {id} passes through exactly its GPUs");
        assert_eq!(
            devs.contains(&"/dev/nvidiactl,mode=0666"),
            !c.gpus.is_empty(),
            "CT {id} nvidiactl: {devs:?}"
        );
        assert!(
            !head.iter().any(
                |l| l.contains(" c 195:") || l.contains("/dev/nvidia") && l.starts_with("lxc.")
            ),
            "CT {id}: no raw passthrough line, no fixed major"
        );
        // Running exactly when start_at_boot, started after it was made.
        assert_eq!(run.contains(&id), c.start_at_boot, "CT {id} running state");
        if c.start_at_boot {
            assert!(at(log, &format!("pct start {id}")).unwrap() > made);
        }
    }
    // Starts: dependencies first, then boot order.
    let starts: Vec<u32> = log
        .iter()
        .filter_map(|l| l.strip_prefix("pct start "))
        .map(|s| s.parse().unwrap())
        .collect();
    for (i, a) in starts.iter().enumerate() {
        for b in &starts[i + 1..] {
            let (ca, cb) = (&inv.lxcs[a], &inv.lxcs[b]);
            assert!(
                !ca.dependencies.contains(b),
                "CT {a} started before its dependency {b}"
            );
            if !cb.dependencies.contains(a) {
                assert!(
                    ca.boot_order <= cb.boot_order,
                    "CT {a} (boot {}) started before CT {b} (boot {})",
                    ca.boot_order,
                    cb.boot_order
                );
            }
        }
    }
}

fn letsgo_twice(dir: &Path) {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let inv = converge(dir, root);
    assert_letsgo(&inv, root, &log(root));

    // Second run: the only pct call is `pct list`; nothing is planned or changed.
    clear_log(root);
    let again = plan(&inv, root, Options::default());
    assert!(
        again.plan.steps.is_empty(),
        "converged host, but planned: {:?}",
        argvs(&again)
    );
    let report = run(&again.plan.steps, root);
    assert!(changed(&report).is_empty());
    assert_eq!(log(root), vec!["pct list".to_string()]);
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
fn one_changed_key_in_the_json_is_one_pct_set_with_that_key() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["memory_mb"] = 3072.into()
    });
    let inv = load_dir(cfg.path());
    clear_log(root.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec!["pct", "set", "110", "--memory", "3072"]]
    );
    assert_eq!(p.plan.steps.len(), 1);
    run(&p.plan.steps, root.path());
    assert_eq!(
        mutating(&log(root.path())),
        vec!["pct set 110 --memory 3072"]
    );
    assert_eq!(
        main_key(root.path(), 110, "memory").as_deref(),
        Some("3072")
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn several_changes_to_one_container_are_still_one_pct_set() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        let c = &mut v["lxc_configs"]["110"];
        c["memory_mb"] = 3072.into();
        c["cores"] = 3.into();
        c["network_config"]["ip"] = "10.0.0.119/24".into();
        c["boot_delay"] = 9.into();
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    let cmds = argvs(&p);
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    let set = &cmds[0];
    assert_eq!(&set[..3], &["pct", "set", "110"]);
    let keys: Vec<&str> = set.iter().filter_map(|a| a.strip_prefix("--")).collect();
    assert_eq!(keys, vec!["memory", "cores", "net0", "startup"]);
    let net0 = &set[set.iter().position(|a| a == "--net0").unwrap() + 1];
    assert!(
        net0.contains("ip=10.0.0.119/24") && net0.contains("hwaddr=BC:24:11:00:01:10"),
        "{net0}"
    );
    run(&p.plan.steps, root.path());
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn a_hand_edited_memory_is_brought_back_and_the_rest_of_the_conf_kept() {
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&upstream_dir(), root.path());
    // 900 carries the final-form snapshot its clones were made from.
    let path = root.path().join("etc/pve/lxc/900.conf");
    let before = std::fs::read_to_string(&path).unwrap();
    assert!(before.contains("\n[final-form]\n"));
    let edited = before.replacen("memory: 2048\n", "memory: 777\n", 1);
    assert_ne!(edited, before);
    std::fs::write(&path, &edited).unwrap();
    clear_log(root.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec![
            "pct".to_string(),
            "set".into(),
            "900".into(),
            "--memory".into(),
            inv.lxcs[&900].memory_mb.to_string()
        ]]
    );
    run(&p.plan.steps, root.path());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "memory restored, everything else (snapshot section included) as it was"
    );
}

#[test]
fn a_missing_raw_line_is_added_once_keeping_the_snapshot_sections() {
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&upstream_dir(), root.path());
    let path = root.path().join("etc/pve/lxc/901.conf");
    let before = std::fs::read_to_string(&path).unwrap();
    let line = "lxc.apparmor.profile: unconfined\n";
    // Only the main section's copy goes; the snapshot keeps its own.
    let at = before.find(line).unwrap();
    assert!(at < before.find("\n[").unwrap());
    let edited = format!("{}{}", &before[..at], &before[at + line.len()..]);
    std::fs::write(&path, &edited).unwrap();
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(p.plan.steps.len(), 1, "{:?}", p.plan.steps);
    assert_eq!(p.plan.steps[0].id, "lxc:901:conf");
    match &p.plan.steps[0].action {
        phx_plan::Action::File(f) => {
            assert_eq!(f.path, "/etc/pve/lxc/901.conf");
            assert!(
                f.mode.is_none() && f.owner.is_none() && f.group.is_none(),
                "pmxcfs: no mode or owner"
            );
        }
        other => panic!("{other:?}"),
    }
    run(&p.plan.steps, root.path());
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after.matches(line).count(),
        2,
        "once in the main section, once in the snapshot"
    );
    assert_eq!(
        after[after.find("\n[").unwrap()..],
        before[before.find("\n[").unwrap()..],
        "snapshot sections byte for byte"
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn a_running_container_needing_a_restart_is_reported_or_rebooted_with_restart() {
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&example_dir(), root.path());
    assert!(running(root.path()).contains(&111));
    let path = root.path().join("etc/pve/lxc/111.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("lxc.apparmor.profile: unconfined\n", ""),
    )
    .unwrap();
    let p = plan(&inv, root.path(), Options::default());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("CT 111 is running") && n.contains("--restart")),
        "{:?}",
        p.notes
    );
    assert!(argvs(&p).is_empty());
    let p = plan(
        &inv,
        root.path(),
        Options {
            restart: true,
            ..Options::default()
        },
    );
    assert_eq!(argvs(&p), vec![vec!["pct", "reboot", "111"]]);
    clear_log(root.path());
    run(&p.plan.steps, root.path());
    assert_eq!(mutating(&log(root.path())), vec!["pct reboot 111"]);
}

#[test]
fn a_feature_change_on_a_running_container_waits_in_pending_and_is_not_replanned() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["pct_options"] = serde_json::json!(["nesting=1", "keyctl=1"])
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec![
            "pct",
            "set",
            "110",
            "--features",
            "nesting=1,keyctl=1"
        ]]
    );
    run(&p.plan.steps, root.path());
    // The double keeps it in [pve:pending] (running CT); the planner sees it as done.
    assert!(conf_text(root.path(), 110).contains("[pve:pending]\nfeatures: nesting=1,keyctl=1"));
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty());
    assert!(
        again
            .notes
            .iter()
            .any(|n| n.contains("CT 110 is running") && n.contains("pending")),
        "{:?}",
        again.notes
    );
}

#[test]
fn start_all_and_no_start() {
    let root = tempfile::tempdir().unwrap();
    let inv = load_dir(&example_dir());
    make_bind_sources(&inv, root.path());
    let none = plan(
        &inv,
        root.path(),
        Options {
            start: phx_lxc::StartMode::None,
            ..Options::default()
        },
    );
    // No start; the golden template alone is started to build its image,
    // and shut down before its snapshot.
    let starts: Vec<&str> = none
        .plan
        .steps
        .iter()
        .filter(|s| phx_testkit::guests::argv_of(s).is_some_and(|a| a[1] == "start"))
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(starts, ["lxc:900:template-start"]);
    assert!(none.plan.steps.iter().all(|s| s.start.is_none()));
    assert!(none
        .plan
        .steps
        .iter()
        .any(|s| s.id == "lxc:900:template-shutdown"));
    let all = plan(
        &inv,
        root.path(),
        Options {
            start: phx_lxc::StartMode::All,
            ..Options::default()
        },
    );
    let started: Vec<String> = all
        .plan
        .steps
        .iter()
        .filter(|s| s.start.is_some())
        .map(|s| phx_testkit::guests::argv_of(s).unwrap()[2].clone())
        .collect();
    assert_eq!(started.len(), inv.lxcs.len(), "{started:?}");
    // 900 (boot order 0, the clone source of all) first.
    assert_eq!(started[0], "900");
}

/// The main section's lines (up to the first `[` line) and the rest.
fn split_main(text: &str) -> (Vec<&str>, &str) {
    let rest = text.find("\n[").map_or("", |i| &text[i..]);
    let main = text[..text.len() - rest.len()].lines().collect();
    (main, rest)
}

#[test]
fn a_changed_apparmor_profile_replaces_the_line() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["apparmor_profile"] = "generated".into()
    });
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    // 900 carries the snapshot 110 was cloned from: make 110 carry one too,
    // so the edit is seen to keep snapshot sections.
    let mut snap = phx_plan::Plan::new("test");
    snap.push(
        "snap",
        phx_plan::Action::Command(phx_plan::CommandStep {
            argv: ["pct", "snapshot", "110", "before"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        }),
    );
    run(&snap.steps, root.path());
    let before = conf_text(root.path(), 110);
    let (main, snaps) = split_main(&before);
    assert!(
        main.contains(&"lxc.apparmor.profile: generated"),
        "{before}"
    );
    assert!(snaps.contains("[before]"), "{before}");
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["apparmor_profile"] = "unconfined".into()
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        p.plan
            .steps
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        vec!["lxc:110:conf"]
    );
    run(&p.plan.steps, root.path());
    let after = conf_text(root.path(), 110);
    let (main, rest) = split_main(&after);
    let profiles: Vec<&&str> = main
        .iter()
        .filter(|l| l.starts_with("lxc.apparmor.profile"))
        .collect();
    assert_eq!(
        profiles,
        vec![&"lxc.apparmor.profile: unconfined"],
        "{after}"
    );
    assert_eq!(rest, snaps, "snapshot sections byte for byte");
    assert_eq!(
        after.replace("unconfined", "generated"),
        before,
        "nothing else changed"
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn the_equals_form_of_a_line_is_not_copied_again_when_another_line_is_added() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    // pct accepts `lxc.key = value`; someone wrote it that way.
    let path = root.path().join("etc/pve/lxc/111.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nlxc.apparmor.profile: unconfined\n"));
    std::fs::write(
        &path,
        text.replace(
            "\nlxc.apparmor.profile: unconfined\n",
            "\nlxc.apparmor.profile = unconfined\n",
        ),
    )
    .unwrap();
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["111"]["lxc_options"] = serde_json::json!([
            "lxc.apparmor.profile=unconfined",
            "lxc.cgroup2.devices.allow: c 10:200 rwm"
        ])
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    run(&p.plan.steps, root.path());
    let after = std::fs::read_to_string(&path).unwrap();
    let (main, _) = split_main(&after);
    assert_eq!(
        main.iter()
            .filter(|l| l.starts_with("lxc.apparmor.profile"))
            .collect::<Vec<_>>(),
        vec![&"lxc.apparmor.profile = unconfined"],
        "{after}"
    );
    assert!(main.contains(&"lxc.cgroup2.devices.allow: c 10:200 rwm"));
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn storage_ids_with_dots_underscores_and_capitals_converge() {
    // phx-common lets storage IDs be [A-Za-z][A-Za-z0-9._-]*; phx-lxc puts
    // them into `--rootfs S:N`, `--storage S` and `mpN: S:N,mp=…` and reads
    // them back from `S:vm-…` volume IDs, assuming nothing more.
    let cfg = copy_config(&example_dir());
    let hyp = cfg.path().join("phoenix_hypervisor_config.json");
    let mut h: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&hyp).unwrap()).unwrap();
    h["proxmox_storage_ids"]["lxc_disks"] = "Fast.data_2-x".into();
    // The dataset tank/persistent's storage ID, as the original named one.
    h["proxmox_storage_ids"]["tank_persistent"] = "Tank_p.1".into();
    std::fs::write(&hyp, serde_json::to_string_pretty(&h).unwrap()).unwrap();
    edit_lxc(cfg.path(), |v| {
        for (_, c) in v["lxc_configs"].as_object_mut().unwrap() {
            if c["storage_pool"] == "local-lvm" {
                c["storage_pool"] = "Fast.data_2-x".into();
            }
            if let Some(vols) = c.get_mut("zfs_volumes").and_then(|z| z.as_array_mut()) {
                for vol in vols {
                    vol["pool"] = "Tank_p.1".into();
                }
            }
        }
    });
    let root = tempfile::tempdir().unwrap();
    // The node has both storages (pct refuses one it does not have).
    let pve = root.path().join("etc/pve");
    std::fs::create_dir_all(&pve).unwrap();
    std::fs::write(
        pve.join("storage.cfg"),
        format!("{FRESH_STORAGE_CFG}lvmthin: Fast.data_2-x\n\tthinpool d\n\tvgname v\n\tcontent rootdir,images\n\nlvmthin: Tank_p.1\n\tthinpool t\n\tvgname v\n\tcontent rootdir\n"),
    )
    .unwrap();
    let inv = converge(cfg.path(), root.path());
    assert!(
        main_key(root.path(), 900, "rootfs")
            .unwrap()
            .starts_with("Fast.data_2-x:vm-900-disk-0,"),
        "{}",
        conf_text(root.path(), 900)
    );
    let mp0 = main_key(root.path(), 103, "mp0").unwrap();
    assert!(mp0.starts_with("Tank_p.1:vm-103-disk-"), "{mp0}");
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    assert!(
        !again
            .notes
            .iter()
            .any(|n| n.contains("not on storage") || n.contains("not moved")),
        "{:?}",
        again.notes
    );
}

#[test]
fn a_conf_edit_and_a_pct_set_in_one_run_do_not_undo_each_other() {
    // The conf step carries the whole file as read while planning; written
    // after `pct set`, it would put the old memory back.
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        let c = &mut v["lxc_configs"]["110"];
        c["memory_mb"] = 3072.into();
        c["apparmor_profile"] = "unconfined".into();
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        p.plan
            .steps
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        vec!["lxc:110:conf", "lxc:110:set"]
    );
    run(&p.plan.steps, root.path());
    assert_eq!(
        main_key(root.path(), 110, "memory").as_deref(),
        Some("3072")
    );
    assert_eq!(
        main_key(root.path(), 110, "lxc.apparmor.profile").as_deref(),
        Some("unconfined")
    );
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", again.plan.steps);
}
