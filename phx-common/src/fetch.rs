//! Which container templates and cloud images phx-storage fetches. phx-storage
//! plans the fetches from this, and phx-lxc and phx-vm accept a template or
//! image missing on the host only when this says phx-storage fetches it, so
//! the tools can never disagree (tools never depend on each other; as
//! [`crate::bind_sources`] does for bind-mount sources).
//!
//! - A container template (`template`: a file under a storage's
//!   `template/cache`, or `STORAGE:vztmpl/FILE`) resolves to a storage and a
//!   file name here — the one rule phx-lxc turns into a volume ID — and is
//!   fetched with `pveam download STORAGE FILE` when the storage's
//!   template directory is known (`local`, or a dataset with `vztmpl`
//!   content) and the file is not in it.
//! - A VM's cloud image (`template_image`) is fetched into the `local`
//!   storage's `template/iso` directory (or to its absolute path) from
//!   `template_image_url`, verified by `template_image_sha256`,
//!   `template_image_sha512` or `template_image_checksum_url`; an Ubuntu
//!   cloud image name without a URL gets the original system's source
//!   (vm-manager.sh `create_vm_from_image`:
//!   `https://cloud-images.ubuntu.com/<release>/current/<name>`) and that
//!   directory's `SHA256SUMS`.
//!
//! The lists name every guest made from a template or image; phx-storage
//! fetches for those whose conf does not exist yet, which are the only ones
//! phx-lxc and phx-vm ask the file of.

use crate::config::model::{Host, Lxc, Vm};
use crate::config::Inventory;
use phx_plan::Checksum;
use std::collections::BTreeMap;

/// Who fetches what [`templates`] and [`images`] list, for messages.
pub const FETCHER: &str = "phx-storage (`phoenix-cli setup storage`, run before the guests)";

/// Where the `local` storage keeps container templates.
pub const LOCAL_TEMPLATE_DIR: &str = "/var/lib/vz/template/cache";
/// Where a cloud image named by file name is looked for first and fetched
/// to: the `local` storage's ISO directory. Proxmox lists `.img` files there
/// as `iso` content, which a fresh install's `local` allows; its `import`
/// directory (PVE 8.2+) holds `.qcow2`/`.raw`/`.vmdk`/`.ova` only and needs
/// `import` content the fresh `local` lacks.
pub const ISO_DIR: &str = "/var/lib/vz/template/iso";
/// The `local` storage's import directory, also looked in.
pub const IMPORT_DIR: &str = "/var/lib/vz/import";

/// A template resolved: the storage it is on, its file name, and the
/// storage's template directory when the JSON tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub storage: String,
    pub file: String,
    /// `<storage path>/template/cache`, without a trailing slash.
    pub dir: Option<String>,
}

impl Template {
    /// `STORAGE:vztmpl/FILE`, what `pct create` takes.
    pub fn volid(&self) -> String {
        format!("{}:vztmpl/{}", self.storage, self.file)
    }
    /// The template's file on the host, when its directory is known.
    pub fn path(&self) -> Option<String> {
        self.dir.as_ref().map(|d| format!("{d}/{}", self.file))
    }
}

/// The template directories the JSON tells: `local`'s, and each dataset's
/// with `vztmpl` content (`<its mount>/template/cache`).
pub fn template_dirs(host: &Host) -> Vec<(String, String)> {
    let mut dirs = vec![("local".to_string(), LOCAL_TEMPLATE_DIR.to_string())];
    for d in &host.zfs_datasets {
        if d.content.iter().any(|c| c == "vztmpl") {
            dirs.push((
                d.storage_id(),
                format!("{}/template/cache", d.mount_dir().trim_end_matches('/')),
            ));
        }
    }
    dirs
}

