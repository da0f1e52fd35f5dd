//! Container templates and cloud images the guests are made from, fetched
//! when missing (the list is `phx_common::fetch`'s, which phx-lxc and phx-vm
//! read too, so they accept exactly what is fetched here):
//!
//! - templates with `pveam update` (once, only when one is missing) then
//!   `pveam download STORAGE FILE`, which verifies the template against the
//!   index's SHA-512 (pve-manager PVE/API2/Nodes.pm:1829 apl_download →
//!   pve-common PVE/Tools.pm:1486 download_file_from_url, `hash_required`);
//!   a name the index does not offer fails that step with pveam's message;
//! - cloud images with a `download` step (phx-apply fetches with curl,
//!   checks the digest, then renames into place). An image already there is
//!   verified on every run only when its digest is in the JSON: with a
//!   checksum file that would be a download each run, so it is left as it is.
//!
//! Only for guests still to be made: a container or VM whose conf exists
//! needs neither its template nor its image any more (as phx-lxc and phx-vm
//! ask for them only then), so nothing is downloaded for nobody.
//!
//! The steps come after the storages (`pvesm add`) in the plan, since pveam
//! needs the storage to exist.

use crate::Observed;
use phx_common::config::{Inventory, Problems};
use phx_common::fetch;
use phx_plan::{argv, Action, Checksum, CommandStep, DownloadStep};
use std::collections::BTreeMap;

/// A missing template's storage must exist by the time pveam runs, and two
/// VMs that name one image file must agree on where it comes from and
/// how it is verified: one file is fetched, and which source won must not
/// be a matter of file order.
pub fn check(inv: &Inventory, seen: &Observed, problems: &mut Problems) {
    // pveam downloads only to a storage that exists: one in storage.cfg (a
    // fresh install's `local` when the file is absent) or one this plan adds.
    let mut storages: Vec<String> = match &seen.storages {
        Some(entries) => entries.iter().map(|e| e.id.clone()).collect(),
        None => vec!["local".to_string(), "local-lvm".to_string()],
    };
    storages.extend(
        inv.host
            .zfs_datasets
            .iter()
            .filter(|d| d.storage_type.is_some())
            .map(|d| d.storage_id()),
    );
    for (t, ids) in needed_templates(inv, seen) {
        if storages.contains(&t.storage) || t.path().is_some_and(|p| seen.templates.contains(&p)) {
            continue;
        }
        let c = &inv.lxcs[&ids[0]];
        problems.push(
            &inv.sources.lxc,
            &format!("{}.template", c.path),
            format!("{:?}", c.template.as_deref().unwrap_or_default()),
            format!(
                "a template on a storage pveam can download to: {} is neither in storage.cfg nor a dataset with proxmox_storage_type (give it one, or put the template there first)",
                t.storage
            ),
        );
    }
    let mut first: BTreeMap<&str, (&str, fetch::ImageSource)> = BTreeMap::new();
    for v in inv.vms.iter().filter(|v| fetch::storage_fetches_image(v)) {
        let image = v.template_image.as_deref().expect("fetched");
        let src = fetch::image_source(v).expect("fetched");
        match first.get(image) {
            Some((path, other)) if *other != src => problems.push(
                &inv.sources.vm,
                &format!("{}.template_image_url", v.path),
                format!("{:?}", src.url),
                format!(
                    "the source and checksum {path} gives the same image {image} ({} with its checksum): one file is fetched",
                    other.url
                ),
            ),
            Some(_) => {}
            None => {
                first.insert(image, (&v.path, src));
            }
        }
    }
}

/// The templates of containers still to be made, with those containers.
fn needed_templates(inv: &Inventory, seen: &Observed) -> Vec<(fetch::Template, Vec<u32>)> {
    fetch::templates(inv)
        .into_values()
        .map(|(t, ids)| {
            let new = ids
                .into_iter()
                .filter(|i| !seen.existing_cts.contains(i))
                .collect::<Vec<_>>();
            (t, new)
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
}

pub fn plan(inv: &Inventory, seen: &Observed) -> Vec<(String, Action)> {
    let mut steps = Vec::new();
    let missing: Vec<_> = needed_templates(inv, seen)
        .into_iter()
        .filter(|(t, _)| t.path().is_some_and(|p| !seen.templates.contains(&p)))
        .collect();
    if !missing.is_empty() {
        steps.push((
            "storage:templates:update".to_string(),
            Action::Command(CommandStep {
                show_output: false,
                argv: argv(&["pveam", "update"]),
                unless: None,
                only_if: None,
                desc: format!(
                    "update the container template index for {} missing template(s)",
                    missing.len()
                ),
                notify: vec![],
                timeout_s: None,
            }),
        ));
    }
    for (t, ids) in missing {
        steps.push((
            format!("storage:template:{}:{}", t.storage, t.file),
            Action::Command(CommandStep {
                show_output: false,
                argv: argv(&["pveam", "download", &t.storage, &t.file]),
                unless: None,
                only_if: None,
                desc: format!(
                    "download template {} to storage {} (for {})",
                    t.file,
                    t.storage,
                    guests("CT", &ids)
                ),
                notify: vec![],
                timeout_s: None,
            }),
        ));
    }
    for (image, (target, src, ids)) in fetch::images(inv) {
        let ids: Vec<u32> = ids
            .into_iter()
            .filter(|i| !seen.existing_vms.contains(i))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let path = match seen.images.get(image) {
            None => target,
            // Verified where it is, without the network.
            Some(at) if !matches!(src.checksum, Checksum::ChecksumUrl(_)) => at.clone(),
            Some(_) => continue,
        };
        steps.push((
            format!("storage:image:{image}"),
            Action::Download(DownloadStep {
                desc: format!(
                    "download {} to {path} (for {})",
                    src.url,
                    guests("VM", &ids)
                ),
                path,
                url: src.url,
                checksum: src.checksum,
            }),
        ));
    }
    steps
}

fn guests(noun: &str, ids: &[u32]) -> String {
    ids.iter()
        .map(|i| format!("{noun} {i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
