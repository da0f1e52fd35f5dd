//! A container's GPUs are `devN` entries of the node's own device nodes
//! (phx_lxc::gpu): the raw lines with fixed majors earlier versions wrote
//! are replaced, a node without the nodes gets a warning and no device
//! change, and the pct double refuses a `devN` as pve-container does.

use crate::common;

use common::*;
use phx_lxc::Options;
use std::path::Path;
use std::process::Command;

/// The raw passthrough lines phx-lxc wrote for GPU 0 before `devN`
/// entries (desired.rs gpu_lines, NVIDIA_CGROUP_RULES).
const LEGACY: &str = "lxc.cgroup2.devices.allow: c 195:* rwm
lxc.cgroup2.devices.allow: c 234:* rwm
lxc.cgroup2.devices.allow: c 509:* rwm
lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file
lxc.mount.entry: /dev/nvidiactl dev/nvidiactl none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-modeset dev/nvidia-modeset none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-uvm dev/nvidia-uvm none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-uvm-tools dev/nvidia-uvm-tools none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-caps dev/nvidia-caps none bind,optional,create=dir
";

fn main_lines(text: &str) -> Vec<&str> {
    text[..text.find("\n[").unwrap_or(text.len())]
        .lines()
        .collect()
}

fn devs(text: &str) -> Vec<&str> {
    main_lines(text)
        .into_iter()
        .filter(|l| l.starts_with("dev"))
        .collect()
}

