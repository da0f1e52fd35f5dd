//! A VM's part of the selection: its features (the same recipes as a
//! container's, through the guest agent), Portainer per its
//! `portainer_role` (the VM file lists no "portainer" feature: the
//! original's portainer-manager.sh deployed the server for "primary" and
//! the agent for "agent"), and its NFS volumes. Only a running VM can be
//! reached: one that starts at boot, or a template, which phx-vm starts to
//! install its features before `qm template`.

use crate::catalog::{self, Kind, Recipe};
use crate::subject::Subject;
use crate::{docker, portainer, Selection, Work};
use phx_common::config::{Inventory, Problems, Vm};

/// Why a VM's `nvidia` installs nothing.
pub const VFIO: &str = "a GPU reaches a VM by VFIO passthrough, which Phoenix does not set up; the nvidia recipe is a container's";

pub(crate) fn select<'a>(
    inv: &'a Inventory,
    s: Subject<'a>,
    v: &'a Vm,
    p: &mut Problems,
    sel: &mut Selection<'a>,
) {
    let mut recipes = Vec::new();
    for f in &v.features {
        match catalog::kind(f) {
            // A VM's GPU is VFIO passthrough, not this container recipe.
            Kind::Recipe(Recipe::Nvidia) => {
                sel.not_yet_vms
                    .entry(f)
                    .or_insert((VFIO, Vec::new()))
                    .1
                    .push(v.id);
            }
            // Their keys (vllm_engine_config, ports) are a container's.
            Kind::Recipe(Recipe::Vllm | Recipe::Ollama) => {
                sel.not_yet_vms
                    .entry(f)
                    .or_insert(("installed in containers only", Vec::new()))
                    .1
                    .push(v.id);
            }
            Kind::Recipe(r) if !recipes.contains(&r) => recipes.push(r),
            Kind::Recipe(_) | Kind::ByCa => {}
            Kind::NotYet(why) => {
                sel.not_yet_vms
                    .entry(f)
                    .or_insert((why, Vec::new()))
                    .1
                    .push(v.id);
            }
        }
    }
    let role = v.portainer_role.as_deref().filter(|r| *r != "none");
    if role.is_some() && !recipes.contains(&Recipe::Portainer) {
        recipes.push(Recipe::Portainer);
    }
    let what: Vec<&str> = recipes
        .iter()
        .map(|r| r.name())
        .chain((!v.volumes.is_empty()).then_some("volumes"))
        .collect();
    if what.is_empty() {
        return;
    }
    if !v.is_template && !v.start_at_boot {
        // The guest agent answers only in a running VM, and LetsGo starts
        // only these; a template's are phx-vm's, before `qm template`.
        sel.warnings.push(format!(
            "{}: {}.start_at_boot: VM {} does not start at boot: nothing is done for its {} (features and volumes run inside running VMs, through the guest agent)",
            s.file,
            v.path,
            v.id,
            what.join(", ")
        ));
        return;
    }
    let distro = if recipes.contains(&Recipe::Docker) {
        docker::check_vm(inv, s, p)
    } else {
        None
    };
    let portainer = if recipes.contains(&Recipe::Portainer) {
        let role = portainer::check(inv, s, p, &mut sel.warnings);
        if role.is_none() {
            recipes.retain(|r| *r != Recipe::Portainer);
        }
        role
    } else {
        None
    };
    // A template's clones mount their own volumes; its image gets none.
    let volumes: &[_] = if v.is_template { &[] } else { &v.volumes };
    if v.is_template && !v.volumes.is_empty() {
        sel.notes.push(format!(
            "{}: {}.volumes: VM {} is a template: its volumes are not mounted into its image (each clone mounts its own)",
            s.file, v.path, v.id
        ));
    }
    if recipes.is_empty() && volumes.is_empty() {
        return;
    }
    let docker_user = distro.as_ref().and(docker::vm_user(inv, s));
    sel.work.push(Work {
        s,
        recipes,
        distro,
        portainer,
        script: None,
        volumes,
        docker_user,
        nvidia: None,
    });
}