/// `/fastData/shared-iso/template/cache/x.tar.zst` → storage
/// `fastData-shared-iso`, file `x.tar.zst`; `local:vztmpl/x.tar.zst` stays
/// on `local`. `known` says whether a storage ID is configured. `Err` says
/// what was expected.
pub fn resolve_template(
    host: &Host,
    template: &str,
    known: impl Fn(&str) -> bool,
    known_list: impl Fn() -> String,
) -> Result<Template, String> {
    let dirs = template_dirs(host);
    if template.starts_with('/') {
        for (id, dir) in &dirs {
            if let Some(file) = template
                .strip_prefix(dir.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                if !file.is_empty() && !file.contains('/') {
                    return Ok(Template {
                        storage: id.clone(),
                        file: file.to_string(),
                        dir: Some(dir.clone()),
                    });
                }
            }
        }
        let listed: Vec<String> = dirs.iter().map(|(_, d)| format!("{d}/")).collect();
        return Err(format!(
            "a template file directly in the template directory of a storage with vztmpl content ({}), or STORAGE:vztmpl/FILE",
            listed.join(", ")
        ));
    }
    match template.split_once(':') {
        Some((id, rest)) if rest.starts_with("vztmpl/") && rest.len() > 7 => {
            if known(id) {
                Ok(Template {
                    storage: id.to_string(),
                    file: rest[7..].to_string(),
                    dir: dirs.into_iter().find(|(d, _)| d == id).map(|(_, dir)| dir),
                })
            } else {
                Err(format!(
                    "a template on a configured storage; {id:?} is not one ({})",
                    known_list()
                ))
            }
        }
        _ => Err("a template path (/POOL/DATASET/template/cache/FILE) or volume ID (STORAGE:vztmpl/FILE)".to_string()),
    }
}

/// The template a container is still made from (not a clone), resolved
/// where its storage's directory is known: what phx-storage fetches when the
/// file is missing. Storages other than `local` and the JSON's datasets are
/// the operator's (their path is not in the JSON): not fetched.
pub fn fetched_template(host: &Host, c: &Lxc) -> Option<Template> {
    if c.clone_from.is_some() {
        return None;
    }
    let t = c.template.as_deref()?;
    resolve_template(host, t, |_| true, String::new)
        .ok()
        .filter(|t| t.dir.is_some())
}

/// Every template phx-storage fetches when missing → the containers made
/// from it, in container order.
pub fn templates(inv: &Inventory) -> BTreeMap<(String, String), (Template, Vec<u32>)> {
    let mut out: BTreeMap<(String, String), (Template, Vec<u32>)> = BTreeMap::new();
    for (id, c) in &inv.lxcs {
        if let Some(t) = fetched_template(&inv.host, c) {
            out.entry((t.storage.clone(), t.file.clone()))
                .or_insert_with(|| (t, Vec::new()))
                .1
                .push(*id);
        }
    }
    out
}

/// Where a `template_image` is looked for: the `local` storage's ISO
/// directory and its import directory; an absolute path is only itself.
pub fn image_candidates(image: &str) -> Vec<String> {
    if image.starts_with('/') {
        vec![image.to_string()]
    } else {
        vec![
            format!("{ISO_DIR}/{image}"),
            format!("{IMPORT_DIR}/{image}"),
        ]
    }
}

/// Where a fetched image goes: the first place it is looked for.
pub fn image_target(image: &str) -> String {
    image_candidates(image).swap_remove(0)
}

/// Where an image comes from and how it is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSource {
    pub url: String,
    pub checksum: Checksum,
    /// The URL (and checksum file) are the Ubuntu default, not the JSON's.
    pub defaulted: bool,
}

/// The Ubuntu cloud image default for a file name the way Canonical names
/// them (`<release>-server-cloudimg-<arch>.img`, e.g.
/// `noble-server-cloudimg-amd64.img`): the image and the `SHA256SUMS` of
/// `https://cloud-images.ubuntu.com/<release>/current/`, where the original
/// system downloads it from (vm-manager.sh, `create_vm_from_image`; its
/// release, `vm_defaults.ubuntu_release`, is the name's first part).
pub fn ubuntu_default(image: &str) -> Option<(String, String)> {
    let (release, rest) = image.split_once("-server-cloudimg-")?;
    let arch = rest.strip_suffix(".img")?;
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if !word(release) || !word(arch) || !release.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let dir = format!("https://cloud-images.ubuntu.com/{release}/current");
    Some((format!("{dir}/{image}"), format!("{dir}/SHA256SUMS")))
}

