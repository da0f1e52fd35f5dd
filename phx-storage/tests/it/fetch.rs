//! Container templates (pveam, through its double) and cloud images (a
//! `download` step, from a local HTTP server) fetched on a fresh node: the
//! plan, the files after apply, a second run with no pveam call and no
//! request, pveam's own refusal of a template it does not offer, and a
//! wrong checksum or a wrong existing image failing with nothing left
//! behind or changed.

use crate::common::*;
use phx_apply::Status;
use phx_plan::{Action, Checksum, Step};
use phx_testkit::http::Server;
use phx_testkit::{apply_opts, copy_config, upstream_dir};
use serde_json::{json, Value};
use std::path::Path;

const TEMPLATE: &str = "ubuntu-24.04-standard_24.04-2_amd64.tar.zst";
const TEMPLATE_AT: &str =
    "fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst";
const IMAGE: &str = "noble-server-cloudimg-amd64.img";
const IMAGE_AT: &str = "var/lib/vz/template/iso/noble-server-cloudimg-amd64.img";
const BODY: &[u8] = b"QFI\xfb\0\0\0\x03 a stand-in for Ubuntu's noble cloud image\n";

fn sha256(b: &[u8]) -> String {
    phx_plan::sha256::hex(b)
}

/// The upstream fixture with VM 9000's image keys set to `keys`.
fn fixture_with_image(keys: Value) -> tempfile::TempDir {
    let dir = copy_config(&upstream_dir());
    let p = dir.path().join("phoenix_vm_configs.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    for (k, val) in keys.as_object().unwrap() {
        v["vms"][0][k] = val.clone();
    }
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    dir
}

/// A server with the image and a SHA256SUMS beside it; the image keys
/// pointing at them.
fn serving(body: &[u8], listed: &str) -> (Server, Value) {
    let srv = Server::start();
    let url = srv.put(&format!("/noble/current/{IMAGE}"), body);
    let sums = srv.put(
        "/noble/current/SHA256SUMS",
        format!("{listed} *{IMAGE}\n").as_bytes(),
    );
    let keys = json!({"template_image_url": url, "template_image_checksum_url": sums});
    (srv, keys)
}

