//! Checks that need the whole inventory: uniqueness, references, cycles, and
//! the CA's existence. Per-value checks happen while parsing.

use super::model::*;
use super::names::dns_label;
use super::problems::Problems;
use crate::fast_hash::{FastMap, FastSet};
use std::collections::hash_map::Entry;
use std::collections::BTreeMap;
use std::hash::Hash;

pub fn cross_check(inv: &Inventory, p: &mut Problems) {
    // The checks only read the inventory, and the loader's second core is
    // idle by now (its thread has finished): addresses, names and records
    // (half the time, 35 M instructions at 10,000 guests) are checked on a
    // thread of their own. Each check keeps its own problems, put in the
    // order the checks are listed.
    let (rest, (addresses, records)) = phx_plan::par::join(
        || {
            unique_ids(inv, p);
            let mut rest = Problems::default();
            references(inv, &mut rest);
            cycles(inv, &mut rest);
            ca_present(inv, &mut rest);
            super::mounts::check(inv, &mut rest);
            super::unhandled::check(inv, &mut rest);
            super::gpu_check::check(inv, &mut rest);
            rest
        },
        || {
            let (mut addresses, mut records) = (Problems::default(), Problems::default());
            unique_addresses(inv, &mut addresses);
            explicit_records(inv, &mut records);
            (addresses, records)
        },
    );
    p.extend(addresses);
    p.extend(rest);
    p.extend(records);
}

/// Where a value was seen: a file and a JSON path, kept as borrowed parts
/// and joined only for a message.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a str,
    base: &'a str,
    suffix: &'static str,
}

impl Place<'_> {
    fn path(&self) -> String {
        format!("{}{}", self.base, self.suffix)
    }
}

/// The first place each value was seen.
type Seen<'a, K> = FastMap<K, Place<'a>>;

/// Records `key` at `at`; a second claim is a problem naming the first.
fn claim<'a, K: Hash + Eq + ToString>(
    seen: &mut Seen<'a, K>,
    key: K,
    at: Place<'a>,
    what: &str,
    p: &mut Problems,
) {
    match seen.entry(key) {
        Entry::Occupied(first) => {
            let first_at = *first.get();
            p.push(
                at.file,
                &at.path(),
                format!("{:?}", first.key().to_string()),
                format!(
                    "a unique {what}; {}: {} has it already",
                    first_at.file,
                    first_at.path()
                ),
            );
        }
        Entry::Vacant(v) => {
            v.insert(at);
        }
    }
}

fn place<'a>(inv: &'a Inventory, g: Guest<'a>, suffix: &'static str) -> Place<'a> {
    Place {
        file: inv.file_of(g),
        base: g.path(),
        suffix,
    }
}

fn unique_ids(inv: &Inventory, p: &mut Problems) {
    // CTIDs and VMIDs share one ID space on a Proxmox node.
    let mut seen = Seen::default();
    for g in inv.guests() {
        let suffix = match g {
            Guest::Lxc(_) => "",
            Guest::Vm(_) => ".vmid",
        };
        claim(
            &mut seen,
            g.id(),
            place(inv, g, suffix),
            "guest ID (CTIDs and VMIDs share one namespace)",
            p,
        );
    }
}

fn unique_addresses(inv: &Inventory, p: &mut Problems) {
    let mut ips = Seen::default();
    ips.insert(
        inv.host.network.address.addr(),
        Place {
            file: &inv.sources.hypervisor,
            base: "network.interfaces.address",
            suffix: "",
        },
    );
    let mut macs = Seen::default();
    let mut names = Seen::default();
    for g in inv.guests() {
        if let Some(ip) = g.ip() {
            claim(
                &mut ips,
                ip,
                place(inv, g, ".network_config.ip"),
                "IP address",
                p,
            );
        }
        if let Guest::Lxc(c) = g {
            if let Some(mac) = &c.mac {
                claim(
                    &mut macs,
                    mac.as_str(),
                    place(inv, g, ".mac_address"),
                    "MAC address",
                    p,
                );
            }
        }
        claim(
            &mut names,
            dns_label(g.name()),
            place(inv, g, ".name"),
            "guest name (compared in DNS-safe form)",
            p,
        );
    }
}

fn references(inv: &Inventory, p: &mut Problems) {
    let vmids: FastSet<u32> = inv.vms.iter().map(|v| v.id).collect();
    let exists = |id: u32| inv.lxcs.contains_key(&id) || vmids.contains(&id);
    for g in inv.guests() {
        for (i, d) in g.common().dependencies.iter().enumerate() {
            if !exists(*d) {
                p.push(
                    inv.file_of(g),
                    &format!("{}.dependencies[{i}]", g.path()),
                    d.to_string(),
                    "the ID of a guest defined in the configuration",
                );
            }
        }
    }
    for c in inv.lxcs.values() {
        if let Some(src) = c.clone_from {
            if !inv.lxcs.contains_key(&src) {
                p.push(
                    &inv.sources.lxc,
                    &format!("{}.clone_from_ctid", c.path),
                    src.to_string(),
                    "the CTID of a container defined in phoenix_lxc_configs.json",
                );
            }
        }
    }
    for v in &inv.vms {
        if let Some(src) = v.clone_from {
            if !vmids.contains(&src) {
                p.push(
                    &inv.sources.vm,
                    &format!("{}.clone_from_vmid", v.path),
                    src.to_string(),
                    "the VMID of a VM defined in phoenix_vm_configs.json",
                );
            }
        }
    }
}

