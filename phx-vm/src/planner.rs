//! The steps of one VM, each part in its own function, in the order they
//! must run: make it (a template from its cloud image, or a clone) or diff
//! it, one `qm set`, disk growth, the template's conversion, a
//! reboot when asked for. Starts come after every guest is converged.

use crate::diff::{self, SetKeys};
use crate::observe::Observed;
use crate::spec::{self, Spec};
use crate::{Options, KIND};
use phx_common::config::model::Vm;
use phx_common::config::Inventory;
use phx_common::guests::{GuestPlanner, GuestSteps};
use phx_common::props::{self, GIB};
use phx_common::text::guest_tag;
use phx_plan::fsutil::under_root;
use phx_plan::secret_ref::SecretFiles;
use phx_plan::{AbsentStep, Action, FileStep, StepSink};
use std::collections::HashMap;
use std::path::Path;

mod bake;
mod cloudinit;

fn qm(args: &[&str]) -> Vec<String> {
    KIND.argv(args)
}

/// Where the keys of VM `vmid` wait for `qm --sshkeys` to read them: /run is
/// a tmpfs, so a file a failed run leaves behind is gone at the next boot.
pub fn sshkeys_path(vmid: u32) -> String {
    format!("/run/phoenix/qm-sshkeys-{vmid}")
}

pub(crate) struct Planner<'a, S: StepSink = phx_plan::Plan> {
    inv: &'a Inventory,
    seen: &'a Observed,
    steps: GuestSteps<S>,
    /// The VMs of the inventory by VMID.
    vms: HashMap<u32, &'a Vm>,
    /// Disk size (bytes) each VM has once its steps ran, for its clones;
    /// None: not known while planning (its conf has no `size=`).
    disks: HashMap<u32, Option<u64>>,
    /// The VM file's absolute path, where `phx-apply` reads passwords.
    secret_file: Option<String>,
    /// That file, parsed once for every VM whose snippet is compared.
    secrets: SecretFiles,
    /// The work of each template with features, done before `qm template`.
    golden: HashMap<u32, phx_recipes::Work<'a>>,
}

/// One VM being converged.
struct Work {
    s: Spec,
    tag: String,
    actions: Vec<String>,
    reboot: Vec<String>,
    /// Disk bytes before this plan's resize (None: unknown).
    disk: Option<u64>,
}

impl<'a, S: StepSink> Planner<'a, S> {
    pub(crate) fn new(
        inv: &'a Inventory,
        seen: &'a Observed,
        opts: Options,
        secret_file: Option<String>,
        state_root: &Path,
        plan: S,
        golden: phx_recipes::Selection<'a>,
    ) -> Self {
        // `secret_file` is the path phx-apply reads, inside the state root.
        let root = state_root.to_path_buf();
        let secrets = SecretFiles::inside(Box::new(move |p| Ok(under_root(&root, p))));
        Planner {
            inv,
            seen,
            steps: GuestSteps::new(KIND, plan, opts, {
                let mut notes = seen.notes.clone();
                notes.extend(crate::check::pending_images(inv, seen));
                notes.extend(golden.notes);
                notes
            }),
            vms: inv.vms.iter().map(|v| (v.id, v)).collect(),
            disks: HashMap::new(),
            secret_file,
            secrets,
            golden: golden.work.into_iter().map(|w| (w.s.id(), w)).collect(),
        }
    }

