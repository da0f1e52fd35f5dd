//! `--guest ID`: only the in-guest steps of the named guests and of what
//! they need first (their clone sources and dependencies: a prerequisite
//! made for them gets its software), and the handlers those notify; a
//! stop, start or delete installs nothing.

use crate::common::*;
use phx_plan::Step;

fn planned(args: &[&str]) -> Vec<Step> {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(example_dir())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"kind\":\"end\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn guests_of(steps: &[Step]) -> std::collections::BTreeSet<u32> {
    steps
        .iter()
        .filter_map(|s| s.action.guest())
        .map(|g| g.id())
        .collect()
}

#[test]
fn the_named_guests_steps_only() {
    let all = planned(&[]);
    let every = guests_of(&all);
    assert!(every.len() > 1 && every.contains(&102), "{every:?}");
    let one = planned(&["--guest", "102"]);
    assert!(!one.is_empty());
    // 102 clones from 900 and depends on 103: those, and no other guest.
    let closure: std::collections::BTreeSet<u32> = [102, 103, 900].into();
    let kept = guests_of(&one);
    assert!(kept.contains(&102) && kept.is_subset(&closure), "{kept:?}");
    assert!(every.iter().any(|id| !closure.contains(id)), "{every:?}");
    // Each of 102's steps is there, as in the whole plan.
    let whole_102 = all
        .iter()
        .filter(|s| s.action.guest().is_some_and(|g| g.id() == 102))
        .count();
    let kept_102 = one
        .iter()
        .filter(|s| s.action.guest().is_some_and(|g| g.id() == 102))
        .count();
    assert_eq!(kept_102, whole_102);
    assert!(planned(&["--guest", "102", "--action", "stop"]).is_empty());
}

#[test]
fn an_unknown_guest_exits_2() {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(example_dir())
        .args(["--guest", "4242"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--guest 4242: no container"));
}
