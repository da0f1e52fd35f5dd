//! The VM keys that say where a missing cloud image comes from
//! (`template_image_url`, `template_image_sha256` | `_sha512` |
//! `_checksum_url`): read into the model, and each misuse refused with its
//! file, JSON path and what was expected.

use phx_common::config::{load, Input, Inventory, Problems};
use phx_plan::Checksum;
use serde_json::{json, Value};
use std::path::PathBuf;

const FILES: [&str; 3] = [
    "phoenix_hypervisor_config.json",
    "phoenix_lxc_configs.json",
    "phoenix_vm_configs.json",
];

fn load_with(vm0: Value) -> Result<Inventory, Problems> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
    let dir = tempfile::tempdir().unwrap();
    for f in FILES {
        let mut d: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join(f)).unwrap()).unwrap();
        if f == FILES[2] {
            for (k, v) in vm0.as_object().unwrap() {
                if v.is_null() {
                    d["vms"][0].as_object_mut().unwrap().remove(k);
                } else {
                    d["vms"][0][k] = v.clone();
                }
            }
        }
        std::fs::write(dir.path().join(f), serde_json::to_vec(&d).unwrap()).unwrap();
    }
    load(&Input::Dir(dir.path().to_path_buf()))
}

fn refused(vm0: Value, path: &str, expected: &str) {
    let Err(p) = load_with(vm0) else {
        panic!("refused")
    };
    assert!(
        p.list.iter().any(|x| x.file.ends_with(FILES[2])
            && x.path == format!("vms[0].{path}")
            && x.expected.contains(expected)),
        "no problem at vms[0].{path} expecting {expected:?}:\n{p}"
    );
}

const URL: &str = "https://example.org/images/debian-12-genericcloud-amd64.qcow2";

#[test]
fn the_keys_are_read() {
    let sha = "A".repeat(64);
    let inv = load_with(json!({"template_image_url": URL, "template_image_sha256": sha})).unwrap();
    assert_eq!(inv.vms[0].template_image_url.as_deref(), Some(URL));
    assert_eq!(
        inv.vms[0].template_image_checksum,
        Some(Checksum::Sha256("A".repeat(64)))
    );
    let sums = "https://example.org/images/SHA512SUMS";
    let inv =
        load_with(json!({"template_image_url": URL, "template_image_checksum_url": sums})).unwrap();
    assert_eq!(
        inv.vms[0].template_image_checksum,
        Some(Checksum::ChecksumUrl(sums.into()))
    );
    let inv =
        load_with(json!({"template_image_url": URL, "template_image_sha512": "0".repeat(128)}))
            .unwrap();
    assert!(matches!(
        inv.vms[0].template_image_checksum,
        Some(Checksum::Sha512(_))
    ));
}

#[test]
fn misuses_are_refused() {
    let sha = "a".repeat(64);
    refused(
        json!({"template_image_url": "ftp://example.org/x.qcow2", "template_image_sha256": sha}),
        "template_image_url",
        "http:// or https://",
    );
    refused(
        json!({"template_image_url": URL}),
        "template_image_url",
        "a checksum",
    );
    refused(
        json!({"template_image_url": URL, "template_image_sha256": "abc"}),
        "template_image_sha256",
        "64 hexadecimal",
    );
    refused(
        json!({"template_image_url": URL, "template_image_sha512": sha}),
        "template_image_sha512",
        "128 hexadecimal",
    );
    refused(
        json!({"template_image_url": URL, "template_image_sha256": sha, "template_image_checksum_url": "https://example.org/S"}),
        "template_image_checksum_url",
        "one checksum key only",
    );
    refused(
        json!({"template_image_url": "https://example.org/", "template_image_checksum_url": "https://example.org/S"}),
        "template_image_url",
        "ending in the file name",
    );
    refused(
        json!({"template_image": null, "template_image_url": URL, "template_image_sha256": sha}),
        "template_image_url",
        "only with template_image",
    );
}