    /// `qm create` with the image imported as scsi0, a cloud-init drive and
    /// a serial console, then every managed key.
    fn create_template(&mut self, w: &mut Work) {
        let st = &w.s.settings;
        let image = st.template_image.as_deref().expect("checked");
        // An image phx-storage fetches in this run is not there yet: its
        // size is known once it is (the disk is not resized until then).
        let (path, size) = match self.seen.own.images.get(image) {
            Some((p, s)) => (p.clone(), Some(*s)),
            None => (phx_common::fetch::image_target(image), None),
        };
        let id = w.s.vmid.to_string();
        let mut keys: SetKeys =
            w.s.keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
        let keys_file = self.sshkeys_file(w.s.vmid, &mut keys);
        let mut argv = qm(&["create", &id]);
        for (k, v) in keys {
            argv.push(format!("--{k}"));
            argv.push(v);
        }
        let pool = &st.storage_pool;
        for (k, v) in [
            ("scsihw", "virtio-scsi-pci".to_string()),
            ("scsi0", format!("{pool}:0,import-from={path}")),
            ("ide2", format!("{pool}:cloudinit")),
            ("boot", "order=scsi0".to_string()),
            ("serial0", "socket".to_string()),
            ("vga", "serial0".to_string()),
        ] {
            argv.push(format!("--{k}"));
            argv.push(v);
        }
        self.steps.command(
            format!("vm:{id}:create"),
            argv,
            Some(qm(&["status", &id])),
            format!("{}: create from {path}", w.tag),
        );
        self.sshkeys_file_done(w.s.vmid, keys_file);
        w.actions.push(format!("create from {image}"));
        w.disk = size;
    }

