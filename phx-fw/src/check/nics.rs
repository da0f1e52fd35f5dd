//! A guest file's references to NICs against the NICs its JSON declares
//! (`network_config`, one object or an array): a rule with `-i netN` or an
//! `ipfilter-netN` set for a NIC the guest does not have is accepted by
//! pve-firewall but lands on no NIC's chain (ruleset_generate_vm_rules
//! skips a rule whose iface is not the chain's netid), so it is warned.

use phx_common::config::reader::join_key;
use phx_common::config::Inventory;

/// `netN` → N.
fn nic_index(s: &str) -> Option<usize> {
    s.strip_prefix("net")?.parse().ok()
}

/// One warning per rule or set naming a NIC the guest has not declared.
pub fn undeclared_nics(inv: &Inventory) -> Vec<String> {
    let mut out = Vec::new();
    for g in inv.guests() {
        let (Some(fw), Some(_)) = (g.firewall(), g.net()) else {
            continue;
        };
        let count = 1 + g.common().more_nets.len();
        let file = inv.file_of(g);
        let has = |n: usize| n < count;
        let declared = format!("net0…net{}", count - 1);
        for r in &fw.rules {
            if let Some(n) = r.iface.as_deref().and_then(nic_index).filter(|n| !has(*n)) {
                out.push(format!(
                    "{file}: {}: -i net{n}: guest {} declares {declared} in network_config, so this rule is on no NIC's chain and never matches",
                    join_key(&r.path, "iface"),
                    g.id()
                ));
            }
        }
        for name in fw.ipsets.keys() {
            if let Some(n) = name
                .strip_prefix("ipfilter-")
                .and_then(nic_index)
                .filter(|n| !has(*n))
            {
                out.push(format!(
                    "{file}: {}: guest {} declares {declared} in network_config and no net{n}, so this set filters no NIC",
                    join_key(&join_key(&join_key(g.path(), "firewall"), "ipsets"), name),
                    g.id()
                ));
            }
        }
    }
    out
}
