//! The planner's part in golden templates (crate::golden): the image built
//! and the snapshot taken right after the template's own steps, so the
//! clones planned after it start from the finished image.

use super::{pct, Guest, Planner};
use crate::golden;
use phx_plan::StepSink;

impl<S: StepSink> Planner<'_, S> {
    /// A template without its snapshot: started (when not running), its
    /// recipes inside it, shut down, the snapshot taken with the record of
    /// what went in. One with its snapshot: nothing, or a note when the
    /// record is not what its entry wants now.
    pub(super) fn bake(&mut self, g: &mut Guest) {
        let inv = self.inv;
        let c = &inv.lxcs[&g.d.ctid];
        let Some(snap) = c.template_snapshot_name.as_deref() else {
            return;
        };
        let work = self.golden.work(c.id);
        let want = golden::record(work);
        if let Some(conf) = g.existing.filter(|conf| conf.snapshots.contains(snap)) {
            let found = conf.snapshot_desc.get(snap).map(String::as_str);
            if let Some(note) = golden::stale(inv, c, snap, found, &want) {
                self.steps.notes.push(note);
            }
            return;
        }
        let id = c.id.to_string();
        if let Some(w) = work {
            if !g.running {
                self.steps.command(
                    format!("lxc:{id}:template-start"),
                    pct(&["start", &id]),
                    None,
                    format!(
                        "{}: start to install its features before the snapshot",
                        g.tag
                    ),
                );
            }
            phx_recipes::plan(&mut self.steps.plan, "template", inv, w);
            // A clean shutdown: the image holds no half-written state.
            self.steps.command(
                format!("lxc:{id}:template-shutdown"),
                pct(&["shutdown", &id]),
                None,
                format!(
                    "{}: shut down before the snapshot (templates end stopped)",
                    g.tag
                ),
            );
            let mut what = w.names();
            if w.script.is_some() {
                what.push("application script");
            }
            g.actions.push(format!("install {}", what.join(", ")));
        }
        self.steps.command(
            format!("lxc:{id}:snapshot:{snap}"),
            pct(&["snapshot", &id, snap, "--description", &want]),
            Some(pct(&["config", &id, "--snapshot", snap])),
            format!("{}: snapshot {snap} (clones start from it)", g.tag),
        );
        g.actions.push(format!("snapshot {snap}"));
        if let Some(note) = self.golden.without(c.id, snap) {
            self.steps.notes.push(note);
        }
    }
}

/// The raw lines of snapshot `snap` of container `src` as it exists now.
pub(super) fn seen_snapshot_raw(
    seen: &crate::observe::Observed,
    src: u32,
    snap: &str,
) -> Option<Vec<String>> {
    let conf = seen.confs.get(&src)?;
    conf.snapshots
        .contains(snap)
        .then(|| conf.snapshot_raw.get(snap).cloned().unwrap_or_default())
}
