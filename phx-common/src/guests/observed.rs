//! What a guest tool sees on the machine before it plans: the confs of the
//! guests of the inventory (read directly, never `pct config`/`qm config`)
//! and one `pct list`/`qm list` for which of them run.

use super::Kind;
use crate::guest_conf::{self, GuestConf};
use crate::probe;
use phx_plan::fsutil::under_root;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::Path;

/// The file names in the conf directory, read once: looking for each
/// guest's conf by name cost a failed open per guest still to be made
/// (10,000 of them in a new estate). No directory: no confs.
fn conf_names(state_root: &Path, kind: Kind) -> anyhow::Result<HashSet<OsString>> {
    let dir = under_root(state_root, kind.conf_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => anyhow::bail!("listing {}: {e}", dir.display()),
    };
    entries
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| anyhow::anyhow!("listing {}: {e}", dir.display()))
}

#[derive(Debug, Default, Clone)]
pub struct Observed<Own> {
    /// Guests that exist, by ID (only those in the inventory are read).
    pub confs: HashMap<u32, GuestConf>,
    pub running: HashSet<u32>,
    /// `pct list`/`qm list` calls made while observing.
    pub calls: usize,
    /// Things the operator should know (e.g. the program missing offline).
    pub notes: Vec<String>,
    /// What only one of the tools looks at.
    pub own: Own,
}

/// The confs of guests `ids` under `state_root`, and which guests run.
/// `path` is the PATH the program is looked up in (`None`: the process's).
pub fn observe<Own: Default>(
    kind: Kind,
    ids: impl IntoIterator<Item = u32>,
    state_root: &Path,
    path: Option<&OsStr>,
) -> anyhow::Result<Observed<Own>> {
    let present = conf_names(state_root, kind)?;
    let mut confs = HashMap::new();
    for id in ids {
        let path = kind.conf_path(id);
        let name = path.rsplit('/').next().unwrap_or_default();
        if !present.contains(OsStr::new(name)) {
            continue;
        }
        if let Some(conf) = guest_conf::read(state_root, &path, kind.dialect)? {
            confs.insert(id, conf);
        }
    }
    let running = probe::running(
        kind.program,
        kind.guest,
        state_root,
        path,
        kind.status_column,
    )?;
    Ok(Observed {
        confs,
        running: running.ids,
        calls: running.calls,
        notes: running.notes,
        own: Own::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guests::CT;

    fn seen(root: &Path, ids: &[u32]) -> Observed<()> {
        // An empty PATH: no pct, planned offline.
        let no_pct = tempfile::tempdir().unwrap();
        observe(
            CT,
            ids.iter().copied(),
            root,
            Some(no_pct.path().as_os_str()),
        )
        .unwrap()
    }

    #[test]
    fn only_the_confs_of_the_inventorys_guests_that_exist_are_read() {
        let root = tempfile::tempdir().unwrap();
        assert!(
            seen(root.path(), &[101]).confs.is_empty(),
            "no conf directory"
        );
        let dir = root.path().join("etc/pve/lxc");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("101.conf"), "hostname: web\n").unwrap();
        std::fs::write(dir.join("103.conf"), "hostname: other\n").unwrap();
        let s = seen(root.path(), &[101, 102]);
        assert_eq!(s.confs.len(), 1);
        assert_eq!(s.confs[&101].keys["hostname"], "web");
    }
}
