//! The planner's part in `zfs_volumes` of one name (crate::one_volume): which
//! volume a container mounts in place of a new one, the notes saying so,
//! and the volume ID its owner gets.

use super::{Guest, Planner};
use crate::desired::{self, Desired};
use crate::diff::{Final, SetKeys};
use crate::props;
use phx_plan::StepSink;

impl<S: StepSink> Planner<'_, S> {
    /// A volume another container owns, mounted in place of a new one.
    pub(super) fn share(&mut self, d: &mut Desired) -> Vec<(String, u32, String)> {
        if self.one_volume_names.is_empty() {
            return Vec::new();
        }
        let (mounted, unshared) = self.owners.take(d, &self.one_volume_names);
        for (name, owner) in unshared {
            self.steps.notes.push(format!(
                "CT {}: zfs_volumes {name} gets a volume of its own: CT {owner}, which owns the name, has no volume of it to share (a bind mount at its path)",
                d.ctid
            ));
        }
        mounted
    }

    /// Says, for each shared volume this plan mounts, whose it is.
    pub(super) fn one_volume_notes(
        &mut self,
        g: &Guest,
        set: &SetKeys,
        mounted: &[(String, u32, String)],
    ) {
        for (name, owner, volid) in mounted {
            let Some(m) = g.d.mounts.iter().find(
                |m| matches!(&m.source, desired::Source::OfAnother { volid: v, .. } if v == volid),
            ) else {
                continue;
            };
            let planned = g.existing.is_none() || set.iter().any(|(_, v)| v == &m.value());
            if planned {
                self.steps.notes.push(format!(
                    "CT {}: zfs_volumes {name} is CT {owner}'s volume {volid}, mounted at {}: zfs_volumes of one name are one volume, the one the first container made",
                    g.d.ctid, m.path
                ));
            }
        }
    }

    /// The volume ID of each shared volume this container owns, for the
    /// containers after it: as its conf has it, else the name pct gives it
    /// in this plan.
    pub(super) fn record_owned(&mut self, g: &mut Guest, set: &SetKeys, fin: &Final) {
        let Some(alloc) = &mut g.alloc else { return };
        let new: Vec<(String, String)> = set
            .iter()
            .filter(|(k, _)| k.starts_with("mp"))
            .filter_map(|(k, v)| {
                let path = props::parse(v, Some("volume")).get("mp")?.clone();
                g.d.mounts.iter().find_map(|m| match &m.source {
                    desired::Source::Volume { storage, .. } if m.path == path => {
                        Some((k.clone(), storage.clone()))
                    }
                    _ => None,
                })
            })
            .collect();
        alloc.set(&new);
        for m in &g.d.mounts {
            let desired::Source::Volume { name, .. } = &m.source else {
                continue;
            };
            if !self.owners.owns(name, g.d.ctid) {
                continue;
            }
            let Some(n) = fin
                .mounts
                .iter()
                .find(|(_, p)| **p == m.path)
                .map(|(n, _)| *n)
            else {
                continue;
            };
            let key = format!("mp{n}");
            // The conf's volume at that path, wherever it is (one on another
            // storage is only noted, never replaced: the others share it as
            // it is); a bind mount there is no volume to share.
            let have = g
                .existing
                .and_then(|c| c.effective(&key))
                .map(|v| props::parse(v, Some("volume")).get("volume").cloned());
            let volid = match have {
                Some(Some(v)) if !v.starts_with('/') => Some(v),
                Some(_) => None,
                None => alloc.volid(&key),
            };
            if let Some(volid) = volid {
                self.owners.record(name, g.d.ctid, volid);
            }
        }
    }
}