    /// `qm clone --full` of the source (made earlier in this plan when it is
    /// new), then every key but the name.
    fn clone_vm(&mut self, w: &mut Work) -> SetKeys {
        let src = w.s.clone_from.expect("checked");
        // What the clone inherits: its source's cicustom, or the one a
        // source made in this plan gets (Phoenix's, made from nothing).
        let inherited = match self.seen.confs.get(&src) {
            Some(c) => c.effective("cicustom").map(str::to_string),
            None => self
                .vms
                .get(&src)
                .map(|v| crate::snippets::cicustom(src, v.has_password)),
        };
        self.lay_cicustom(w, inherited.as_deref());
        let id = w.s.vmid.to_string();
        let mut argv = qm(&[
            "clone",
            &src.to_string(),
            &id,
            "--name",
            &w.s.name,
            "--full",
        ]);
        let pool = &w.s.settings.storage_pool;
        argv.extend(["--storage".to_string(), pool.clone()]);
        self.steps.command(
            format!("vm:{id}:clone"),
            argv,
            Some(qm(&["status", &id])),
            format!("{}: full clone of VM {src}", w.tag),
        );
        w.actions.push(format!("clone from {src}"));
        // A source planned earlier: the size it has after its steps (an
        // unknown one stays unknown: a clone is never resized from a guess).
        w.disk = match self.disks.get(&src) {
            Some(size) => *size,
            None => self.seen.confs.get(&src).and_then(diff::disk_bytes),
        };
        w.s.keys
            .iter()
            .filter(|(k, _)| *k != "name")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// Phoenix's cicustom laid over `have` (the VM's own, or the one a clone
    /// inherits): its parts set, an operator's kept (snippets::cicustom_over).
    fn lay_cicustom(&mut self, w: &mut Work, have: Option<&str>) {
        let want = w.s.get("cicustom").expect("every VM has one").to_string();
        let (value, note) = crate::snippets::cicustom_over(w.s.vmid, &want, have);
        self.steps.notes.extend(note);
        w.s.set("cicustom", value);
    }

    /// One `qm set` with every key that differs.
    fn set(&mut self, w: &mut Work, set: &SetKeys) {
        let mut set = set.clone();
        let keys_file = self.sshkeys_file(w.s.vmid, &mut set);
        if let Some(a) = self.steps.set(w.s.vmid, &w.tag, &set) {
            w.actions.push(a);
        }
        self.sshkeys_file_done(w.s.vmid, keys_file);
    }

    /// On qm's command line `--sshkeys` names a FILE whose text qm
    /// URL-encodes itself (qemu-server src/PVE/CLI/qm.pm:1314 param_mapping:
    /// `uri_escape(file_get_contents($_[0]))`): the keys given as text fail
    /// with "can't open '…'". When `keys` passes sshkeys, plan the keys as a
    /// root-only file, put its path in their place, and return the path for
    /// [`Self::sshkeys_file_done`] to remove once qm has read it.
    fn sshkeys_file(&mut self, vmid: u32, keys: &mut SetKeys) -> Option<String> {
        let (_, value) = keys.iter_mut().find(|(k, _)| k == "sshkeys")?;
        let path = sshkeys_path(vmid);
        let text = spec::url_decode(value);
        *value = path.clone();
        self.steps.plan.push(
            format!("vm:{vmid}:sshkeys-file"),
            Action::File(FileStep {
                path: path.clone(),
                content: text,
                mode: Some("0600".to_string()),
                ..Default::default()
            }),
        );
        Some(path)
    }

    /// Removes the file [`Self::sshkeys_file`] planned, after the qm call.
    fn sshkeys_file_done(&mut self, vmid: u32, path: Option<String>) {
        if let Some(path) = path {
            self.steps.plan.push(
                format!("vm:{vmid}:sshkeys-file-removed"),
                Action::Absent(AbsentStep {
                    path,
                    ..Default::default()
                }),
            );
        }
    }

    /// scsi0 only grows; a smaller size is reported. An existing template's
    /// disk is a base image and stays as it is.
    fn grow(&mut self, w: &mut Work) {
        let vmid = w.s.vmid;
        let want_gb = w.s.settings.disk_size_gb;
        let existing_template = self.seen.confs.get(&vmid).is_some_and(|c| c.is_template());
        let mut fin = w.disk;
        match w.disk {
            _ if want_gb == 0 || existing_template => {}
            Some(cur) if want_gb * GIB > cur => {
                let a = self.steps.resize(vmid, "scsi0", want_gb, &w.tag);
                w.actions.push(a);
                fin = Some(want_gb * GIB);
            }
            Some(cur) if want_gb * GIB < cur => self.steps.notes.push(format!(
                "VM {vmid}: scsi0 is {} but disk_size_gb is {want_gb}; disks are never shrunk",
                props::human(cur)
            )),
            Some(_) => {}
            None => self.steps.notes.push(format!(
                "VM {vmid}: the size of scsi0 is not known while planning; it is not resized"
            )),
        }
        // An unknown size (a template from an image phx-storage fetches in
        // this run) stays unknown for the clones: never resized from a guess.
        self.disks.insert(vmid, fin);
    }

    /// A new template: `qm template`. No snapshot, even when
    /// `template_snapshot_name` is set (spec() warns): qm refuses to make a
    /// template of a VM with snapshots ("unable to create template, because
    /// VM contains snapshots", qemu-server src/PVE/API2/Qemu.pm:6561 template),
    /// and refuses to snapshot a template ("you can't take a snapshot if it's
    /// a template", pve-guest-common src/PVE/AbstractConfig.pm
    /// snapshot_prepare). Clones are made from the template itself.
    fn finish_template(&mut self, w: &mut Work) {
        self.bake(w);
        let id = w.s.vmid.to_string();
        self.steps.command(
            format!("vm:{id}:template"),
            qm(&["template", &id]),
            None,
            format!("{}: convert to a template", w.tag),
        );
        w.actions.push("template".to_string());
    }

    /// A running VM with changes that reach it only at its next boot:
    /// rebooted with --restart, else reported.
    fn reboot(&mut self, w: &mut Work) {
        if let Some(a) = self.steps.reboot(w.s.vmid, &w.tag, &w.reboot) {
            w.actions.push(a);
        }
    }
}

impl<S: StepSink> GuestPlanner for Planner<'_, S> {
    type Sink = S;

