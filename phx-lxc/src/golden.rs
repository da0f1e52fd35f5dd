//! Golden templates. A container with `template_snapshot_name` is the image
//! its clones start from, so what its features install goes in before the
//! snapshot, as the original did: it is started, its recipes run inside it
//! (phx_recipes, the steps phx-features plans in running containers), it is
//! shut down, and the snapshot is taken with a description that records
//! what went in. Templates end stopped. Once the snapshot exists nothing is
//! redone; an entry that now wants something else is said, with the clones
//! that carry the old image — a rebuild replaces the image clones were
//! made from, so it is the operator's call (`pct delsnapshot`, then LetsGo).

use phx_common::config::{Inventory, Lxc, Problems};
use phx_common::fast_hash::FastMap;
use phx_recipes::Work;

/// What starts a snapshot description Phoenix wrote.
pub const RECORD: &str = "phoenix-template";

/// The templates' work, by container.
pub(crate) struct Golden<'a> {
    work: FastMap<u32, Work<'a>>,
    /// Features a template lists that nothing installs yet, with why.
    missing: FastMap<u32, Vec<(&'a str, &'static str)>>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

impl<'a> Golden<'a> {
    /// The templates' selection (phx_recipes::select over them): their
    /// problems refuse the plan, as phx-features' would.
    /// `host_file`: whether a host path is a file (the state root's), for
    /// the NVIDIA runfile the host keeps (phx_recipes::nvidia::on_host).
    pub fn of(inv: &'a Inventory, host_file: impl Fn(&str) -> bool) -> Result<Self, Problems> {
        let mut sel = phx_recipes::select(inv, phx_recipes::golden)?;
        phx_recipes::nvidia::on_host(&mut sel, host_file);
        let mut missing: FastMap<u32, Vec<_>> = FastMap::default();
        for (f, (why, ids)) in &sel.not_yet {
            for id in ids {
                missing.entry(*id).or_default().push((*f, *why));
            }
        }
        Ok(Golden {
            work: sel.work.into_iter().map(|w| (w.s.id(), w)).collect(),
            missing,
            warnings: sel.warnings,
            notes: sel.notes,
        })
    }

    pub fn work(&self, ctid: u32) -> Option<&Work<'a>> {
        self.work.get(&ctid)
    }

    /// The note for a snapshot made without features nothing installs yet.
    pub fn without(&self, ctid: u32, snap: &str) -> Option<String> {
        let missing = self.missing.get(&ctid)?;
        let what: Vec<String> = missing
            .iter()
            .map(|(f, why)| format!("{f} ({why})"))
            .collect();
        Some(format!(
            "CT {ctid}: snapshot {snap:?} is made without {}: not yet handled",
            what.join(", ")
        ))
    }
}

/// The record template `ctid`'s snapshot carries once built, when its
/// entry can be planned.
pub fn wanted(inv: &Inventory, ctid: u32) -> Option<String> {
    let sel = phx_recipes::select(inv, |s| s.id() == ctid && phx_recipes::golden(s)).ok()?;
    Some(record(sel.work.first()))
}

/// The snapshot description: the features installed and the application
/// script run (name and the start of its SHA-256), in one line.
pub fn record(w: Option<&Work>) -> String {
    let features = w.map(|w| w.names().join(",")).unwrap_or_default();
    let script = w
        .and_then(|w| w.script.as_ref())
        .map(|s| format!(" script={}@{}", s.name, &s.sha256[..12]))
        .unwrap_or_default();
    format!("{RECORD} features={features}{script}")
}

/// Every container made from `id`'s image, clones of clones too, by ID.
pub fn clones_of(inv: &Inventory, id: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![id];
    while let Some(src) = todo.pop() {
        for c in inv.lxcs.values().filter(|c| c.clone_from == Some(src)) {
            if !out.contains(&c.id) {
                out.push(c.id);
                todo.push(c.id);
            }
        }
    }
    out.sort_unstable();
    out
}

/// The note for a template whose snapshot exists: none when its record is
/// what the entry wants now.
pub fn stale(
    inv: &Inventory,
    c: &Lxc,
    snap: &str,
    found: Option<&str>,
    want: &str,
) -> Option<String> {
    let found = found
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(RECORD));
    if found == Some(want) {
        return None;
    }
    let clones: Vec<String> = clones_of(inv, c.id)
        .iter()
        .map(|i| format!("CT {i}"))
        .collect();
    let carriers = if clones.is_empty() {
        "no clone is made from it yet".to_string()
    } else {
        format!("{} carry that image", clones.join(", "))
    };
    let was = match found {
        Some(f) => format!("was made with {:?}", f.trim_start_matches(RECORD).trim()),
        None => "has no record of what went into it (not made by Phoenix)".to_string(),
    };
    Some(format!(
        "CT {}: snapshot {snap:?} {was}, its entry now wants {:?}; {carriers}. Not rebuilt: to rebuild, `pct delsnapshot {} {snap}` and run LetsGo again (existing clones keep their image)",
        c.id,
        want.trim_start_matches(RECORD).trim(),
        c.id
    ))
}
