//! The directories VMs mount over NFS from this node (`vms[].volumes`):
//! made under their export on a fresh node, left alone the second time;
//! a path under no export is a warning, another server's a note.

use crate::common::*;
use phx_apply::Status;
use phx_testkit::{copy_config, edit_json, upstream_dir};
use serde_json::json;

#[test]
fn each_vm_volume_under_an_export_of_this_node_is_made_once() {
    let root = fresh_node();
    let root = root.path();
    let (first, err) = converge(&upstream_dir(), root, &[]);
    for vm in [1001, 1002] {
        let path = format!("/quickOS/vm-persistent-data/{vm}");
        let o = first
            .outcomes
            .iter()
            .find(|o| o.id == format!("storage:vm-volume:{path}"))
            .unwrap_or_else(|| panic!("no step for {path}: {err}"));
        assert_eq!(o.status, Status::Changed, "{o:?}");
        assert!(root.join(&path[1..]).is_dir(), "{path}");
    }
    let (second, _) = converge(&upstream_dir(), root, &[]);
    assert_eq!(second.count(Status::Changed), 0, "{:?}", second.outcomes);
}

#[test]
fn a_volume_under_no_export_is_warned_and_another_servers_is_noted() {
    let cfg = copy_config(&upstream_dir());
    edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        v["vms"][1]["volumes"][0]["path"] = json!("/srv/elsewhere/1001");
        v["vms"][2]["volumes"][0]["server"] = json!("10.0.0.99");
    });
    let out = phx_storage(cfg.path(), fresh_node().path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("vms[1].volumes[0].path: \"/srv/elsewhere/1001\" is under no nfs.exports path of this node: the VM's mount of /persistent-storage will be refused"),
        "{err}"
    );
    assert!(
        err.contains(
            "VM 1002's volume 10.0.0.99:/quickOS/vm-persistent-data/1002 is another server's"
        ),
        "{err}"
    );
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(!plan.contains("storage:vm-volume:"), "{plan}");
}