    /// Steps that make VM `v` exist and match its entry; short names of them.
    fn converge(&mut self, vmid: u32, i: usize, total: usize) -> Vec<String> {
        let v = self.vms[&vmid];
        let s = spec::spec(v, self.inv);
        self.steps.notes.extend(s.warnings.iter().cloned());
        let mut w = Work {
            tag: guest_tag(i, total, KIND.noun, v.id, &v.name),
            s,
            actions: Vec::new(),
            reboot: Vec::new(),
            disk: None,
        };
        if v.has_password {
            self.password_snippet(v, &mut w);
        }
        let seen = self.seen;
        let set = match seen.confs.get(&v.id) {
            Some(conf) => {
                let have = conf.effective("cicustom");
                self.lay_cicustom(&mut w, have);
                let gains = crate::snippets::has_phoenix_vendor(w.s.get("cicustom"))
                    && !crate::snippets::has_phoenix_vendor(have);
                if gains && !conf.is_template() {
                    // Proxmox's instance-id is a hash of the user and network
                    // data only (qemu-server src/PVE/QemuServer/Cloudinit.pm:606
                    // nocloud_gen_metadata), and cloud-init runs vendor data
                    // once per instance: a VM that booted before does not.
                    self.steps.notes.push(format!(
                        "VM {}: gets Phoenix's vendor data (the QEMU guest agent), which cloud-init runs only at an instance's first boot: if this VM has booted before, install qemu-guest-agent in it yourself (or run `cloud-init clean` in it and reboot)",
                        v.id
                    ));
                }
                let (set, reboot) = diff::existing(&w.s, conf);
                w.disk = diff::disk_bytes(conf);
                if seen.running.contains(&v.id) {
                    w.reboot = reboot;
                    if conf.has_pending() {
                        w.reboot.push("changes already pending in its conf".into());
                    }
                }
                set
            }
            None if w.s.is_template => {
                self.create_template(&mut w);
                Vec::new()
            }
            None => self.clone_vm(&mut w),
        };
        self.set(&mut w, &set);
        if seen.own.stale_snippets.contains(&v.id) {
            // After the set that stops the VM using it. A running VM's
            // cloud-init drive still holds the old password: rebuilt without.
            let running = seen.running.contains(&v.id) && !v.is_template;
            self.steps.plan.push(
                format!("vm:{}:user-data", v.id),
                Action::Absent(AbsentStep {
                    path: crate::snippets::snippet_path(v.id),
                    // It holds the old password: --diff must not show it.
                    secret: true,
                    notify: Self::cloudinit_notify(v.id, running),
                }),
            );
            self.cloudinit_update(v.id, running);
            w.actions.push("remove cloud-init user data".to_string());
        }
        self.grow(&mut w);
        // A template still to make, or one a run left before `qm template`.
        let made = seen.confs.get(&v.id).is_some_and(|c| c.is_template());
        if w.s.is_template && !made {
            self.finish_template(&mut w);
        } else if w.s.is_template {
            self.made_template(&w);
        }
        self.reboot(&mut w);
        w.actions
    }

    /// `qm start` of a VM that should run and does not (never a template);
    /// `rank` is its place in the order over every guest.
    fn start(&mut self, vmid: u32, rank: usize, i: usize, total: usize) -> Option<String> {
        let v = self.vms[&vmid];
        if !self.steps.opts.start.wants(v.start_at_boot)
            || v.is_template
            || self.seen.running.contains(&vmid)
        {
            return None;
        }
        let tag = guest_tag(i, total, KIND.noun, vmid, &v.name);
        Some(self.steps.start(vmid, rank, &tag, v.boot_order))
    }

    fn name(&self, vmid: u32) -> String {
        self.vms[&vmid].name.clone()
    }

    fn boot_order(&self, vmid: u32) -> u64 {
        self.vms[&vmid].boot_order
    }

    fn exists(&self, vmid: u32) -> bool {
        self.seen.confs.contains_key(&vmid)
    }

    fn running(&self, vmid: u32) -> bool {
        self.seen.running.contains(&vmid)
    }

    /// A template entry is made only once `qm template` has run (its conf
    /// says `template: 1`): a run cut before it leaves a plain VM, and a
    /// clone of that would be a full copy of a half-made image, so a
    /// `--guest` converge of a clone finishes its template first.
    fn made(&self, vmid: u32) -> bool {
        match self.seen.confs.get(&vmid) {
            Some(conf) => !self.vms[&vmid].is_template || conf.is_template(),
            None => false,
        }
    }

    /// qm refuses to start a template (qemu-server
    /// src/PVE/QemuServer.pm:5512, "you can't start a vm if it's a template").
    fn startable(&self, vmid: u32) -> bool {
        !self.vms[&vmid].is_template
    }

    fn steps(&mut self) -> &mut GuestSteps<S> {
        &mut self.steps
    }

    fn finish(self) -> (S, Vec<String>) {
        (self.steps.plan, self.steps.notes)
    }
}
