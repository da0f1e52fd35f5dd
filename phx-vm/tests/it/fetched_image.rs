//! A cloud image phx-storage fetches (phx_common::fetch: the JSON's
//! template_image_url, or the Ubuntu default) is accepted missing, with a
//! note naming who fetches it, from where and how it is verified; the
//! template is made from where it will be. An image nobody fetches is still
//! refused (refusals.rs).

use crate::common::*;
use phx_vm::Options;

const IMAGE: &str = "/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img";

#[test]
fn the_upstream_image_is_planned_from_where_phx_storage_puts_it() {
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    let note = "image noble-server-cloudimg-amd64.img (VM 9000) is not on the host yet: phx-storage (`phoenix-cli setup storage`, run before the guests) fetches it to /var/lib/vz/template/iso/noble-server-cloudimg-amd64.img from https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img (the Ubuntu cloud image default, as the original system's vm-manager.sh), verified by https://cloud-images.ubuntu.com/noble/current/SHA256SUMS";
    assert!(
        planned.notes.iter().any(|n| n == note),
        "{:?}",
        planned.notes
    );
    let create = planned
        .plan
        .steps
        .iter()
        .find(|s| s.id == "vm:9000:create")
        .expect("VM 9000 is made");
    let text = serde_json::to_string(create).unwrap();
    assert!(text.contains(&format!("import-from={IMAGE}")), "{text}");
    // Its size is not known yet: clones are not resized from a guess.
    assert!(
        !planned
            .plan
            .steps
            .iter()
            .any(|s| serde_json::to_string(s).unwrap().contains("\"resize\"")),
        "no resize from an unknown size"
    );
}

#[test]
fn an_image_already_there_is_not_noted() {
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    let at = root.path().join(&IMAGE[1..]);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, vec![0u8; 4096]).unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    assert!(
        !planned
            .notes
            .iter()
            .any(|n| n.contains("not on the host yet")),
        "{:?}",
        planned.notes
    );
}

#[test]
fn image_keys_on_a_vm_not_made_from_an_image_are_warned_about() {
    let mut inv = load_dir(&upstream_dir());
    let clone = inv.vms.iter_mut().find(|v| v.id == 1001).unwrap();
    clone.template_image_url = Some("https://example.org/x.img".into());
    clone.template_image_checksum = Some(phx_plan::Checksum::Sha256("0".repeat(64)));
    let root = tempfile::tempdir().unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    assert!(
        planned.notes.iter().any(|n| n.starts_with(
            "VM 1001: template_image_url and its checksum are ignored: only a template made from its image"
        )),
        "{:?}",
        planned.notes
    );
}
