//! phx-features: the software inside the running containers and VMs. Each
//! guest's `features` in array order (phx_recipes: recipes of guarded
//! in-guest steps, the executor's guest kinds; a VM's through its guest
//! agent), a VM's NFS volumes, a container's `application_script`; guests
//! in the one start order over containers and VMs. Every
//! feature name is planned here or by phx-lxc (a golden template's),
//! provided by phx-ca, or warned about once per run (phx_recipes::catalog).

pub mod cli;
pub mod tool;

use phx_common::config::{Inventory, Problems};
use phx_plan::{Action, Plan};

pub const TOOL: &str = "phx-features";

#[derive(Debug)]
pub struct Output {
    pub plan: Plan,
    /// Printed on stderr; the exit status is unaffected.
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

/// The plan: every running container's and VM's work (phx_recipes' selection);
/// a golden template's is phx-lxc's, before its snapshot, and a VM
/// template's phx-vm's, before `qm template`. `Err` holds
/// every problem, and then nothing is planned.
///
/// `state_root`: where the host's files are; the only thing read there is
/// whether the host keeps a container's NVIDIA runfile (pushed, then).
pub fn build(inv: &Inventory, state_root: &std::path::Path) -> Result<Output, Problems> {
    let mut sel = phx_recipes::select(inv, |_| true)?;
    phx_recipes::nvidia::on_host(&mut sel, phx_recipes::nvidia::host_file(state_root));
    let mut warnings = sel.warnings.clone();
    warnings.extend(sel.summary_warnings(inv));
    let mut notes = sel.notes.clone();
    let mut plan = Plan::new(TOOL);
    for w in &sel.work {
        if phx_recipes::vm_template(&w.s) {
            notes.push(format!(
                "{}: {}: VM {} is a template: phx-vm installs its {} when it makes it, before `qm template`",
                inv.sources.vm,
                w.s.path(),
                w.s.id(),
                w.names().join(", ")
            ));
            continue;
        }
        match w.s.lxc().and_then(|c| c.template_snapshot_name.as_ref()) {
            None => phx_recipes::plan(&mut plan, "features", inv, w),
            Some(snap) => {
                let mut what = w.names();
                if w.script.is_some() {
                    what.push("application_script");
                }
                notes.push(format!(
                    "{}: {}: CT {} is a golden template (snapshot {snap:?}): phx-lxc installs its {} before the snapshot",
                    inv.sources.lxc,
                    w.s.path(),
                    w.s.id(),
                    what.join(", ")
                ));
            }
        }
    }
    Ok(Output {
        plan,
        warnings,
        notes,
    })
}

/// The files the plan writes whole, at `/guests/<id>/<path in the guest>`.
pub fn render(out: &Output) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = out
        .plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::GuestFile(f) => f
                .content
                .as_ref()
                .map(|c| (format!("/guests/{}{}", f.guest.id(), f.path), c.clone())),
            _ => None,
        })
        .collect();
    files.sort();
    files
}
