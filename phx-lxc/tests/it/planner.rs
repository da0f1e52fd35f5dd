//! The planner on hand-made observed state (no pct at all): what counts as a
//! change, mounts, disks, drift that is only reported, clone snapshots.

use crate::common;

use common::*;
use phx_common::config::Inventory;
use phx_lxc::observe::Observed;
use phx_lxc::{conf, Options, StartMode};

fn no_start() -> Options {
    Options {
        start: StartMode::None,
        ..Options::default()
    }
}

/// The example's containers as they exist after LetsGo, with `ctid`'s conf
/// replaced by `text`.
fn seen_with(inv: &Inventory, ctid: u32, text: &str) -> Observed {
    let mut o = Observed::default();
    for &id in inv.lxcs.keys() {
        let t = phx_lxc::render::conf(inv, id).unwrap();
        o.confs.insert(id, conf::parse(&t));
    }
    o.confs.insert(ctid, conf::parse(text));
    for c in inv.lxcs.values() {
        for m in &c.mount_points {
            o.own.host_paths.insert(m.host_path.clone());
        }
    }
    o
}

fn cmds(inv: &Inventory, seen: &Observed) -> Vec<Vec<String>> {
    argvs(&phx_lxc::plan(inv, seen, no_start()).unwrap_or_else(|p| panic!("{p}")))
}

// Gitea (110) of the example, written by hand in another order and spelling.
const GITEA: &str = "#Gitea%3A code
arch: amd64
cores: 2
features: nesting=yes,keyctl=0
hostname: Gitea
memory: 2048
nameserver: 10.0.0.13
net0: type=veth,ip=10.0.0.110/24,hwaddr=bc:24:11:00:01:10,gw=10.0.0.1,bridge=vmbr0,name=eth0
onboot: yes
rootfs: local-lvm:vm-110-disk-0,size=32G
startup: 3
swap: 512
unprivileged: 1

[golden]
memory: 1
snaptime: 1
";

#[test]
fn order_spelling_and_snapshots_are_not_changes() {
    let inv = load_dir(&example_dir());
    assert!(cmds(&inv, &seen_with(&inv, 110, GITEA)).is_empty());
}

#[test]
fn each_differing_key_is_in_the_one_set() {
    let inv = load_dir(&example_dir());
    let text = GITEA
        .replace("memory: 2048", "memory: 1")
        .replace("ip=10.0.0.110/24", "ip=dhcp")
        .replace("startup: 3", "startup: 3,up=9");
    let c = cmds(&inv, &seen_with(&inv, 110, &text));
    assert_eq!(
        c,
        vec![vec![
            "pct", "set", "110", "--memory", "2048",
            // managed sub-keys fixed, type kept, the existing MAC kept as written
            "--net0", "name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:00:01:10,ip=10.0.0.110/24,type=veth",
            "--startup", "order=3",
        ]]
    );
}

#[test]
fn firewall_flag_follows_the_guests_firewall_object() {
    let inv = load_dir(&example_dir());
    // 110 has no firewall object: a firewall=1 on its NIC goes.
    let text = GITEA.replace("bridge=vmbr0,", "bridge=vmbr0,firewall=1,");
    let c = cmds(&inv, &seen_with(&inv, 110, &text));
    assert_eq!(c.len(), 1);
    assert!(!c[0][4].contains("firewall"), "{:?}", c[0]);
    // 103 has an enabled one: it must be there.
    let step_ca = phx_lxc::render::conf(&inv, 103).unwrap();
    assert!(step_ca.contains("firewall=1"));
    let c = cmds(
        &inv,
        &seen_with(&inv, 103, &step_ca.replace("firewall=1,", "")),
    );
    assert_eq!(c.len(), 1);
    assert!(c[0][4].contains("firewall=1"), "{:?}", c[0]);
}

#[test]
fn mounts_match_by_container_path_and_new_ones_take_the_lowest_free_index() {
    let inv = load_dir(&example_dir());
    // 103 wants tank-persistent:1 at /etc/step-ca. It has two other mounts.
    let base = phx_lxc::render::conf(&inv, 103).unwrap();
    let without: String = base
        .lines()
        .filter(|l| !l.starts_with("mp"))
        .map(|l| format!("{l}\n"))
        .collect();
    let text =
        format!("{without}mp0: /srv/a,mp=/a\nmp2: tank-persistent:vm-103-disk-9,mp=/b,size=2G\n");
    let c = cmds(&inv, &seen_with(&inv, 103, &text));
    assert_eq!(
        c,
        vec![vec![
            "pct",
            "set",
            "103",
            "--mp1",
            "tank-persistent:1,mp=/etc/step-ca"
        ]]
    );
    // Already there at another index: nothing, nothing renumbered or dropped.
    let text = format!(
        "{without}mp0: /srv/a,mp=/a\nmp5: tank-persistent:vm-103-disk-1,mp=/etc/step-ca,size=1G\n"
    );
    assert!(cmds(&inv, &seen_with(&inv, 103, &text)).is_empty());
}

