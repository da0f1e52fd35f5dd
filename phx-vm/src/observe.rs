//! What the machine has: the confs of the VMs in the inventory (read
//! directly, never `qm config`), one `qm list` for running state, and the
//! cloud images templates are made from, and what a cloud-init password
//! needs: the storage config and the snippets Phoenix wrote.

use crate::KIND;
use phx_common::config::Inventory;
use phx_common::guests;
use phx_plan::fsutil::read_optional;
use phx_plan::fsutil::under_root;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::Path;

/// What only phx-vm looks at.
#[derive(Debug, Default, Clone)]
pub struct VmHost {
    /// Cloud images found: the `template_image` as written → its absolute
    /// path on the host and its virtual size in bytes.
    pub images: HashMap<String, (String, u64)>,
    /// `/etc/pve/storage.cfg`, read when there are VMs (their snippets need
    /// the `local` storage to allow snippets); `None`: absent.
    pub storage_cfg: Option<String>,
    /// What each storage may hold (storage.cfg under the state root, the
    /// JSON's datasets over it).
    pub contents: phx_common::guest_storage::Contents,
    /// The Phoenix snippets of VMs with a password: content and mode.
    pub snippets: HashMap<u32, (String, u32)>,
    /// The shared vendor snippet: content and mode.
    pub vendor_snippet: Option<(String, u32)>,
    /// VMs without a password whose Phoenix snippet is still on the host.
    pub stale_snippets: HashSet<u32>,
}

pub type Observed = guests::Observed<VmHost>;

/// Where a `template_image` file name is looked for (the rule phx-storage
/// fetches by, in phx-common).
pub use phx_common::fetch::image_candidates;

/// The virtual size of a disk image: a qcow2 header's size field (bytes
/// 24..32, big-endian, after the magic `QFI\xfb`), else the file's length
/// (a raw image).
pub fn image_size(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; 32];
    let n = f.read(&mut head)?;
    if n == 32 && head[..4] == *b"QFI\xfb" {
        return Ok(u64::from_be_bytes(
            head[24..32].try_into().expect("8 bytes"),
        ));
    }
    Ok(f.metadata()?.len())
}

/// What the VMs look like now. `path` is the PATH `qm` is looked up in.
pub fn observe(
    inv: &Inventory,
    state_root: &Path,
    path: Option<&OsStr>,
) -> anyhow::Result<Observed> {
    let mut o: Observed = guests::observe(KIND, inv.vms.iter().map(|v| v.id), state_root, path)?;
    for v in &inv.vms {
        snippet(&mut o.own, v, state_root)?;
        let Some(image) = crate::spec::settings(v, inv).template_image else {
            continue;
        };
        for cand in image_candidates(&image) {
            let at = under_root(state_root, &cand);
            if at.is_file() {
                let size = image_size(&at)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", at.display()))?;
                o.own.images.insert(image.clone(), (cand, size));
                break;
            }
        }
    }
    o.own.contents = phx_common::guest_storage::Contents::read(&inv.host, state_root)
        .map_err(anyhow::Error::msg)?;
    if !inv.vms.is_empty() {
        let p = under_root(state_root, crate::snippets::STORAGE_CFG);
        o.own.storage_cfg =
            read_optional(&p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?;
        o.own.vendor_snippet =
            read_with_mode(&under_root(state_root, crate::snippets::VENDOR_PATH))?;
    }
    Ok(o)
}

/// VM `v`'s Phoenix snippet: kept to compare when it has a password, noted
/// for removal when it has none.
fn snippet(
    own: &mut VmHost,
    v: &phx_common::config::model::Vm,
    state_root: &Path,
) -> anyhow::Result<()> {
    let path = under_root(state_root, &crate::snippets::snippet_path(v.id));
    if !v.has_password {
        if path.exists() {
            own.stale_snippets.insert(v.id);
        }
        return Ok(());
    }
    if let Some(found) = read_with_mode(&path)? {
        own.snippets.insert(v.id, found);
    }
    Ok(())
}

/// A file's text and permission bits; `None`: absent.
fn read_with_mode(path: &Path) -> anyhow::Result<Option<(String, u32)>> {
    use std::os::unix::fs::PermissionsExt;
    let Some(text) =
        read_optional(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
    else {
        return Ok(None);
    };
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    Ok(Some((text, mode)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qcow2_virtual_size_and_raw_length() {
        let d = tempfile::tempdir().unwrap();
        let q = d.path().join("x.qcow2");
        let mut h = b"QFI\xfb\0\0\0\x03".to_vec();
        h.extend([0u8; 16]);
        h.extend((5u64 << 30).to_be_bytes());
        std::fs::write(&q, &h).unwrap();
        assert_eq!(image_size(&q).unwrap(), 5 << 30);
        let r = d.path().join("x.img");
        std::fs::write(&r, [0u8; 1000]).unwrap();
        assert_eq!(image_size(&r).unwrap(), 1000);
    }
}