fn plan_steps(cfg: &Path, root: &Path) -> Vec<Step> {
    let out = phx_storage(cfg, root, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    phx_plan::read_jsonl(&out.stdout[..]).unwrap()
}

fn pveam_log(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("pveam.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn the_unchanged_fixture_plans_pveam_and_the_ubuntu_default_download() {
    let root = bare_node();
    let steps = plan_steps(&upstream_dir(), root.path());
    let argvs: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Command(c) if c.argv[0] == "pveam" => Some(c.argv.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        argvs,
        [
            vec!["pveam", "update"],
            vec!["pveam", "download", "fastData-shared-iso", TEMPLATE]
        ]
    );
    // After the storage pveam downloads to is added.
    let pos = |id: &str| steps.iter().position(|s| s.id.starts_with(id)).unwrap();
    assert!(pos("storage:templates:update") > pos("storage:pve:fastData-shared-iso"));
    let Some(Action::Download(d)) = steps
        .iter()
        .find(|s| s.id == format!("storage:image:{IMAGE}"))
        .map(|s| &s.action)
    else {
        panic!("the image is downloaded: {steps:#?}")
    };
    assert_eq!(d.path, format!("/{IMAGE_AT}"));
    assert_eq!(
        d.url,
        "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
    );
    assert_eq!(
        d.checksum,
        Checksum::ChecksumUrl("https://cloud-images.ubuntu.com/noble/current/SHA256SUMS".into())
    );
}

#[test]
fn a_fresh_node_gets_its_template_and_image_and_a_second_run_fetches_nothing() {
    let root = bare_node();
    let root = root.path();
    let (srv, keys) = serving(BODY, &sha256(BODY));
    let cfg = fixture_with_image(keys);
    let (first, _) = converge(cfg.path(), root, &[]);
    for id in [
        "storage:templates:update".to_string(),
        format!("storage:template:fastData-shared-iso:{TEMPLATE}"),
        format!("storage:image:{IMAGE}"),
    ] {
        let o = first.outcomes.iter().find(|o| o.id == id).unwrap();
        assert_eq!(o.status, Status::Changed, "{id}: {}", o.detail);
    }
    assert_eq!(
        std::fs::read(root.join(TEMPLATE_AT)).unwrap(),
        format!("pveam-double template {TEMPLATE}\n").as_bytes()
    );
    assert_eq!(std::fs::read(root.join(IMAGE_AT)).unwrap(), BODY);
    let requests = srv.requests().len();
    assert_eq!(requests, 2, "the checksum file and the image");

    clear_logs(root);
    let (second, _) = converge(cfg.path(), root, &[]);
    assert_eq!(second.changed(), 0, "{:?}", second.outcomes);
    assert!(pveam_log(root).is_empty(), "{:?}", pveam_log(root));
    assert!(
        mutating_calls(root).is_empty(),
        "{:?}",
        mutating_calls(root)
    );
    assert_eq!(srv.requests().len(), requests, "nothing fetched again");
}

#[test]
fn a_template_pveam_does_not_offer_fails_its_step_with_pveam_s_message() {
    let root = bare_node();
    let root = root.path();
    phx_testkit::put_images(&upstream_dir(), root);
    let cfg = copy_config(&upstream_dir());
    let p = cfg.path().join("phoenix_lxc_configs.json");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace(TEMPLATE, "ubuntu-99.04-standard_99.04-1_amd64.tar.zst");
    std::fs::write(&p, text).unwrap();
    let steps = plan_steps(cfg.path(), root);
    let report = phx_apply::apply(&steps, &apply_opts(root, path())).unwrap();
    let failed = report.failed().expect("the download fails");
    assert_eq!(
        failed.id,
        "storage:template:fastData-shared-iso:ubuntu-99.04-standard_99.04-1_amd64.tar.zst"
    );
    assert!(
        failed.detail.contains("template: no such template"),
        "{}",
        failed.detail
    );
    assert!(
        !root.join("fastData/shared-iso/template/cache").exists()
            || std::fs::read_dir(root.join("fastData/shared-iso/template/cache"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn a_wrong_checksum_fails_with_nothing_left_behind() {
    let root = bare_node();
    let root = root.path();
    let (_srv, keys) = serving(BODY, &sha256(b"what Canonical published"));
    let cfg = fixture_with_image(keys);
    let steps = plan_steps(cfg.path(), root);
    let report = phx_apply::apply(&steps, &apply_opts(root, path())).unwrap();
    let failed = report.failed().expect("the download fails");
    assert_eq!(failed.id, format!("storage:image:{IMAGE}"));
    assert!(
        failed.detail.contains("checksum mismatch"),
        "{}",
        failed.detail
    );
    let dir = root.join("var/lib/vz/template/iso");
    // examples/state's own stand-in image aside.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("noble"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "no image, no temp file: {left:?}");
}

#[test]
fn an_existing_image_with_another_digest_is_an_error_and_untouched() {
    let root = bare_node();
    let root = root.path();
    let srv = Server::start();
    let url = srv.put(&format!("/x/{IMAGE}"), BODY);
    let cfg = fixture_with_image(
        json!({"template_image_url": url, "template_image_sha256": sha256(BODY)}),
    );
    let at = root.join(IMAGE_AT);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, b"an older image").unwrap();
    let steps = plan_steps(cfg.path(), root);
    let report = phx_apply::apply(&steps, &apply_opts(root, path())).unwrap();
    let failed = report.failed().expect("the check fails");
    assert_eq!(failed.id, format!("storage:image:{IMAGE}"));
    for part in [
        &format!("/{IMAGE_AT}"),
        &sha256(BODY),
        &sha256(b"an older image"),
    ] {
        assert!(
            failed.detail.contains(part.as_str()),
            "{part}: {}",
            failed.detail
        );
    }
    assert_eq!(std::fs::read(&at).unwrap(), b"an older image");
    assert!(srv.requests().is_empty());
}

#[test]
fn two_vms_giving_one_image_two_sources_are_refused() {
    let root = bare_node();
    let cfg = copy_config(&upstream_dir());
    let p = cfg.path().join("phoenix_vm_configs.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let mut second = v["vms"][0].clone();
    second["vmid"] = json!(9001);
    second["name"] = json!("another-template");
    second["template_image_url"] = json!(format!("https://mirror.example/{IMAGE}"));
    second["template_image_sha256"] = json!(sha256(BODY));
    v["vms"].as_array_mut().unwrap().push(second);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = phx_storage(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let n = v["vms"].as_array().unwrap().len() - 1;
    assert!(
        err.contains(&format!(
            "vms[{n}].template_image_url: \"https://mirror.example/{IMAGE}\""
        )) && err.contains("vms[0] gives the same image")
            && err.contains("https://cloud-images.ubuntu.com/noble/current/"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_template_on_a_storage_nobody_adds_is_refused_before_anything_runs() {
    let root = bare_node();
    phx_testkit::put_images(&upstream_dir(), root.path());
    let cfg = edited_fixture(|h| {
        let d = &mut h["zfs"]["datasets"][7];
        assert_eq!(d["name"], "shared-iso");
        d.as_object_mut().unwrap().remove("proxmox_storage_type");
    });
    let out = phx_storage(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("lxc_configs.\"900\".template: \"/{TEMPLATE_AT}\": a template on a storage pveam can download to: fastData-shared-iso is neither in storage.cfg nor a dataset with proxmox_storage_type")),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn nothing_is_fetched_for_guests_that_exist_already() {
    let root = bare_node();
    for conf in ["etc/pve/lxc/900.conf", "etc/pve/qemu-server/9000.conf"] {
        let at = root.path().join(conf);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, "template: 1\n").unwrap();
    }
    let steps = plan_steps(&upstream_dir(), root.path());
    let fetching: Vec<_> = steps
        .iter()
        .filter(|s| s.id.starts_with("storage:template") || s.id.starts_with("storage:image"))
        .map(|s| s.id.clone())
        .collect();
    assert!(fetching.is_empty(), "{fetching:?}");
}
