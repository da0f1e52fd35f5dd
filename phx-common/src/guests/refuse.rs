//! What a run with `--guest` refuses before it plans anything: an action
//! pct or qm would refuse on a named guest as it is now.

use super::{Action, Kind, Selection};
use crate::guest_conf::GuestConf;

/// `Err` when `sel` cannot act on a named guest of this tool (`mine`) as
/// it is (`conf`: its conf as observed, `None` when it does not exist);
/// checked before any step is written, so nothing is planned:
/// - start or restart of a guest that does not exist (only a converge
///   makes it);
/// - delete of a protected or locked guest, which pct and qm refuse to
///   destroy (pve-container src/PVE/API2/LXC.pm:859-860 check_protection,
///   check_lock; qemu-server src/PVE/API2/Qemu.pm:2829, QemuServer.pm:1848)
///   — refused before its shutdown, not after it.
pub fn refuse_named<'a>(
    sel: &Selection,
    kind: Kind,
    mine: impl Fn(u32) -> bool,
    conf: impl Fn(u32) -> Option<&'a GuestConf>,
    named: &[u32],
) -> Result<(), String> {
    let named = || named.iter().copied().filter(|&id| mine(id));
    match sel.action() {
        Action::Start | Action::Restart => {
            let missing: Vec<String> = named()
                .filter(|&id| conf(id).is_none())
                .map(|id| id.to_string())
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            Err(format!(
                "--action {}: {} {} does not exist; `--guest {} --action converge` (phoenix-cli converge) creates it",
                sel.action().name(),
                kind.noun,
                missing.join(", "),
                missing[0],
            ))
        }
        Action::Delete => {
            let why: Vec<String> = named()
                .filter_map(|id| Some((id, conf(id)?)))
                .filter_map(|(id, c)| undeletable(kind, id, c))
                .collect();
            if why.is_empty() {
                return Ok(());
            }
            Err(format!(
                "--action delete refused: {}; nothing was planned",
                why.join("; ")
            ))
        }
        Action::Converge | Action::Stop => Ok(()),
    }
}

/// Why `<program> destroy` would refuse guest `id`, in words that say how
/// to lift it; `None` when it would not.
fn undeletable(kind: Kind, id: u32, conf: &GuestConf) -> Option<String> {
    let noun = kind.noun;
    let program = kind.program;
    let mut why = Vec::new();
    // Perl truth, as check_protection reads it: `protection: 0` is off.
    if conf
        .keys
        .get("protection")
        .is_some_and(|v| !v.is_empty() && v != "0")
    {
        why.push(format!(
            "{noun} {id} is protected (`protection: 1` in {}; `{program} set {id} --protection 0` lifts it)",
            kind.conf_path(id)
        ));
    }
    if let Some(lock) = conf.keys.get("lock").filter(|l| !l.is_empty()) {
        why.push(format!(
            "{noun} {id} is locked ({lock}: a backup, migration, snapshot or clone holds it; wait for it to end, or `{program} unlock {id}` when it is stale)"
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast_hash::FastMap;
    use crate::guests::VM;

    /// A delete of a protected or locked guest is refused before anything
    /// is planned, naming each guest and why; `protection: 0` is off, and a
    /// stop of the same guests is not refused (pct/qm shut them down).
    #[test]
    fn a_delete_of_a_protected_or_locked_guest_is_refused() {
        use crate::guest_conf::{parse, QM};
        let confs: FastMap<u32, GuestConf> = [
            (100, parse("protection: 1\nmemory: 512\n", QM)),
            (101, parse("lock: backup\n", QM)),
            (102, parse("protection: 0\n", QM)),
        ]
        .into_iter()
        .collect();
        let check = |named: &[u32], action| {
            let sel = Selection::named_for_test(named, action);
            refuse_named(&sel, VM, |_| true, |id| confs.get(&id), named)
        };
        let err = check(&[100, 101, 102], Action::Delete).unwrap_err();
        assert!(err.contains("VM 100 is protected (`protection: 1` in /etc/pve/qemu-server/100.conf; `qm set 100 --protection 0` lifts it)"), "{err}");
        assert!(err.contains("VM 101 is locked (backup:"), "{err}");
        assert!(!err.contains("102"), "{err}");
        assert!(check(&[102], Action::Delete).is_ok());
        assert!(check(&[100, 101], Action::Stop).is_ok());
    }
}
