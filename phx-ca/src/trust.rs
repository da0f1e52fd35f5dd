//! The root in every trust store that needs it: the host's and each
//! `trusted_ca` guest's, followed by `update-ca-certificates` only where the
//! certificate changed. All read the root exported earlier in the same run,
//! so a new root reaches every guest in one run.

use crate::guest;
use crate::stepca::{ROOT_CRT, TRUST_PATH};
use crate::topology::Topology;
use phx_plan::{argv, Action, FromGuestStep, HandlerStep, Plan};

pub fn plan(plan: &mut Plan, topo: &Topology) {
    let Some((ca, _)) = topo.ca else { return };
    plan.push(
        "trust-host",
        Action::FromGuest(FromGuestStep {
            ctid: ca,
            from: ROOT_CRT.to_string(),
            path: TRUST_PATH.to_string(),
            mode: Some("0644".into()),
            notify: vec!["trust-host-update".into()],
        }),
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
    for &ct in &topo.trusting {
        let update = format!("trust-{ct}-update");
        guest::copy_of(
            plan,
            &format!("trust-{ct}"),
            ct,
            TRUST_PATH,
            &root,
            &[&update],
        );
        guest::handler(plan, &update, ct, &["update-ca-certificates"], None);
    }
}
