//! `phoenix_vm_configs.json`: the VMs, in file order.

use super::super::model::*;
use super::super::raw::{List, Obj, Scalar};
use super::super::reader::{At, Reader};
use super::guest::{common, GuestDefaults, RawGuestCommon};
use super::tokens::*;
use crate::section;

section! {
    pub struct RawVm {
        "vmid" => vmid: Scalar,
        "is_template" => is_template: Scalar,
        "clone_from_vmid" => clone_from_vmid: Scalar,
    }
    shared: guest: RawGuestCommon,
    // Read by no Phoenix tool yet (phx-vm will).
    quiet: [
        "boot_delay", "cores", "memory_mb", "disk_size_gb", "docker_stacks",
        "portainer_environment_name", "template_image", "template_snapshot_name",
        "user_config", "volumes",
    ]
}

section! {
    pub struct RawVmDefaults {
        "network_bridge" => network_bridge: Scalar,
    }
    quiet: ["cores", "disk_size_gb", "memory_mb", "storage_pool", "template", "ubuntu_release"]
}

pub fn vms(
    r: &mut Reader,
    list: List<Obj<RawVm>>,
    vm_defaults: Option<Obj<RawVmDefaults>>,
) -> Vec<Vm> {
    let root = At::ROOT;
    let default_bridge = match vm_defaults {
        Some(Obj::Ok(mut d)) => {
            let at = root.key("vm_defaults");
            r.unknown_keys(&at, &mut *d);
            r.opt(&at, "network_bridge", d.network_bridge, Reader::str)
        }
        _ => None,
    }
    .unwrap_or_else(|| defaults::BRIDGE.to_string());
    r.each(&root.key("vms"), list, |r, at, n| {
        r.obj(at, n, |r, n| vm(r, at, n, &default_bridge)).flatten()
    })
}

fn vm(r: &mut Reader, at: &At, n: RawVm, default_bridge: &str) -> Option<Vm> {
    let before = r.problems.count();
    let vmid = r.req(
        at,
        "vmid",
        n.vmid,
        &format!("a VMID from {MIN_ID} to {MAX_ID} (required)"),
        guest_id,
    );
    let clone_from = r.opt(at, "clone_from_vmid", n.clone_from_vmid, guest_id);
    let defaults = GuestDefaults {
        // Without a valid VMID the entry is refused; the name is never used.
        name: vmid.map(|id| format!("VM{id}")).unwrap_or_default(),
        nic: "net0",
        bridge: default_bridge,
    };
    let guest = common(r, at, n.guest, vmid.unwrap_or(0), clone_from, defaults);
    let vm = Vm {
        guest,
        is_template: r
            .opt(at, "is_template", n.is_template, Reader::bool)
            .unwrap_or(false),
    };
    (r.problems.count() == before).then_some(vm)
}
