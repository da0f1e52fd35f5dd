//! One JSON document, whichever of the three files it is: the union of their
//! top-level keys, read in one pass. Its shape is decided by the keys
//! present, not by the file's name (documents also come from stdin).

use super::super::raw::{Entries, List, Obj, Scalar};
use super::firewall::RawFirewall;
use super::host::{
    RawDnsServer, RawHostNetwork, RawProxmoxDefaults, RawSharedVolumes, RawStepCa, RawZfs,
};
use super::lxc::RawLxc;
use super::vm::{RawVm, RawVmDefaults};
use crate::section;

section! {
    pub struct Document {
        // phoenix_hypervisor_config.json
        "domain_name" => domain_name: Scalar,
        "network" => network: Obj<RawHostNetwork>,
        "firewall" => firewall: Obj<RawFirewall>,
        "shared_volumes" => shared_volumes: Obj<RawSharedVolumes>,
        "dns_server" => dns_server: Obj<RawDnsServer>,
        "step_ca" => step_ca: Obj<RawStepCa>,
        "mount_point_base" => mount_point_base: Scalar,
        "proxmox_storage_ids" => proxmox_storage_ids: Entries<Scalar>,
        "zfs" => zfs: Obj<RawZfs>,
        "proxmox_defaults" => proxmox_defaults: Obj<RawProxmoxDefaults>,
        // phoenix_lxc_configs.json
        "lxc_configs" => lxc_configs: Entries<Obj<RawLxc>>,
        // phoenix_vm_configs.json (the hypervisor file has a `vm_defaults` too)
        "vms" => vms: List<Obj<RawVm>>,
        "vm_defaults" => vm_defaults: Obj<RawVmDefaults>,
    }
    quiet: [
        // The original system's keys for what Phoenix does not manage.
        "$schema", "author", "behavior", "core_paths", "docker", "nfs", "nvidia_driver",
        "portainer_api", "samba", "tests", "timezone", "users", "version",
        "nvidia_driver_version", "nvidia_repo_url", "nvidia_runfile_url",
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Hypervisor,
    Lxc,
    Vm,
}

impl Document {
    pub fn shape(&self) -> Option<Shape> {
        if self.lxc_configs.is_some() {
            Some(Shape::Lxc)
        } else if self.vms.is_some() {
            Some(Shape::Vm)
        } else if self.network.is_some() || self.domain_name.is_some() {
            Some(Shape::Hypervisor)
        } else {
            None
        }
    }
}
