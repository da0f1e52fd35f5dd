//! The root in every trust store that needs it: the host's and each
//! `trusted_ca` guest's (containers and VMs alike), followed by `update-ca-certificates` only where the
//! certificate changed. All read the root exported earlier in the same run,
//! so a new root reaches every guest in one run.

use crate::stepca::{ROOT_CRT, TRUST_PATH};
use crate::topology::Topology;
use phx_plan::guest_steps as guest;
use phx_plan::{argv, Action, HandlerStep, Plan};

pub fn plan(plan: &mut Plan, topo: &Topology) {
    let Some((ca, _)) = topo.ca else { return };
    guest::from_guest(
        plan,
        "trust-host",
        ca,
        (ROOT_CRT, TRUST_PATH),
        vec!["trust-host-update".into()],
    );
    plan.push(
        "trust-host-update",
        Action::Handler(HandlerStep {
            argv: argv(&["update-ca-certificates"]),
            desc: "update-ca-certificates on the host".into(),
            only_if: None,
            superseded_by: Vec::new(),
            confirm: false,
        }),
    );
    let root = topo.exported_root();
    // A VM's steps and handler go through its guest agent (a
    // `guest_handler`), a container's through `pct exec`; ids by guest ID.
    for &guest in &topo.trusting {
        let id = guest.id();
        let update = format!("trust-{id}-update");
        guest::copy_of(
            plan,
            &format!("trust-{id}"),
            guest,
            TRUST_PATH,
            &root,
            &[&update],
        );
        guest::handler(plan, &update, guest, &["update-ca-certificates"], None);
    }
}
