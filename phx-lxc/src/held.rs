//! Live values kept on existing containers whose entry leaves `name` or
//! `ip` to its default (phx_common::guests::unwritten): the hostname, or
//! net0's address and gateway, stay what the container has.

use crate::desired::Desired;
use crate::observe::Observed;
use crate::props;
use phx_common::fast_hash::FastMap;
use phx_common::guests::unwritten::keep_live;
use phx_common::guests::CT;
use phx_common::Inventory;

#[derive(Debug, Default)]
pub(crate) struct Held {
    hostname: Option<String>,
    /// net0's live `ip` and `gw` (None: it has none).
    address: Option<(String, Option<String>)>,
}

/// The held values by CTID, each warned about in `warnings`.
pub(crate) fn holds(
    inv: &Inventory,
    seen: &Observed,
    allow_rename: bool,
    warnings: &mut Vec<String>,
) -> FastMap<u32, Held> {
    let mut out = FastMap::default();
    for c in inv.lxcs.values() {
        let ip_unwritten = c.net.as_ref().is_some_and(|n| !n.ip_written);
        if c.name_written && !ip_unwritten {
            continue;
        }
        let Some(conf) = seen.confs.get(&c.id) else {
            continue;
        };
        let mut h = Held::default();
        if !c.name_written {
            if let Some(live) = conf.effective("hostname") {
                if keep_live(CT, c, "name", live, &c.name, allow_rename, warnings) {
                    h.hostname = Some(live.to_string());
                }
            }
        }
        if ip_unwritten {
            let net0 = props::parse(conf.effective("net0").unwrap_or_default(), None);
            if let Some(ip) = net0.get("ip") {
                if keep_live(CT, c, "ip", ip, "dhcp", allow_rename, warnings) {
                    h.address = Some((ip.clone(), net0.get("gw").cloned()));
                }
            }
        }
        if h.hostname.is_some() || h.address.is_some() {
            out.insert(c.id, h);
        }
    }
    out
}

impl Held {
    /// `d` with the live values in place of the defaults.
    pub(crate) fn apply(&self, d: &mut Desired) {
        for (key, value) in d.keys.iter_mut() {
            match *key {
                "hostname" => {
                    if let Some(live) = &self.hostname {
                        value.clone_from(live);
                    }
                }
                "net0" => {
                    if let Some((ip, gw)) = &self.address {
                        let mut net = props::parse(value, None);
                        net.insert("ip".to_string(), ip.clone());
                        match gw {
                            Some(gw) => net.insert("gw".to_string(), gw.clone()),
                            None => net.remove("gw"),
                        };
                        *value = props::format_net(&net);
                    }
                }
                _ => {}
            }
        }
    }
}