#[test]
fn a_bind_mount_with_other_options_is_fixed_in_place() {
    let inv = load_dir(&example_dir());
    // 102 wants /mnt/pve/tank/persistent/ssl at /ssl read-only.
    let base = phx_lxc::render::conf(&inv, 102).unwrap();
    let without: String = base
        .lines()
        .filter(|l| !l.starts_with("mp"))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = format!("{without}mp3: /mnt/pve/tank/persistent/ssl,mp=/ssl,backup=0\n");
    let c = cmds(&inv, &seen_with(&inv, 102, &text));
    assert_eq!(
        c,
        vec![vec![
            "pct",
            "set",
            "102",
            "--mp3",
            "/mnt/pve/tank/persistent/ssl,mp=/ssl,backup=0,ro=1"
        ]]
    );
}

#[test]
fn disks_grow_and_are_never_shrunk() {
    let inv = load_dir(&example_dir());
    // 110 wants 32G.
    let small = GITEA.replace("size=32G", "size=8G");
    assert_eq!(
        cmds(&inv, &seen_with(&inv, 110, &small)),
        vec![vec!["pct", "resize", "110", "rootfs", "32G"]]
    );
    let big = GITEA.replace("size=32G", "size=40G");
    let p = phx_lxc::plan(&inv, &seen_with(&inv, 110, &big), no_start()).unwrap();
    assert!(argvs(&p).is_empty());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("CT 110") && n.contains("40G") && n.contains("never shrunk")),
        "{:?}",
        p.notes
    );
    // A volume mount point grows too (103: 1G wanted).
    let base = phx_lxc::render::conf(&inv, 103).unwrap();
    let text = base.replace(",size=1G", ",size=512M");
    assert_eq!(
        cmds(&inv, &seen_with(&inv, 103, &text)),
        vec![vec!["pct", "resize", "103", "mp0", "1G"]]
    );
}

#[test]
fn unprivileged_drift_is_reported_not_changed() {
    let inv = load_dir(&example_dir());
    let p = phx_lxc::plan(
        &inv,
        &seen_with(&inv, 110, &GITEA.replace("unprivileged: 1\n", "")),
        no_start(),
    )
    .unwrap();
    assert!(argvs(&p).is_empty());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("CT 110: unprivileged is 0")),
        "{:?}",
        p.notes
    );
}

#[test]
fn containers_not_in_the_file_are_never_read_or_touched() {
    let root = tempfile::tempdir().unwrap();
    let inv = load_dir(&example_dir());
    make_bind_sources(&inv, root.path());
    let dir = root.path().join("etc/pve/lxc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("555.conf"),
        "hostname: other\nmemory: 64\nrootfs: local:vm-555-disk-0,size=1G\n",
    )
    .unwrap();
    let p = plan(&inv, root.path(), Options::default());
    assert!(p.plan.steps.iter().all(|s| !s.id.contains("555")));
    assert!(argvs(&p).iter().all(|a| !a.contains(&"555".to_string())));
}

