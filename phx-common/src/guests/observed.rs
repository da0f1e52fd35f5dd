//! What a guest tool sees on the machine before it plans: the confs of the
//! guests of the inventory (read directly, never `pct config`/`qm config`)
//! and one `pct list`/`qm list` for which of them run.

use super::Kind;
use crate::guest_conf::{self, GuestConf};
use crate::probe;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::Path;

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
    let mut confs = HashMap::new();
    for id in ids {
        if let Some(conf) = guest_conf::read(state_root, &kind.conf_path(id), kind.dialect)? {
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
