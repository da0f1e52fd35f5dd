//! What phx-vm refuses before planning (exit 2, every problem at once): a
//! template to make without an image or whose image is not on the host, a
//! VM with neither a clone source nor an image, a static address without a
//! gateway (cloud-init's ipconfig0 needs one), a password the executor
//! could not read (the VM file came from a stream), and no `local`
//! directory storage for Phoenix's snippets (every VM names its vendor data).

use crate::observe::{image_candidates, Observed};
use crate::spec;
use phx_common::config::model::GuestIp;
use phx_common::config::{Inventory, Problems};
use std::path::Path;

/// `secret_file` is [`secret_file`]'s answer, which the planner uses too.
pub fn check(
    inv: &Inventory,
    seen: &Observed,
    state_root: &Path,
    secret_file: Result<&str, &str>,
) -> Problems {
    let mut p = Problems::default();
    let file = &inv.sources.vm;
    if let Some(v) = inv.vms.iter().find(|v| v.has_password) {
        if let Err(why) = secret_file {
            p.push(
                file,
                &format!("{}.user_config.password", v.path),
                "<secret>",
                why,
            );
        }
    }
    // Every VM names Phoenix's vendor snippet (the guest agent); a password
    // its user snippet too: the problem names the password when there is one.
    let first = inv.vms.iter().find(|v| v.has_password).or(inv.vms.first());
    if let Some(v) = first {
        if let Err(why) = crate::snippets::local_content(seen.own.storage_cfg.as_deref()) {
            let (at, value) = if v.has_password {
                (
                    format!("{}.user_config.password", v.path),
                    "<secret>".to_string(),
                )
            } else {
                (
                    v.path.clone(),
                    format!(
                        "VM {} (cicustom vendor={})",
                        v.id,
                        crate::snippets::vendor_volume()
                    ),
                )
            };
            p.push(crate::snippets::STORAGE_CFG, &at, value, why);
        }
    }
    for v in &inv.vms {
        let s = spec::settings(v, inv);
        if let Some(n) = &v.net {
            if matches!(n.ip, GuestIp::Static(_)) && n.gw.is_none() {
                p.push(
                    file,
                    &format!("{}.network_config.gw", v.path),
                    "(missing)",
                    "the gateway of the static address (cloud-init's ipconfig0 ip=…,gw=…)",
                );
            }
        }
        // A VM to make gets its disks on its storage (`qm create`'s import,
        // `qm clone --storage`); qm refuses one without images content
        // (qemu-server src/PVE/API2/Qemu.pm:191 and :333).
        if !seen.confs.contains_key(&v.id) {
            if let Err(why) = seen
                .own
                .contents
                .allows(&s.storage_pool, phx_common::guest_storage::VM_CONTENT)
            {
                let at = match &v.storage_pool {
                    Some(_) => format!("{}.storage_pool", v.path),
                    None => format!(
                        "{}.storage_pool (default, from proxmox_storage_ids)",
                        v.path
                    ),
                };
                p.push(
                    file,
                    &at,
                    format!("{:?}", s.storage_pool),
                    format!("for VM {}'s disks, {why}", v.id),
                );
            }
        }
        // An existing VM needs neither an image nor a source any more.
        if seen.confs.contains_key(&v.id) || v.clone_from.is_some() {
            continue;
        }
        if !v.is_template {
            p.push(
                file,
                &format!("{}.clone_from_vmid", v.path),
                "(missing)",
                "a VM to clone from (phx-vm makes VMs from a template: is_template with template_image, or clone_from_vmid)",
            );
            continue;
        }
        match &s.template_image {
            None => p.push(
                file,
                &format!("{}.template_image", v.path),
                "(missing)",
                "the cloud image the template is made from (a file in /var/lib/vz/template/iso or /var/lib/vz/import, or an absolute path)",
            ),
            // phoenix-cli runs phx-storage before the guests: it fetches
            // this one (noted by [`pending_images`]).
            Some(_) if phx_common::fetch::storage_fetches_image(v) => {}
            Some(image) if !seen.own.images.contains_key(image) => {
                let looked = image_candidates(image)
                    .iter()
                    .map(|c| {
                        if state_root == Path::new("/") {
                            c.clone()
                        } else {
                            format!("{}{c}", state_root.display())
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" and ");
                p.push(
                    file,
                    &format!("{}.template_image", v.path),
                    format!("{image:?}"),
                    format!("an image on the host: it is missing, looked for at {looked} (download it there first, or give template_image_url with template_image_sha256, template_image_sha512 or template_image_checksum_url so {} fetches it)", phx_common::fetch::FETCHER),
                );
            }
            Some(_) => {}
        }
    }
    p
}

/// The VM file's absolute path as phx-apply reads it, or why there is none.
/// Under a state root (`--root`) that is the path inside the root: phx-apply
/// reads every path a plan names inside it, the secret's file too.
pub fn secret_file(inv: &Inventory, state_root: &Path) -> Result<String, &'static str> {
    let from_stream = "the VM file read from a file (--config-dir or FILE), not a stream: a plan names where the password is, never the password";
    let path = std::fs::canonicalize(&inv.sources.vm)
        .ok()
        .filter(|p| p.is_file())
        .ok_or(from_stream)?;
    if state_root == Path::new("/") {
        return Ok(path.display().to_string());
    }
    let outside = "under --root, the VM file inside the root: phx-apply reads the password inside it, as every path a plan names";
    let root = std::fs::canonicalize(state_root).map_err(|_| outside)?;
    match path.strip_prefix(&root) {
        Ok(inside) => Ok(format!("/{}", inside.display())),
        Err(_) => Err(outside),
    }
}

/// A note for each missing cloud image of a VM still to be made that
/// phx-storage fetches, naming it, where from and how it is verified.
pub fn pending_images(inv: &Inventory, seen: &Observed) -> Vec<String> {
    use phx_plan::Checksum;
    phx_common::fetch::images(inv)
        .into_iter()
        .filter_map(|(image, (target, src, ids))| {
            let new: Vec<String> = ids
                .iter()
                .filter(|i| !seen.confs.contains_key(i))
                .map(|i| format!("VM {i}"))
                .collect();
            if new.is_empty() || seen.own.images.contains_key(image) {
                return None;
            }
            let how = match &src.checksum {
                Checksum::Sha256(_) => "its template_image_sha256".to_string(),
                Checksum::Sha512(_) => "its template_image_sha512".to_string(),
                Checksum::ChecksumUrl(u) => u.clone(),
                // Never for an image: phx_common::fetch always gives one.
                Checksum::Unverified => "nothing".to_string(),
            };
            let default = if src.defaulted {
                " (the Ubuntu cloud image default, as the original system's vm-manager.sh)"
            } else {
                ""
            };
            Some(format!(
                "image {image} ({}) is not on the host yet: {} fetches it to {target} from {}{default}, verified by {how}",
                new.join(", "),
                phx_common::fetch::FETCHER,
                src.url
            ))
        })
        .collect()
}