/// Edges of the provisioning graph: a guest needs its dependencies and its clone source first.
pub fn prerequisites(inv: &Inventory) -> BTreeMap<u32, Vec<u32>> {
    let mut g: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for guest in inv.guests() {
        let c = guest.common();
        let e = g.entry(c.id).or_default();
        e.extend(c.dependencies.iter().copied());
        e.extend(c.clone_from);
    }
    g
}

/// Finds one cycle per strongly connected knot, reported as `a -> b -> a`.
pub fn find_cycles(graph: &BTreeMap<u32, Vec<u32>>) -> Vec<Vec<u32>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark: FastMap<u32, Mark> = graph.keys().map(|k| (*k, Mark::New)).collect();
    let mut cycles = Vec::new();
    for &start in graph.keys() {
        if mark[&start] != Mark::New {
            continue;
        }
        // Iterative DFS: deep dependency chains must not overflow the stack.
        let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
        mark.insert(start, Mark::Active);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edges = graph.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if *next < edges.len() {
                let to = edges[*next];
                *next += 1;
                match mark.get(&to).copied() {
                    Some(Mark::New) => {
                        mark.insert(to, Mark::Active);
                        stack.push((to, 0));
                    }
                    Some(Mark::Active) => {
                        let from = stack.iter().position(|(n, _)| *n == to).unwrap();
                        let mut cyc: Vec<u32> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cyc.push(to);
                        cycles.push(cyc);
                    }
                    _ => {}
                }
            } else {
                mark.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    cycles
}

fn cycles(inv: &Inventory, p: &mut Problems) {
    for cyc in find_cycles(&prerequisites(inv)) {
        let shown: Vec<String> = cyc.iter().map(u32::to_string).collect();
        let first = cyc[0];
        let (file, path) = match inv.lxcs.get(&first) {
            Some(c) => (&inv.sources.lxc, format!("{}.dependencies", c.path)),
            None => (
                &inv.sources.vm,
                inv.vms
                    .iter()
                    .find(|v| v.id == first)
                    .map(|v| format!("{}.clone_from_vmid", v.path))
                    .unwrap_or_default(),
            ),
        };
        p.push(
            file,
            &path,
            shown.join(" -> "),
            "no cycle through dependencies and clone sources",
        );
    }
}

fn ca_present(inv: &Inventory, p: &mut Problems) {
    let cas: Vec<Guest> = inv.guests().filter(|g| g.has_feature("step_ca")).collect();
    let wanting: Vec<Guest> = inv
        .guests()
        .filter(|g| g.has_feature("trusted_ca"))
        .collect();
    if cas.len() > 1 {
        for g in &cas[1..] {
            p.push(
                inv.file_of(*g),
                &format!("{}.features", g.path()),
                "\"step_ca\"",
                format!(
                    "exactly one step_ca guest; {} has it already",
                    cas[0].path()
                ),
            );
        }
    }
    if cas.is_empty() {
        if let Some(g) = wanting.first() {
            p.push(
                inv.file_of(*g),
                &format!("{}.features", g.path()),
                "\"trusted_ca\"",
                "a guest with the \"step_ca\" feature to trust (none is defined)",
            );
        }
    }
    if let Some(ca) = cas.first() {
        if ca.ip().is_none() {
            p.push(
                inv.file_of(*ca),
                &format!("{}.network_config.ip", ca.path()),
                "(not static)",
                "a static IPv4 address for the step_ca guest (its DNS record points there)",
            );
        }
    }
}

/// Two explicit records for one name must agree. A wildcard (`*.apps.x`)
/// and an exact record (`apps.x`) are different names: dnsmasq answers the
/// exact one from the hosts file and the rest from `address=`.
fn explicit_records(inv: &Inventory, p: &mut Problems) {
    let mut seen: FastMap<(&str, bool), &DnsRecord> = FastMap::default();
    for g in inv.guests() {
        for rec in g.dns_records() {
            match seen.get(&(rec.hostname.as_str(), rec.wildcard)) {
                Some(first) if first.ip != rec.ip => p.push(
                    &rec.file,
                    &rec.path,
                    format!("{} -> {}", rec.hostname, rec.ip),
                    format!(
                        "one address per name; {}: {} maps it to {}",
                        first.file, first.path, first.ip
                    ),
                ),
                Some(_) => {}
                None => {
                    seen.insert((&rec.hostname, rec.wildcard), rec);
                }
            }
        }
    }
}
