//! One provisioning and start order over containers and VMs together:
//! dependencies and clone sources first; among guests that are free to go,
//! lower `boot_order` first, then lower ID. phx-lxc and phx-vm both follow
//! it, so a VM with boot order 1 starts before a container with boot order 2
//! (their start steps carry their `rank`, and phx-apply runs the starts of
//! both plans in rank order).

use crate::config::validate::{find_cycles, prerequisites};
use crate::config::Inventory;
use crate::fast_hash::FastMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Every guest (LXCs and VMs: VM clone sources count for ordering) in an order
/// where each comes after what it needs. `Err` lists the cycles.
pub fn order(inv: &Inventory) -> Result<Vec<u32>, Vec<Vec<u32>>> {
    let graph = prerequisites(inv);
    let boot: FastMap<u32, u64> = inv
        .lxcs
        .values()
        .map(|c| (c.id, c.boot_order))
        .chain(inv.vms.iter().map(|v| (v.id, v.boot_order)))
        .collect();
    let order = topo(&graph, |id| boot.get(&id).copied().unwrap_or(0));
    // Kahn's walk leaves out exactly the guests on or behind a cycle; only
    // then are the cycles looked for (the loader has already refused them).
    if order.len() < graph.len() {
        return Err(find_cycles(&graph));
    }
    Ok(order)
}

/// Kahn's algorithm with a priority queue keyed on `(priority(id), id)`.
/// Edges to nodes that are not keys of the graph are ignored.
pub fn topo(graph: &BTreeMap<u32, Vec<u32>>, priority: impl Fn(u32) -> u64) -> Vec<u32> {
    let mut waiting: FastMap<u32, usize> =
        FastMap::with_capacity_and_hasher(graph.len(), Default::default());
    let mut dependents: FastMap<u32, Vec<u32>> = FastMap::default();
    for (&node, needs) in graph {
        let mut needs: Vec<u32> = needs
            .iter()
            .copied()
            .filter(|n| graph.contains_key(n))
            .collect();
        needs.sort_unstable();
        needs.dedup();
        waiting.insert(node, needs.len());
        for n in needs {
            dependents.entry(n).or_default().push(node);
        }
    }
    let mut ready: BinaryHeap<Reverse<(u64, u32)>> = waiting
        .iter()
        .filter(|(_, &w)| w == 0)
        .map(|(&n, _)| Reverse((priority(n), n)))
        .collect();
    let mut out = Vec::with_capacity(graph.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        out.push(n);
        for d in dependents.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
            let w = waiting.get_mut(d).expect("every dependent is a node");
            *w -= 1;
            if *w == 0 {
                ready.push(Reverse((priority(*d), *d)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(u32, &[u32])]) -> BTreeMap<u32, Vec<u32>> {
        edges.iter().map(|(n, e)| (*n, e.to_vec())).collect()
    }

    fn pos(v: &[u32], x: u32) -> usize {
        v.iter().position(|&y| y == x).unwrap()
    }

    #[test]
    fn clone_chain_and_dependencies_come_first() {
        // The upstream chain: 900 -> 901 -> 911 -> 801, and 801 needs 101.
        let graph = g(&[
            (900, &[]),
            (901, &[900]),
            (911, &[901]),
            (801, &[911, 101]),
            (101, &[900]),
        ]);
        let boot = |id| match id {
            801 => 3,
            101 => 1,
            _ => 0,
        };
        let o = topo(&graph, boot);
        assert_eq!(o.len(), 5);
        for (before, after) in [(900, 901), (901, 911), (911, 801), (101, 801), (900, 101)] {
            assert!(
                pos(&o, before) < pos(&o, after),
                "{before} before {after} in {o:?}"
            );
        }
    }

    #[test]
    fn boot_order_then_id_among_free_guests() {
        let graph = g(&[(103, &[]), (102, &[]), (110, &[]), (111, &[])]);
        let boot = |id| match id {
            103 => 1,
            102 => 2,
            _ => 3,
        };
        assert_eq!(topo(&graph, boot), vec![103, 102, 110, 111]);
    }

    #[test]
    fn a_dependency_goes_first_even_with_a_later_boot_order() {
        let graph = g(&[(1, &[2]), (2, &[])]);
        let boot = |id| if id == 1 { 1 } else { 9 };
        assert_eq!(topo(&graph, boot), vec![2, 1]);
    }

    #[test]
    fn an_inventory_with_a_cycle_has_no_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
        let mut inv = crate::config::load(&crate::config::Input::Dir(dir)).unwrap();
        assert!(order(&inv).is_ok());
        // Past the loader, which refuses cycles: 900 (the template) needs 110, cloned from it.
        inv.lxcs.get_mut(&900).unwrap().guest.dependencies = vec![110];
        let cycles = order(&inv).unwrap_err();
        assert!(
            cycles.iter().any(|c| c.contains(&900) && c.contains(&110)),
            "{cycles:?}"
        );
    }

    #[test]
    fn cycles_are_found() {
        let graph = g(&[(1, &[2]), (2, &[3]), (3, &[1]), (4, &[])]);
        let c = find_cycles(&graph);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].first(), c[0].last());
        assert_eq!(c[0].len(), 4);
    }
}
