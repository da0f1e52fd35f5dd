//! Live values kept on existing VMs whose entry leaves `name` or `ip` to
//! its default (phx_common::guests::unwritten): the VM's `name`, or its
//! whole `ipconfig0` (address and gateway), stay what the VM has.

use crate::observe::Observed;
use crate::spec::Spec;
use phx_common::fast_hash::FastMap;
use phx_common::guests::unwritten::keep_live;
use phx_common::guests::VM;
use phx_common::{props, Inventory};

/// By VMID, the `qm` keys whose live value is kept, with that value.
pub(crate) type Holds = FastMap<u32, Vec<(&'static str, String)>>;

/// The held values, each warned about in `warnings`.
pub(crate) fn holds(
    inv: &Inventory,
    seen: &Observed,
    allow_rename: bool,
    warnings: &mut Vec<String>,
) -> Holds {
    let mut out = Holds::default();
    for v in &inv.vms {
        let ip_unwritten = v.net.as_ref().is_some_and(|n| !n.ip_written);
        let Some(conf) = seen.confs.get(&v.id) else {
            continue;
        };
        let mut kept = Vec::new();
        if !v.name_written {
            if let Some(live) = conf.effective("name") {
                if keep_live(VM, v, "name", live, &v.name, allow_rename, warnings) {
                    kept.push(("name", live.to_string()));
                }
            }
        }
        if ip_unwritten {
            if let Some(live) = conf.effective("ipconfig0") {
                let ip = props::parse(live, None).remove("ip").unwrap_or_default();
                if keep_live(VM, v, "ip", &ip, "dhcp", allow_rename, warnings) {
                    kept.push(("ipconfig0", live.to_string()));
                }
            }
        }
        if !kept.is_empty() {
            out.insert(v.id, kept);
        }
    }
    out
}

/// `s` with the live values of `kept` in place of the defaults.
pub(crate) fn apply(s: &mut Spec, kept: &[(&'static str, String)]) {
    for (key, live) in kept {
        if let Some(slot) = s.keys.iter_mut().find(|(k, _)| k == key) {
            slot.1.clone_from(live);
        }
    }
}
