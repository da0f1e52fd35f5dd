//! A VM template whose entry lists features: they go into its image before
//! `qm template`, after which it never runs again. It is started (the guest
//! agent arrives at that first boot, from phx-vm's vendor snippet), the
//! recipes phx-features runs in VMs (phx-recipes) run inside it through the
//! agent, then what makes each clone a new machine: `cloud-init clean
//! --logs` (cloud-init runs again, as a new instance, on a clone's first
//! boot) and an empty /etc/machine-id (systemd makes a new one at the next
//! boot: each clone its own); it is shut down, and `qm template` follows.
//! No snapshot: qm refuses to template a VM that has one.

use super::{qm, Planner, Work};
use phx_plan::guest_steps as guest;
use phx_plan::{argv, Guest, StepSink};

/// What systemd reads for the machine's identity (machine-id(5)).
pub const MACHINE_ID: &str = "/etc/machine-id";

impl<S: StepSink> Planner<'_, S> {
    /// The image's steps for a new template with features; none without.
    pub(super) fn bake(&mut self, w: &mut Work) {
        let vmid = w.s.vmid;
        let Some(work) = self.golden.get(&vmid) else {
            return;
        };
        let id = vmid.to_string();
        self.steps.command(
            format!("vm:{id}:template-start"),
            qm(&["start", &id]),
            None,
            format!(
                "{}: start to install its features before `qm template`",
                w.tag
            ),
        );
        phx_recipes::plan(&mut self.steps.plan, "template", self.inv, work);
        let vm = Guest::vm(vmid);
        guest::command(
            &mut self.steps.plan,
            &format!("template-{id}-cloud-init-clean"),
            vm,
            argv(&["cloud-init", "clean", "--logs"]),
            None,
            "cloud-init clean --logs: a clone's first boot is a new instance",
        );
        guest::command(
            &mut self.steps.plan,
            &format!("template-{id}-machine-id"),
            vm,
            argv(&["truncate", "-s", "0", MACHINE_ID]),
            Some(argv(&["test", "!", "-s", MACHINE_ID])),
            "empty /etc/machine-id: each clone makes its own at its first boot",
        );
        self.steps.command(
            format!("vm:{id}:template-shutdown"),
            qm(&["shutdown", &id]),
            None,
            format!("{}: shut down before `qm template`", w.tag),
        );
        w.actions
            .push(format!("install {}", work.names().join(", ")));
    }
}