/// Where VM `v`'s image comes from: its `template_image_url` with its
/// checksum key, else the Ubuntu default for a bare Ubuntu image name (with
/// the JSON's checksum key when it gives one); `None`: nobody fetches it.
pub fn image_source(v: &Vm) -> Option<ImageSource> {
    let image = v.template_image.as_deref()?;
    match (&v.template_image_url, &v.template_image_checksum) {
        (Some(url), Some(sum)) => Some(ImageSource {
            url: url.clone(),
            checksum: sum.clone(),
            defaulted: false,
        }),
        // The loader refuses a URL without a checksum.
        (Some(_), None) => None,
        (None, sum) if !image.starts_with('/') => {
            let (url, sums) = ubuntu_default(image)?;
            Some(ImageSource {
                url,
                checksum: sum.clone().unwrap_or(Checksum::ChecksumUrl(sums)),
                defaulted: true,
            })
        }
        (None, _) => None,
    }
}

/// A VM made from a cloud image: a template that is no clone.
fn made_from_image(v: &Vm) -> bool {
    v.is_template && v.clone_from.is_none() && v.template_image.is_some()
}

/// The cloud images phx-storage fetches when missing: image as written →
/// (where it goes, its source, the VMs made from it).
pub fn images(inv: &Inventory) -> BTreeMap<&str, (String, ImageSource, Vec<u32>)> {
    let mut out: BTreeMap<&str, (String, ImageSource, Vec<u32>)> = BTreeMap::new();
    for v in inv.vms.iter().filter(|v| made_from_image(v)) {
        let image = v.template_image.as_deref().expect("made from an image");
        if let Some(src) = image_source(v) {
            out.entry(image)
                .or_insert_with(|| (image_target(image), src, Vec::new()))
                .2
                .push(v.id);
        }
    }
    out
}

/// Whether phx-storage fetches VM `v`'s image when it is missing.
pub fn storage_fetches_image(v: &Vm) -> bool {
    made_from_image(v) && image_source(v).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, Input};

    fn upstream() -> Inventory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/phoenix-upstream");
        load(&Input::Dir(dir)).unwrap()
    }

    #[test]
    fn ubuntu_names_get_the_original_s_source() {
        assert_eq!(
            ubuntu_default("noble-server-cloudimg-amd64.img"),
            Some((
                "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
                    .to_string(),
                "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS".to_string()
            ))
        );
        assert_eq!(ubuntu_default("debian-12-genericcloud-amd64.qcow2"), None);
        assert_eq!(ubuntu_default("noble-server-cloudimg-amd64.qcow2"), None);
        assert_eq!(ubuntu_default("-server-cloudimg-amd64.img"), None);
    }

    #[test]
    fn the_upstream_fixture_s_template_and_image_are_fetched() {
        let inv = upstream();
        let t = templates(&inv);
        let ((storage, file), (tmpl, ids)) = t.iter().next().unwrap();
        assert_eq!(storage, "fastData-shared-iso");
        assert_eq!(file, "ubuntu-24.04-standard_24.04-2_amd64.tar.zst");
        assert_eq!(
            tmpl.path().unwrap(),
            "/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
        );
        assert_eq!(ids, &vec![900]);
        assert_eq!(t.len(), 1, "clones fetch nothing");
        let i = images(&inv);
        let (target, src, ids) = &i["noble-server-cloudimg-amd64.img"];
        assert_eq!(
            target,
            "/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img"
        );
        assert!(src.defaulted);
        assert_eq!(
            src.checksum,
            Checksum::ChecksumUrl(
                "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS".into()
            )
        );
        assert_eq!(ids, &vec![9000]);
    }

    #[test]
    fn templates_resolve_through_vztmpl_storages_only() {
        let inv = upstream();
        let r = |t: &str| resolve_template(&inv.host, t, |id| id != "nosuch", || "…".into());
        assert_eq!(
            r("/var/lib/vz/template/cache/d.tar.zst").unwrap().volid(),
            "local:vztmpl/d.tar.zst"
        );
        let local = r("local:vztmpl/d.tar.zst").unwrap();
        assert_eq!(
            local.path().unwrap(),
            "/var/lib/vz/template/cache/d.tar.zst"
        );
        // A configured storage whose directory the JSON does not tell.
        assert_eq!(r("quickOS-lxc-disks:vztmpl/d.tar.zst").unwrap().dir, None);
        assert!(r("nosuch:vztmpl/d.tar.zst")
            .unwrap_err()
            .contains("\"nosuch\" is not one"));
        assert!(r("/quickOS/lxc-disks/template/cache/d.tar.zst").is_err());
        assert!(r("/fastData/shared-iso/d.tar.zst").is_err());
        assert!(r("ubuntu.tar.zst").is_err());
    }
}
