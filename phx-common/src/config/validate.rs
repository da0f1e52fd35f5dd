//! Checks that need the whole inventory: uniqueness, references, cycles, and
//! the CA's existence. Per-value checks happen while parsing.

use super::model::*;
use super::names::dns_label;
use super::problems::Problems;
use std::collections::{BTreeMap, HashMap, HashSet};

pub fn cross_check(inv: &Inventory, p: &mut Problems) {
    unique_ids(inv, p);
    unique_addresses(inv, p);
    references(inv, p);
    cycles(inv, p);
    ca_present(inv, p);
    explicit_records(inv, p);
}

/// Where a value was seen first: `(file, path)`.
type Seen = HashMap<String, (String, String)>;

fn claim(seen: &mut Seen, key: String, file: &str, path: &str, what: &str, p: &mut Problems) {
    if let Some((f0, p0)) = seen.get(&key) {
        p.push(
            file,
            path,
            format!("{key:?}"),
            format!("a unique {what}; {f0}: {p0} has it already"),
        );
    } else {
        seen.insert(key, (file.to_string(), path.to_string()));
    }
}

fn unique_ids(inv: &Inventory, p: &mut Problems) {
    // CTIDs and VMIDs share one ID space on a Proxmox node.
    let mut seen = Seen::new();
    for g in inv.guests() {
        let path = match g {
            Guest::Lxc(_) => g.path().to_string(),
            Guest::Vm(_) => format!("{}.vmid", g.path()),
        };
        claim(
            &mut seen,
            g.id().to_string(),
            inv.file_of(g),
            &path,
            "guest ID (CTIDs and VMIDs share one namespace)",
            p,
        );
    }
}

fn unique_addresses(inv: &Inventory, p: &mut Problems) {
    let mut ips = Seen::new();
    let host = &inv.host.network;
    ips.insert(
        host.address.addr().to_string(),
        (
            inv.sources.hypervisor.clone(),
            "network.interfaces.address".into(),
        ),
    );
    let mut macs = Seen::new();
    let mut names = Seen::new();
    for g in inv.guests() {
        let file = inv.file_of(g);
        if let Some(ip) = g.ip() {
            claim(
                &mut ips,
                ip.to_string(),
                file,
                &format!("{}.network_config.ip", g.path()),
                "IP address",
                p,
            );
        }
        if let Guest::Lxc(c) = g {
            if let Some(mac) = &c.mac {
                claim(
                    &mut macs,
                    mac.clone(),
                    file,
                    &format!("{}.mac_address", g.path()),
                    "MAC address",
                    p,
                );
            }
        }
        claim(
            &mut names,
            dns_label(g.name()),
            file,
            &format!("{}.name", g.path()),
            "guest name (compared in DNS-safe form)",
            p,
        );
    }
}

fn references(inv: &Inventory, p: &mut Problems) {
    let vmids: HashSet<u32> = inv.vms.iter().map(|v| v.id).collect();
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
    let mut mark: HashMap<u32, Mark> = graph.keys().map(|k| (*k, Mark::New)).collect();
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
    let mut seen: HashMap<(&str, bool), &DnsRecord> = HashMap::new();
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
