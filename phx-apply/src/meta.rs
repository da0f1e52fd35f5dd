//! File modes and ownership: parsing modes, keeping an edited file's
//! metadata, repairing drift.

use anyhow::Context;
use phx_plan::FileStep;
use std::path::Path;

/// `"0644"`, `"644"` or `"0o644"`.
pub fn parse_mode(m: &str) -> anyhow::Result<u32> {
    u32::from_str_radix(m.trim_start_matches("0o"), 8)
        .ok()
        .filter(|v| *v <= 0o7777)
        .with_context(|| format!("mode {m:?} is not an octal file mode"))
}

/// A block or lines edit must not change who may read the file: the temp
/// file gets the old file's mode and owner whatever the umask says.
/// Nothing is changed where they already match (pmxcfs refuses chmod/chown).
pub(crate) fn keep_metadata(tmp: &Path, dest: &Path, keep_mode: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(old) = std::fs::metadata(dest) else {
        return Ok(());
    };
    let new = std::fs::metadata(tmp)?;
    let old_mode = old.permissions().mode() & 0o7777;
    if keep_mode && new.permissions().mode() & 0o7777 != old_mode {
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(old_mode))
            .with_context(|| format!("keeping the mode of {}", dest.display()))?;
    }
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        nix::unistd::chown(tmp, Some(old.uid().into()), Some(old.gid().into()))
            .with_context(|| format!("keeping the owner of {}", dest.display()))?;
    }
    Ok(())
}

fn lookup_ids(
    f: &FileStep,
) -> anyhow::Result<(Option<nix::unistd::Uid>, Option<nix::unistd::Gid>)> {
    use nix::unistd::{Group, User};
    let uid = match &f.owner {
        Some(o) => Some(
            User::from_name(o)?
                .with_context(|| format!("owner {o:?} does not exist"))?
                .uid,
        ),
        None => None,
    };
    let gid = match &f.group {
        Some(g) => Some(
            Group::from_name(g)?
                .with_context(|| format!("group {g:?} does not exist"))?
                .gid,
        ),
        None => None,
    };
    Ok((uid, gid))
}

pub(crate) fn set_metadata(path: &Path, mode: Option<u32>, f: &FileStep) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(m) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))
            .with_context(|| format!("chmod {m:o} {}", path.display()))?;
    }
    let (uid, gid) = lookup_ids(f)?;
    if uid.is_some() || gid.is_some() {
        nix::unistd::chown(path, uid, gid).with_context(|| format!("chown {}", path.display()))?;
    }
    Ok(())
}

/// Describes what differs in mode/owner/group, if anything.
pub(crate) fn metadata_drift(
    meta: &std::fs::Metadata,
    mode: Option<u32>,
    f: &FileStep,
) -> anyhow::Result<Option<String>> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut drift = Vec::new();
    if let Some(m) = mode {
        let have = meta.permissions().mode() & 0o7777;
        if have != m {
            drift.push(format!("mode {have:04o} -> {m:04o}"));
        }
    }
    let (uid, gid) = lookup_ids(f)?;
    if uid.is_some_and(|u| u.as_raw() != meta.uid()) {
        drift.push("owner".to_string());
    }
    if gid.is_some_and(|g| g.as_raw() != meta.gid()) {
        drift.push("group".to_string());
    }
    Ok((!drift.is_empty()).then(|| drift.join(", ")))
}
