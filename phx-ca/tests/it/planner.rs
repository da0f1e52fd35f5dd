//! What phx-ca plans from the original system's real files and from edits
//! of them, without running anything.

use crate::common;
use common::*;
use phx_plan::Action;

fn upstream() -> std::path::PathBuf {
    upstream_dir()
}

fn export_of(dir: &std::path::Path) -> String {
    let out = phx_ca::build(&load_dir(dir)).unwrap_or_else(|p| panic!("{p}"));
    out.plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::FromGuest(f) if s.id == "ca-export-root" => Some(f.path.clone()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn the_original_files_export_where_the_original_mounted_ssl() {
    assert_eq!(
        export_of(&upstream()),
        "/mnt/pve/quickOS/lxc-persistent-data/103/ssl/phoenix_root_ca.crt"
    );
    let steps = plan(&upstream());
    let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    // CA, export, trust (host, 101, 102), then Traefik: the order LetsGo promises.
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(at("ca-start") < at("ca-export-root"));
    assert!(at("ca-export-root") < at("trust-host"));
    assert!(at("trust-102") < at("traefik-install"));
    assert!(ids.contains(&"trust-101"));
    let static_cfg = steps
        .iter()
        .find_map(|s| match &s.action {
            Action::GuestFile(f) if s.id == "traefik-static" => f.content.clone(),
            _ => None,
        })
        .unwrap();
    assert!(static_cfg
        .contains("caServer: \"https://ca.phoenix.thinkheads.ai:9000/acme/acme/directory\""));
}

#[test]
fn without_ssl_mounts_the_export_sits_beside_the_cas_persistent_volume() {
    let cfg = copy_config(&upstream());
    edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        for ct in ["101", "102"] {
            v["lxc_configs"][ct]
                .as_object_mut()
                .unwrap()
                .remove("mount_points");
        }
    });
    // quickOS-lxc-persistent-data is the dataset quickOS/lxc-persistent-data.
    assert_eq!(
        export_of(cfg.path()),
        "/mnt/pve/quickOS/lxc-persistent-data/103/ssl/phoenix_root_ca.crt"
    );
}

#[test]
fn no_ca_no_traefik_no_steps() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        for (_, c) in v["lxc_configs"].as_object_mut().unwrap() {
            c["features"] = serde_json::json!(["base_setup"]);
            c.as_object_mut().unwrap().remove("traefik_service");
        }
    });
    edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        for vm in v["vms"].as_array_mut().unwrap() {
            vm["features"] = serde_json::json!([]);
            vm.as_object_mut().unwrap().remove("traefik_service");
        }
    });
    assert!(plan(cfg.path()).is_empty());
}

#[test]
fn a_trusting_guest_that_does_not_start_is_left_alone_with_a_warning() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        v["lxc_configs"]["111"]["start_at_boot"] = serde_json::json!(false);
    });
    let out = phx_ca::build(&load_dir(cfg.path())).unwrap_or_else(|p| panic!("{p}"));
    assert!(out
        .plan
        .steps
        .iter()
        .all(|s| !s.id.starts_with("trust-111")));
    assert!(out.plan.steps.iter().any(|s| s.id == "trust-110"));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("CT 111") && w.contains("does not start at boot")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn a_trusting_vm_is_reached_through_its_guest_agent_unless_it_does_not_start() {
    let cfg = copy_config(&example_dir());
    let out = phx_ca::build(&load_dir(cfg.path())).unwrap_or_else(|p| panic!("{p}"));
    let step = |id: &str| {
        out.plan
            .steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    // VM 1001: the root file by its vmid, update-ca-certificates run inside it.
    let file = serde_json::to_value(step("trust-1001")).unwrap();
    assert_eq!(file["kind"], "guest_file");
    assert_eq!(file["vmid"], 1001);
    assert!(file.get("ctid").is_none(), "{file}");
    assert_eq!(
        file["content_from"],
        "/mnt/pve/tank/persistent/ssl/phoenix_root_ca.crt"
    );
    let update = serde_json::to_value(step("trust-1001-update")).unwrap();
    assert_eq!(update["kind"], "guest_handler");
    assert_eq!(
        update["argv"],
        serde_json::json!(["update-ca-certificates"])
    );
    assert!(
        !out.warnings.iter().any(|w| w.contains("VM 1001")),
        "{:?}",
        out.warnings
    );

    edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        v["vms"][1]["start_at_boot"] = serde_json::json!(false);
    });
    let out = phx_ca::build(&load_dir(cfg.path())).unwrap_or_else(|p| panic!("{p}"));
    assert!(out
        .plan
        .steps
        .iter()
        .all(|s| !s.id.starts_with("trust-1001")));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("VM 1001") && w.contains("does not start at boot")),
        "{:?}",
        out.warnings
    );
}
