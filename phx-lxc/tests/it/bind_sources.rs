//! Bind-mount sources phx-storage makes are accepted missing (phoenix-cli
//! runs storage before the guests), with a note naming who makes them; a
//! source nobody makes is still refused.

use crate::common::*;
use phx_lxc::Options;

#[test]
fn the_upstream_files_plan_on_a_fresh_node_noting_who_makes_the_sources() {
    let inv = load_dir(&upstream_dir());
    let root = fresh_node();
    let ssl = "/mnt/pve/quickOS/lxc-persistent-data/103/ssl";
    assert!(!root.path().join(&ssl[1..]).exists(), "the node lacks it");
    let planned = plan(&inv, root.path(), Options::default());
    assert!(
        planned.notes.iter().any(|n| n
            == &format!("bind source {ssl} (CT 101, CT 102) does not exist yet: phx-storage (`phoenix-cli setup storage`, run before the guests) makes it")),
        "{:?}",
        planned.notes
    );
    assert!(
        planned
            .plan
            .steps
            .iter()
            .any(|s| serde_json::to_string(s).unwrap().contains(ssl)),
        "the mount is planned"
    );
}

#[test]
fn a_missing_source_outside_every_storage_directory_is_still_refused() {
    let mut inv = load_dir(&upstream_dir());
    inv.lxcs.get_mut(&101).unwrap().mount_points[0].host_path = "/srv/ssl".to_string();
    let root = fresh_node();
    let seen = phx_lxc::observe::observe(&inv, root.path(), Some(pct_path())).unwrap();
    let Err(err) = phx_lxc::plan(&inv, &seen, Options::default()) else {
        panic!("a source nobody makes is refused");
    };
    let err = err.to_string();
    assert!(
        err.contains("lxc_configs.\"101\".mount_points[0].host_path: \"/srv/ssl\": an existing directory on the host (the bind mount's source does not exist, and phx-storage (`phoenix-cli setup storage`, run before the guests) makes sources only under /mnt/pve, /quickOS/vm-disks"),
        "{err}"
    );
    assert!(!err.contains("103/ssl"), "CT 102's source is made: {err}");
}