#[test]
fn a_container_as_earlier_versions_wrote_it_gets_dev_entries_instead() {
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&upstream_dir(), root.path());
    // CT 917 (GPU 0) as the previous phx-lxc left it: the raw lines, no devN.
    let path = root.path().join("etc/pve/lxc/917.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    let main_end = text.find("\n[").unwrap_or(text.len());
    let (main, rest) = text.split_at(main_end);
    let mut old: String = main
        .lines()
        .filter(|l| !l.starts_with("dev"))
        .map(|l| format!("{l}\n"))
        .collect();
    old.push_str(LEGACY);
    let old = format!("{}{}", old.trim_end_matches('\n'), rest);
    let old = if rest.is_empty() { old + "\n" } else { old };
    std::fs::write(&path, &old).unwrap();

    let p = plan(&inv, root.path(), Options::default());
    let ids: Vec<&str> = p.plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert!(
        ids.starts_with(&["lxc:917:conf", "lxc:917:set"]),
        "the raw lines go, then one pct set adds the entries: {ids:?}"
    );
    run(&p.plan.steps, root.path());
    let after = conf_text(root.path(), 917);
    for l in LEGACY.lines() {
        assert!(!main_lines(&after).contains(&l), "{l} removed:\n{after}");
    }
    assert_eq!(
        devs(&after),
        [
            "dev0: /dev/nvidia0,mode=0666",
            "dev1: /dev/nvidiactl,mode=0666",
            "dev2: /dev/nvidia-uvm,mode=0666",
            "dev3: /dev/nvidia-uvm-tools,mode=0666",
        ],
        "{after}"
    );
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
}

#[test]
fn a_node_without_the_device_nodes_gets_a_warning_and_no_device_change() {
    let root = tempfile::tempdir().unwrap();
    let inv = load_dir(&upstream_dir());
    make_bind_sources(&inv, root.path());
    register_datasets(&inv, root.path());
    // The driver is not loaded yet: no /dev/nvidia* at all.
    let p = plan(&inv, root.path(), Options::default());
    let w901 = "CT 901: gpu_assignment needs /dev/nvidia0, /dev/nvidia1, /dev/nvidiactl, /dev/nvidia-uvm, which this node does not have";
    assert!(
        p.warnings.iter().any(|w| w.starts_with(w901)),
        "{:#?}",
        p.warnings
    );
    assert_eq!(
        p.warnings
            .iter()
            .filter(|w| w.contains("gpu_assignment needs"))
            .count(),
        inv.lxcs.values().filter(|c| !c.gpus.is_empty()).count(),
        "one warning per GPU container"
    );
    // Every container is still made, without devices, and starts.
    run(&p.plan.steps, root.path());
    for c in inv.lxcs.values() {
        assert!(
            devs(&conf_text(root.path(), c.id)).is_empty(),
            "CT {}",
            c.id
        );
    }
    // Once the driver made its nodes: the entries, and nothing else.
    nvidia_nodes(root.path(), &[0, 1]);
    let p = plan(&inv, root.path(), Options::default());
    assert!(p.warnings.iter().all(|w| !w.contains("gpu_assignment")));
    for s in &p.plan.steps {
        let argv = match &s.action {
            phx_plan::Action::Command(c) => c.argv.join(" "),
            other => panic!("{other:?}"),
        };
        assert!(
            argv.starts_with("pct set ") && argv.contains(" --dev0 /dev/nvidia"),
            "{argv}"
        );
    }
    run(&p.plan.steps, root.path());
    assert_eq!(
        devs(&conf_text(root.path(), 912))[0],
        "dev0: /dev/nvidia1,mode=0666"
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

fn pct(root: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(double("pct"))
        .env("PHX_ROOT", root)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_pct_double_refuses_dev_entries_as_pve_container_does() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc/pve/lxc")).unwrap();
    std::fs::write(
        r.join("etc/pve/lxc/950.conf"),
        "arch: amd64\nhostname: x\nmemory: 512\nrootfs: local:950/vm-950-disk-0.raw,size=1G\n",
    )
    .unwrap();
    nvidia_nodes(r, &[0]);
    std::fs::write(r.join("dev/nvidia-notanode"), "").unwrap();
    for (value, err) in [
        ("/dev/nvidia1", "Device /dev/nvidia1 does not exist"),
        (
            "/dev/nvidia-notanode",
            "/dev/nvidia-notanode is not a device",
        ),
        ("/dev/../etc/passwd", "is not a valid device path"),
        ("/tmp/x", "is not a valid device path"),
        ("/dev/nvidia0,mode=666", "mode: value does not match"),
        (
            "/dev/nvidia0,owner=1",
            "property is not defined in schema: owner",
        ),
        ("mode=0666", "Path has to be defined"),
    ] {
        let (ok, stderr) = pct(r, &["set", "950", "--dev0", value]);
        assert!(!ok && stderr.contains(err), "{value}: {stderr}");
    }
    let (ok, e) = pct(
        r,
        &["set", "950", "--dev0", "/dev/nvidia0,mode=0666,gid=44"],
    );
    assert!(ok, "{e}");
    assert_eq!(
        conf_main_key(&conf_text(r, 950), "dev0").unwrap(),
        "/dev/nvidia0,mode=0666,gid=44"
    );
    // At start every entry must be a device again (pve-container
    // src/PVE/LXC.pm:776): the driver was removed since.
    std::fs::remove_file(r.join("dev/nvidia0")).unwrap();
    let (ok, e) = pct(r, &["start", "950"]);
    assert!(
        !ok && e.contains("Device /dev/nvidia0 does not exist"),
        "{e}"
    );
}

#[test]
fn a_running_container_s_changed_gpu_waits_for_its_restart() {
    let cfg = copy_config(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    assert!(running(root.path()).contains(&917));
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["917"]["gpu_assignment"] = "1".into()
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec![
            "pct",
            "set",
            "917",
            "--dev1",
            "/dev/nvidia1,mode=0666",
            "--delete",
            "dev0"
        ]],
        "GPU 1 at the lowest free index (the clone's inherited GPU 1 entry was deleted), GPU 0's deleted"
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.starts_with("CT 917 is running: GPU device entries take effect at its next")),
        "{:#?}",
        p.notes
    );
    run(&p.plan.steps, root.path());
    // pct hotplugs the new entry and keeps the delete pending on a running
    // container (vmconfig_hotplug_pending "skip"): the plan counts it as made.
    let text = conf_text(root.path(), 917);
    assert_eq!(
        conf_main_key(&text, "dev1").as_deref(),
        Some("/dev/nvidia1,mode=0666")
    );
    let pending = &text[text.find("[pve:pending]").expect("pending")..];
    assert!(pending.contains("delete: dev0"), "{text}");
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
    // With --restart: the reboot applies it.
    let p = plan(
        &inv,
        root.path(),
        Options {
            restart: true,
            ..Options::default()
        },
    );
    assert_eq!(argvs(&p), vec![vec!["pct", "reboot", "917"]]);
    run(&p.plan.steps, root.path());
    assert_eq!(conf_main_key(&conf_text(root.path(), 917), "dev0"), None);
    assert!(!conf_text(root.path(), 917).contains("[pve:pending]"));
}
