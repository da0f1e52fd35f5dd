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
