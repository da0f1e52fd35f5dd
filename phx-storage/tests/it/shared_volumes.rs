//! `shared_volumes` as bind sources: each source a storage directory holds
//! is made, after phx-apply ran the plan against the doubles, owned by the
//! host IDs the mounting containers' root maps to; containers that disagree
//! are a warning naming them and the owner chosen; a source outside every
//! storage directory is the operator's.

use crate::common::*;
use phx_testkit::upstream_dir;
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The fixture with `shared_volumes` (its firewall kept) and CTs 911 and 912
/// changed: 911 privileged, 912 mapped to 200000 by `lxc.idmap`.
fn fixture_with(volumes: Value) -> tempfile::TempDir {
    let dir = phx_testkit::copy_config(&upstream_dir());
    let edit = |file: &str, f: &dyn Fn(&mut Value)| {
        let p = dir.path().join(file);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    };
    edit("phoenix_hypervisor_config.json", &|v| {
        let fw = v["shared_volumes"]["firewall"].take();
        let mut sv = volumes.clone();
        sv["firewall"] = fw;
        v["shared_volumes"] = sv;
    });
    edit("phoenix_lxc_configs.json", &|v| {
        let cts = &mut v["lxc_configs"];
        cts["911"]["unprivileged"] = json!(false);
        cts["912"]["unprivileged"] = json!(true);
        cts["912"]["lxc_options"] =
            json!(["lxc.idmap: u 0 200000 65536", "lxc.idmap: g 0 200000 65536"]);
    });
    dir
}

fn owner(root: &Path, path: &str) -> (u32, u32) {
    let m = std::fs::metadata(root.join(path.trim_start_matches('/'))).unwrap();
    (m.uid(), m.gid())
}

#[test]
fn each_shared_source_is_owned_by_its_containers_root_and_a_second_run_changes_nothing() {
    let cfg = fixture_with(json!({
        "both": {"host_path": "/mnt/pve/quickOS/shared-prod-data/both",
                 "mounts": {"910": "/both", "911": "/both"}},
        "mapped": {"host_path": "/quickOS/shared-prod-data/mapped", "mounts": {"912": "/m"}},
        "root": {"host_path": "/mnt/pve/fastData/root-only", "mounts": {"911": "/r"}},
        "outside": {"host_path": "/srv/outside", "mounts": {"910": "/o"}},
        "gone": {"host_path": "/mnt/pve/quickOS/gone", "mounts": {"953": "/g"}},
    }));
    let root = fresh_node();
    let root = root.path();
    let (_, stderr) = converge(cfg.path(), root, &[]);
    // Unprivileged without idmap (910) is 100000; 911 is privileged (0).
    assert_eq!(
        owner(root, "/mnt/pve/quickOS/shared-prod-data/both"),
        (100_000, 100_000)
    );
    assert!(
        stderr.contains("phx-storage: warning: bind source /mnt/pve/quickOS/shared-prod-data/both: CT 911's root is 0:0 on the host, CT 910's 100000:100000; it is owned by 100000:100000 (CT 910's root), CT 911 sees it as nobody"),
        "{stderr}"
    );
    // Under a dataset's mount (/<pool>/<name>), from lxc.idmap.
    assert_eq!(
        owner(root, "/quickOS/shared-prod-data/mapped"),
        (200_000, 200_000)
    );
    assert_eq!(owner(root, "/mnt/pve/fastData/root-only"), (0, 0));
    // The operator's directory is not made; a volume of no existing container neither.
    assert!(!root.join("srv/outside").exists());
    assert!(
        stderr.contains("note: bind source /srv/outside (CT 910) is under no storage directory"),
        "{stderr}"
    );
    assert!(!root.join("mnt/pve/quickOS/gone").exists());

    clear_logs(root);
    let (second, _) = converge(cfg.path(), root, &[]);
    assert_eq!(
        second.count(phx_apply::Status::Changed),
        0,
        "{:?}",
        second.outcomes
    );
    assert_eq!(mutating_calls(root), Vec::<String>::new());
}

#[test]
fn a_wrong_owner_is_corrected_once() {
    let cfg = fixture_with(json!({
        "s": {"host_path": "/mnt/pve/quickOS/shared-prod-data/s", "mounts": {"910": "/s"}},
    }));
    let root = fresh_node();
    let root = root.path();
    let dir = root.join("mnt/pve/quickOS/shared-prod-data/s");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
    let (report, _) = converge(cfg.path(), root, &[]);
    let step = report
        .outcomes
        .iter()
        .find(|o| o.id == "storage:bind:/mnt/pve/quickOS/shared-prod-data/s")
        .unwrap();
    assert_eq!(step.status, phx_apply::Status::Changed);
    assert_eq!(
        owner(root, "/mnt/pve/quickOS/shared-prod-data/s"),
        (100_000, 100_000)
    );
}

fn mode(root: &Path, path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(root.join(path.trim_start_matches('/')))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_mode_the_json_gives_is_made_and_kept_and_the_default_leaves_an_operators_chmod() {
    let cfg = fixture_with(json!({
        "given": {"host_path": "/mnt/pve/quickOS/shared-prod-data/given",
                  "mounts": {"910": "/g"}, "mode": "2750"},
        "default": {"host_path": "/mnt/pve/quickOS/shared-prod-data/default",
                    "mounts": {"910": "/d"}},
    }));
    let root = fresh_node();
    let root = root.path();
    converge(cfg.path(), root, &[]);
    assert_eq!(
        mode(root, "/mnt/pve/quickOS/shared-prod-data/given"),
        0o2750
    );
    assert_eq!(
        mode(root, "/mnt/pve/quickOS/shared-prod-data/default"),
        0o755
    );
    // An operator's chmod: undone where the JSON gives a mode, kept where not.
    use std::os::unix::fs::PermissionsExt;
    for p in ["given", "default"] {
        let at = root.join("mnt/pve/quickOS/shared-prod-data").join(p);
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let (report, _) = converge(cfg.path(), root, &[]);
    assert_eq!(
        mode(root, "/mnt/pve/quickOS/shared-prod-data/given"),
        0o2750
    );
    assert_eq!(
        mode(root, "/mnt/pve/quickOS/shared-prod-data/default"),
        0o700
    );
    assert_eq!(
        phx_testkit::changed(&report).len(),
        1,
        "{:?}",
        phx_testkit::changed(&report)
    );
    let (report, _) = converge(cfg.path(), root, &[]);
    assert!(phx_testkit::changed(&report).is_empty());
}

#[test]
fn a_mode_that_is_no_octal_string_is_exit_2_at_its_path() {
    let cfg = fixture_with(json!({
        "bad": {"host_path": "/mnt/pve/quickOS/shared-prod-data/bad",
                "mounts": {"910": "/b"}, "mode": "0859"},
    }));
    let root = fresh_node();
    let out = phx_storage(cfg.path(), root.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("shared_volumes.bad.mode: \"0859\": a directory mode of 3 or 4 octal digits"),
        "{stderr}"
    );
}