#[test]
fn clone_source_snapshot_planned_only_when_missing() {
    let inv = load_dir(&example_dir());
    // Only 900 exists, with its golden snapshot: clones need no snapshot step.
    let mut seen = Observed::default();
    let rendered = phx_lxc::render::conf(&inv, 900).unwrap();
    assert!(rendered.contains("\n[golden]\n#phoenix-template features=base_setup\n"));
    seen.confs.insert(900, conf::parse(&rendered));
    seen.own
        .host_paths
        .insert("/mnt/pve/tank/persistent/ssl".into());
    let p = phx_lxc::plan(&inv, &seen, no_start()).unwrap();
    assert!(!p.plan.steps.iter().any(|s| s.id.contains("snapshot")));
    assert!(argvs(&p).contains(
        &[
            "pct",
            "clone",
            "900",
            "103",
            "--snapname",
            "golden",
            "--hostname",
            "Step-CA",
            "--storage",
            "local-lvm"
        ]
        .map(String::from)
        .to_vec()
    ));
    // Without it: one guarded snapshot before the first clone.
    let base: String = rendered
        .split("\n[")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("parent:"))
        .map(|l| format!("{l}\n"))
        .collect();
    seen.confs.insert(900, conf::parse(&base));
    let p = phx_lxc::plan(&inv, &seen, no_start()).unwrap();
    let ids: Vec<&str> = p.plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.iter().filter(|i| i.contains("snapshot")).count(), 1);
    let snap = ids
        .iter()
        .position(|i| *i == "lxc:900:snapshot:golden")
        .unwrap();
    assert!(snap < ids.iter().position(|i| i.ends_with(":clone")).unwrap());
    match &p.plan.steps[snap].action {
        phx_plan::Action::Command(c) => {
            assert_eq!(
                c.unless.as_ref().unwrap(),
                &["pct", "config", "900", "--snapshot", "golden"]
                    .map(String::from)
                    .to_vec()
            );
            assert_eq!(
                c.argv[4..],
                ["--description", "phoenix-template features=base_setup"]
            );
        }
        other => panic!("{other:?}"),
    }
    // Its image first: started, base_setup inside it, shut down.
    let at = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert!(at("lxc:900:template-start") < at("template-900-base_setup-install"));
    assert!(at("template-900-base_setup-install") < at("lxc:900:template-shutdown"));
    assert!(at("lxc:900:template-shutdown") < snap);
}

#[test]
fn a_gpu_the_entry_does_not_assign_is_removed() {
    let inv = load_dir(&upstream_dir());
    // 911 is assigned GPU 0 only but was cloned from 901 (GPUs 0 and 1).
    let mut seen = Observed::default();
    for &id in inv.lxcs.keys() {
        seen.confs
            .insert(id, conf::parse(&phx_lxc::render::conf(&inv, id).unwrap()));
    }
    seen.own
        .host_paths
        .insert("/mnt/pve/quickOS/lxc-persistent-data/103/ssl".into());
    let rendered = phx_lxc::render::conf(&inv, 911).unwrap();
    let extra = "lxc.mount.entry: /dev/nvidia1 dev/nvidia1 none bind,optional,create=file\n";
    // In the main section: 911 is a golden template, its snapshot follows.
    let (main, snaps) = rendered.split_once("\n[").unwrap();
    seen.confs
        .insert(911, conf::parse(&format!("{main}{extra}\n[{snaps}")));
    let p = phx_lxc::plan(&inv, &seen, no_start()).unwrap();
    assert_eq!(p.plan.steps.len(), 1, "{:?}", p.plan.steps);
    assert_eq!(p.plan.steps[0].id, "lxc:911:conf");
    match &p.plan.steps[0].action {
        phx_plan::Action::File(f) => assert_eq!(f.content, rendered),
        other => panic!("{other:?}"),
    }
    assert!(
        !p.notes.iter().any(|n| n.contains("nvidia")),
        "{:?}",
        p.notes
    );
}

#[test]
fn a_clone_source_with_bind_mounts_matters_only_while_the_clone_is_to_be_made() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["clone_from_ctid"] = "102".into();
        v["lxc_configs"]["102"]["template_snapshot_name"] = "golden".into();
    });
    let inv = load_dir(cfg.path());
    // 110 exists: nothing will be cloned, nothing to refuse.
    let mut seen = seen_with(&inv, 110, &phx_lxc::render::conf(&inv, 110).unwrap());
    assert!(phx_lxc::plan(&inv, &seen, no_start()).is_ok());
    // 110 is still to be cloned from 102, which bind-mounts a host directory.
    seen.confs.remove(&110);
    let problems = phx_lxc::plan(&inv, &seen, no_start()).unwrap_err();
    let text = problems.to_string();
    assert!(
        text.contains(
            "lxc_configs.\"110\".clone_from_ctid: 102: a clone source without bind mounts"
        ),
        "{text}"
    );
}

/// A delay without an order must not become `order=0`: pve-manager's
/// startall would start the container before every guest without an order.
#[test]
fn a_boot_delay_alone_sets_no_boot_order() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        let c = &mut v["lxc_configs"]["110"];
        c.as_object_mut().unwrap().remove("boot_order");
        c["boot_delay"] = 9.into();
    });
    let inv = load_dir(cfg.path());
    let want = phx_lxc::desired::desired(&inv.lxcs[&110], &inv.host);
    assert_eq!(want.get("startup"), Some("up=9"));
}
