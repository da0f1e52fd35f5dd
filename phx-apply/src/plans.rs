//! Several tools' plans made into one run: each read and checked against
//! its trailers (a cut plan refuses the whole run), their step ids unique
//! over all of them, every guest start moved after every other step in
//! the one start order over containers and VMs (`Step::start`'s rank), and
//! every shutdown and destroy moved before them all in the reverse order
//! (`Step::stop`). A VM with boot order 1 so starts before a container with
//! boot order 2 though phx-lxc's plan came first, no guest starts before
//! the last file or command of any plan is in place, and a VM that depends
//! on a container is shut down before it.

use anyhow::Context;
use phx_plan::{read_jsonl, Step};
use std::collections::HashSet;
use std::io::BufRead;

/// Where one plan comes from, as messages name it, and its text.
pub struct Source<R> {
    pub name: String,
    pub input: R,
}

/// The steps of every plan, in the order they run.
pub fn read_plans<R: BufRead>(sources: Vec<Source<R>>) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let several = sources.len() > 1;
    for s in sources {
        steps.extend(read_jsonl(s.input).with_context(|| s.name.clone())?);
    }
    // One source's ids were found unique as it was read (`read_jsonl`).
    let mut ids = HashSet::new();
    if let Some(twice) = steps.iter().find(|s| several && !ids.insert(s.id.as_str())) {
        anyhow::bail!(
            "plan: step id {:?} appears in two plans; ids must be unique",
            twice.id
        );
    }
    Ok(starts_last(steps))
}

/// The stops first (`Step::stop`: shutdowns and destroys) in reverse rank
/// order, every other step in its place, then the starts by rank. Both
/// sorts are stable, so one guest's shutdown stays before its destroy
/// (they share its rank) and starts of equal rank keep their plan order.
pub fn starts_last(steps: Vec<Step>) -> Vec<Step> {
    let (mut stops, rest): (Vec<Step>, Vec<Step>) =
        steps.into_iter().partition(|s| s.stop.is_some());
    let (mut starts, mut others): (Vec<Step>, Vec<Step>) =
        rest.into_iter().partition(|s| s.start.is_some());
    // Dependents go down before what they depend on: the order reversed.
    stops.sort_by_key(|s| std::cmp::Reverse(s.stop.map(|r| r.rank)));
    starts.sort_by_key(|s| s.start);
    stops.append(&mut others);
    stops.append(&mut starts);
    stops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(lines: &[&str]) -> Source<&'static [u8]> {
        Source {
            name: "test plan".into(),
            input: Box::leak(lines.join("\n").into_boxed_str()).as_bytes(),
        }
    }

    const LXC: &[&str] = &[
        r#"{"v":1,"tool":"phx-lxc","id":"lxc:101:create","kind":"command","argv":["pct","create"],"desc":"d"}"#,
        r#"{"v":1,"tool":"phx-lxc","id":"start:lxc:101","kind":"command","argv":["pct","start","101"],"desc":"d","start":{"rank":1,"kind":"lxc","id":101}}"#,
        r#"{"v":1,"tool":"phx-lxc","kind":"end","steps":2}"#,
    ];
    const VM: &[&str] = &[
        r#"{"v":1,"tool":"phx-vm","id":"vm:9000:create","kind":"command","argv":["qm","create"],"desc":"d"}"#,
        r#"{"v":1,"tool":"phx-vm","id":"start:vm:9000","kind":"command","argv":["qm","start","9000"],"desc":"d","start":{"rank":0,"kind":"vm","id":9000}}"#,
        r#"{"v":1,"tool":"phx-vm","kind":"end","steps":2}"#,
    ];

    fn ids(steps: &[Step]) -> Vec<&str> {
        steps.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn starts_of_every_plan_run_last_in_rank_order() {
        let steps = read_plans(vec![plan(LXC), plan(VM)]).unwrap();
        assert_eq!(
            ids(&steps),
            [
                "lxc:101:create",
                "vm:9000:create",
                "start:vm:9000",
                "start:lxc:101"
            ]
        );
    }

    #[test]
    fn one_stream_of_two_plans_is_ordered_as_two_files_are() {
        let both: Vec<&str> = LXC.iter().chain(VM).copied().collect();
        let steps = read_plans(vec![plan(&both)]).unwrap();
        assert_eq!(ids(&steps)[2..], ["start:vm:9000", "start:lxc:101"]);
    }

    /// VM 1001 depends on CT 103 (rank 0 < rank 1): `stop 103 1001` and
    /// `delete` shut the VM down first though phx-lxc's plan comes first,
    /// and each guest's shutdown stays before its destroy.
    #[test]
    fn stops_of_every_plan_run_first_in_reverse_rank_order() {
        const LXC_DOWN: &[&str] = &[
            r#"{"v":1,"tool":"phx-lxc","id":"lxc:103:shutdown","kind":"command","argv":["pct","shutdown","103"],"desc":"d","stop":{"rank":0,"kind":"lxc","id":103}}"#,
            r#"{"v":1,"tool":"phx-lxc","id":"lxc:103:destroy","kind":"command","argv":["pct","destroy","103"],"desc":"d","stop":{"rank":0,"kind":"lxc","id":103}}"#,
            r#"{"v":1,"tool":"phx-lxc","kind":"end","steps":2}"#,
        ];
        const VM_DOWN: &[&str] = &[
            r#"{"v":1,"tool":"phx-vm","id":"vm:1001:set","kind":"command","argv":["qm","set","1001"],"desc":"d"}"#,
            r#"{"v":1,"tool":"phx-vm","id":"vm:1001:shutdown","kind":"command","argv":["qm","shutdown","1001"],"desc":"d","stop":{"rank":1,"kind":"vm","id":1001}}"#,
            r#"{"v":1,"tool":"phx-vm","id":"vm:1001:destroy","kind":"command","argv":["qm","destroy","1001"],"desc":"d","stop":{"rank":1,"kind":"vm","id":1001}}"#,
            r#"{"v":1,"tool":"phx-vm","kind":"end","steps":3}"#,
        ];
        let steps = read_plans(vec![plan(LXC_DOWN), plan(VM_DOWN), plan(LXC)]).unwrap();
        assert_eq!(
            ids(&steps),
            [
                "vm:1001:shutdown",
                "vm:1001:destroy",
                "lxc:103:shutdown",
                "lxc:103:destroy",
                "vm:1001:set",
                "lxc:101:create",
                "start:lxc:101"
            ]
        );
    }

    #[test]
    fn a_cut_plan_among_several_refuses_them_all() {
        let e = read_plans(vec![plan(LXC), plan(&VM[..2])]).unwrap_err();
        assert!(format!("{e:#}").contains("incomplete"), "{e:#}");
    }

    #[test]
    fn an_id_in_two_plans_is_refused() {
        let e = read_plans(vec![plan(LXC), plan(LXC)]).unwrap_err();
        assert!(e.to_string().contains("appears in two plans"), "{e}");
    }
}
