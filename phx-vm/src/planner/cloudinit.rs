//! The planner's cloud-init snippets: `local` allowing them, the shared
//! vendor snippet (the guest agent), a VM's password user data, and the
//! drive rebuilt when they change.

use super::{qm, Planner, Work};
use phx_common::config::model::Vm;
use phx_plan::{Action, FileStep, HandlerStep, SecretRef, StepSink};

/// A snippet holds a password: root only.
const SNIPPET_MODE: u32 = 0o600;
/// The vendor snippet holds no secret.
const VENDOR_MODE: u32 = 0o644;

impl<S: StepSink> Planner<'_, S> {
    /// `pvesm set` adding `snippets` to the `local` storage's content, when
    /// it does not allow them yet (check() refused a storage.cfg without it).
    pub(crate) fn allow_snippets(&mut self) {
        let mut content =
            crate::snippets::local_content(self.seen.own.storage_cfg.as_deref()).expect("checked");
        if content.iter().any(|c| c == "snippets") {
            return;
        }
        content.push("snippets".to_string());
        let list = content.join(",");
        self.steps.command(
            "vm:storage:snippets".to_string(),
            ["pvesm", "set", crate::snippets::STORAGE, "--content", &list]
                .map(str::to_string)
                .to_vec(),
            None,
            format!(
                "storage {}: allow snippets (Phoenix's VM cloud-init snippets: the guest agent's vendor data, passwords)",
                crate::snippets::STORAGE
            ),
        );
    }

    /// The vendor snippet every VM names (the QEMU guest agent), unless the
    /// host has it as it should be.
    pub(crate) fn vendor_snippet(&mut self) {
        let content = crate::snippets::vendor_data();
        if self.seen.own.vendor_snippet.as_ref() == Some(&(content.clone(), VENDOR_MODE)) {
            return;
        }
        self.steps.plan.push(
            "vm:vendor-data".to_string(),
            Action::File(FileStep {
                path: crate::snippets::VENDOR_PATH.to_string(),
                content,
                mode: Some(format!("{VENDOR_MODE:04o}")),
                ..Default::default()
            }),
        );
    }

    /// The VM's cloud-init user data as a root-only snippet whose password
    /// `phx-apply` fills in from the VM file; a running VM gets its
    /// cloud-init drive rebuilt when the snippet changes. Nothing is planned
    /// when the snippet on the host is already right (the planner fills the
    /// password in to compare, and keeps it to itself).
    pub(super) fn password_snippet(&mut self, v: &Vm, w: &mut Work) {
        let file = self
            .secret_file
            .clone()
            .expect("check() refuses a password read from stdin");
        let index = v
            .path
            .strip_prefix("vms[")
            .and_then(|r| r.strip_suffix(']'))
            .expect("a VM's path is vms[<index>]");
        let id = v.id.to_string();
        let from = SecretRef {
            file,
            pointer: format!("/vms/{index}/user_config/password"),
            placeholder: crate::snippets::PLACEHOLDER.to_string(),
            guard: Some((format!("/vms/{index}/vmid"), v.id.into())),
            // As Proxmox does with cipassword (qemu-server API2/Qemu.pm:2533:
            // encrypt_pw): only a SHA-512 crypt reaches the host and the drive.
            sha512_crypt: true,
        };
        let content =
            crate::snippets::user_data(v.id, &v.name, &w.s.settings, w.s.get("searchdomain"));
        if let Some((have, mode)) = self.seen.own.snippets.get(&v.id) {
            // Filled over the snippet on the host: its crypt is kept when it
            // is one of the password, so only a real change differs.
            if let Ok(want) = self.secrets.fill_over(&content, &from, Some(have)) {
                if want == *have && *mode == SNIPPET_MODE {
                    return;
                }
            }
        }
        let running = self.seen.running.contains(&v.id) && !v.is_template;
        self.steps.plan.push(
            format!("vm:{id}:user-data"),
            Action::File(FileStep {
                path: crate::snippets::snippet_path(v.id),
                content,
                mode: Some(format!("{SNIPPET_MODE:04o}")),
                secret: true,
                notify: Self::cloudinit_notify(v.id, running),
                secret_from: Some(from),
                ..Default::default()
            }),
        );
        self.cloudinit_update(v.id, running);
        w.actions.push("cloud-init user data".to_string());
    }

    /// What a step changing a running VM's cloud-init data notifies: the
    /// handler [`Self::cloudinit_update`] plans after it.
    pub(super) fn cloudinit_notify(vmid: u32, running: bool) -> Vec<String> {
        if running {
            vec![format!("vm:{vmid}:cloudinit-update")]
        } else {
            Vec::new()
        }
    }

    /// The handler rebuilding a running VM's cloud-init drive.
    pub(super) fn cloudinit_update(&mut self, vmid: u32, running: bool) {
        if !running {
            return;
        }
        let id = vmid.to_string();
        self.steps.plan.push(
            format!("vm:{id}:cloudinit-update"),
            Action::Handler(HandlerStep {
                argv: qm(&["cloudinit", "update", &id]),
                desc: format!(
                    "VM {id}: rebuild the cloud-init drive (the guest reads it at its next boot)"
                ),
                ..Default::default()
            }),
        );
    }
}
