//! Entries Phoenix owns are reconciled, not only appended: a container has
//! exactly the GPUs its gpu_assignment names (a clone's inherited
//! /dev/nvidia* `devN` entries for other GPUs are deleted before it first
//! starts; the raw passthrough lines of earlier versions go), and the lines of a key the entry names are exactly the
//! entry's; lines of keys the entry never names are the operator's and stay.
//! Against the pct TEST DOUBLE and the real executor.

use crate::common;

use common::*;
use phx_lxc::Options;

/// The main section's lines (up to the first `[` line) and the rest.
fn split_main(text: &str) -> (Vec<&str>, &str) {
    let rest = text.find("\n[").map_or("", |i| &text[i..]);
    let main = text[..text.len() - rest.len()].lines().collect();
    (main, rest)
}

/// The N of every `/dev/nvidiaN` device entry in the main section.
fn gpus(text: &str) -> Vec<u32> {
    let mut out: Vec<u32> = split_main(text)
        .0
        .iter()
        .filter(|l| l.starts_with("dev"))
        .filter_map(|l| {
            l.split_once(": /dev/nvidia")?
                .1
                .split(',')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    out.sort_unstable();
    out
}

fn nvidia_lines(text: &str) -> usize {
    split_main(text)
        .0
        .iter()
        .filter(|l| l.contains("/dev/nvidia") || l.contains(" c 195:"))
        .count()
}

#[test]
fn a_clone_keeps_none_of_its_sources_other_gpus() {
    // 901 has GPUs 0 and 1; 911 (GPU 0) and 912 (GPU 1) are cloned from it,
    // 801 (GPU 0) from 911.
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&upstream_dir(), root.path());
    assert_eq!(gpus(&conf_text(root.path(), 901)), vec![0, 1]);
    assert_eq!(gpus(&conf_text(root.path(), 911)), vec![0]);
    assert_eq!(gpus(&conf_text(root.path(), 912)), vec![1]);
    assert_eq!(gpus(&conf_text(root.path(), 801)), vec![0]);
    // Cloned without GPUs from 900: no passthrough line at all.
    let plain: Vec<u32> = inv
        .lxcs
        .values()
        .filter(|c| c.gpus.is_empty())
        .map(|c| c.id)
        .collect();
    assert!(!plain.is_empty());
    for id in plain {
        assert_eq!(nvidia_lines(&conf_text(root.path(), id)), 0, "CT {id}");
    }
    // Fixed before the first start, in the same run: nothing left to do.
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty(), "{:?}", argvs(&again));
    assert!(
        !again.notes.iter().any(|n| n.contains("nvidia")),
        "{:?}",
        again.notes
    );
}

#[test]
fn a_changed_gpu_assignment_removes_the_other_gpus_and_keeps_the_operators_lines() {
    let cfg = copy_config(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    // The operator's own lines, of keys 901's entry does not name.
    let path = root.path().join("etc/pve/lxc/901.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    let ours = "lxc.mount.entry: /srv/media srv/media none bind,create=dir\nlxc.cgroup2.devices.allow: c 10:200 rwm\n";
    let at = text.find("\n[").map_or(text.len(), |i| i + 1);
    std::fs::write(&path, format!("{}{ours}{}", &text[..at], &text[at..])).unwrap();
    // pct re-prints the conf it sets (the operator's lines end up in the
    // main section's raw lines); the snapshot sections stay as they are.
    let snapshots_before = text[text.find("\n[").unwrap()..].to_string();

    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["901"]["gpu_assignment"] = "1".into()
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    let ids: Vec<&str> = p.plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, vec!["lxc:901:set"], "one pct set: {:?}", argvs(&p));
    assert_eq!(
        argvs(&p),
        vec![vec!["pct", "set", "901", "--delete", "dev0"]],
        "GPU 0's entry goes, GPU 1's and the shared nodes' stay where they are"
    );
    run(&p.plan.steps, root.path());
    let after = conf_text(root.path(), 901);
    assert_eq!(gpus(&after), vec![1]);
    for l in ours.lines() {
        assert!(split_main(&after).0.contains(&l), "{l} kept:\n{after}");
    }
    assert!(
        after.ends_with(&snapshots_before),
        "snapshot sections byte for byte"
    );
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());

    // No GPU at all: every passthrough line goes, the operator's stay.
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["901"]["gpu_assignment"] = "none".into()
    });
    let inv = load_dir(cfg.path());
    run(
        &plan(&inv, root.path(), Options::default()).plan.steps,
        root.path(),
    );
    let after = conf_text(root.path(), 901);
    assert_eq!(nvidia_lines(&after), 0, "{after}");
    for l in ours.lines() {
        assert!(split_main(&after).0.contains(&l), "{l} kept:\n{after}");
    }
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn a_clone_gets_its_own_apparmor_profile_in_the_first_run() {
    // 900 is the example's clone source; 110 is cloned from it.
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["900"]["apparmor_profile"] = "generated".into();
        v["lxc_configs"]["110"]["apparmor_profile"] = "unconfined".into();
    });
    let root = tempfile::tempdir().unwrap();
    let inv = converge(cfg.path(), root.path());
    let text = conf_text(root.path(), 110);
    let profiles: Vec<&str> = split_main(&text)
        .0
        .into_iter()
        .filter(|l| l.starts_with("lxc.apparmor.profile"))
        .collect();
    assert_eq!(profiles, vec!["lxc.apparmor.profile: unconfined"], "{text}");
    assert!(plan(&inv, root.path(), Options::default())
        .plan
        .steps
        .is_empty());
}

#[test]
fn an_edited_multi_valued_line_replaces_the_old_one() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["lxc_options"] =
            serde_json::json!(["lxc.cgroup2.devices.allow: c 226:* rwm"])
    });
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["lxc_options"] =
            serde_json::json!(["lxc.cgroup2.devices.allow: c 226:0 rwm"])
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    run(&p.plan.steps, root.path());
    let after = conf_text(root.path(), 110);
    let allow: Vec<&str> = split_main(&after)
        .0
        .into_iter()
        .filter(|l| l.starts_with("lxc.cgroup2.devices.allow"))
        .collect();
    assert_eq!(
        allow,
        vec!["lxc.cgroup2.devices.allow: c 226:0 rwm"],
        "the entry names lxc.cgroup2.devices.allow: its lines are the entry's"
    );
    let again = plan(&inv, root.path(), Options::default());
    assert!(again.plan.steps.is_empty());
    assert!(
        !again.notes.iter().any(|n| n.starts_with("CT 110 has")),
        "{:?}",
        again.notes
    );
}
