//! A VM template whose entry lists features: they go into its image before
//! `qm template`, after which it never runs again. It is started (the guest
//! agent arrives at that first boot, from phx-vm's vendor snippet), the
//! recipes phx-features runs in VMs (phx-recipes) run inside it through the
//! agent, then what makes each clone a new machine: `cloud-init clean
//! --logs` (cloud-init runs again, as a new instance, on a clone's first
//! boot) and an empty /etc/machine-id (systemd makes a new one at the next
//! boot: each clone its own) and emptied authorized_keys (each clone's
//! cloud-init adds its own); it is shut down, and `qm template` follows.
//! No snapshot: qm refuses to template a VM that has one.

use super::{qm, Planner, Work};
use phx_plan::guest_steps as guest;
use phx_plan::{argv, Guest, StepSink};

/// What systemd reads for the machine's identity (machine-id(5)).
pub const MACHINE_ID: &str = "/etc/machine-id";

impl<S: StepSink> Planner<'_, S> {
    /// The image's steps for a template still to make with features (a
    /// running one, left by an earlier run, is not started again); a
    /// running one without features is only shut down.
    pub(super) fn bake(&mut self, w: &mut Work) {
        let vmid = w.s.vmid;
        let id = vmid.to_string();
        let running = self.seen.running.contains(&vmid);
        let Some(work) = self.golden.get(&vmid) else {
            if running {
                self.shutdown(w);
            }
            return;
        };
        if !running {
            self.steps.command(
                format!("vm:{id}:template-start"),
                qm(&["start", &id]),
                None,
                format!(
                    "{}: start to install its features before `qm template`",
                    w.tag
                ),
            );
        }
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
        // cloud-init adds each clone's keys at its first boot; the ones the
        // template's own first boot put there would stay in every clone.
        guest::command(
            &mut self.steps.plan,
            &format!("template-{id}-ssh-keys"),
            vm,
            argv(&[
                "sh",
                "-c",
                r#"for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do [ ! -e "$f" ] || : > "$f"; done"#,
                "phx-forget-keys",
            ]),
            None,
            "empty authorized_keys: each clone gets its own keys at its first boot",
        );
        w.actions
            .push(format!("install {}", work.names().join(", ")));
        self.shutdown(w);
    }

    fn shutdown(&mut self, w: &Work) {
        let id = w.s.vmid.to_string();
        self.steps.command(
            format!("vm:{id}:template-shutdown"),
            qm(&["shutdown", &id]),
            None,
            format!("{}: shut down before `qm template`", w.tag),
        );
    }

    /// A template already made: its image is what its features were then
    /// (a template never runs again); said, never rebuilt by itself.
    pub(super) fn made_template(&mut self, w: &Work) {
        let Some(work) = self.golden.get(&w.s.vmid) else {
            return;
        };
        let clones: Vec<String> = self
            .inv
            .vms
            .iter()
            .filter(|v| v.clone_from == Some(w.s.vmid))
            .map(|v| format!("VM {}", v.id))
            .collect();
        self.steps.notes.push(format!(
            "VM {} is a template already: its image holds what its features installed when it was made; a changed list ({}) is not applied to it or to {} (to rebuild: qm destroy {} once no clone needs it, then LetsGo)",
            w.s.vmid,
            work.names().join(", "),
            if clones.is_empty() { "its clones".to_string() } else { clones.join(", ") },
            w.s.vmid
        ));
    }
}
