//! One JSON document, whichever of the three files it is: the union of their
//! top-level keys, read in one pass. Its shape is decided by the keys
//! present, not by the file's name (documents also come from stdin).

use super::super::declared_flow::RawFlow;
use super::super::raw::{Entries, List, Obj, Scalar, Section};
use super::super::reader::{At, Reader};
use super::firewall::RawFirewall;
use super::host::{
    RawDnsServer, RawHostNetwork, RawNfs, RawProxmoxDefaults, RawSharedVolumes, RawStepCa, RawZfs,
};
use super::lxc::RawLxc;
use super::nvidia::RawNvidiaDriver;
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
        "nfs" => nfs: Obj<RawNfs>,
        "proxmox_defaults" => proxmox_defaults: Obj<RawProxmoxDefaults>,
        "flows" => flows: List<Obj<RawFlow>>,
        "nvidia_driver" => nvidia_driver: Obj<RawNvidiaDriver>,
        // phoenix_lxc_configs.json
        "lxc_configs" => lxc_configs: Entries<Obj<RawLxc>>,
        "nvidia_driver_version" => nvidia_driver_version: Scalar,
        "nvidia_repo_url" => nvidia_repo_url: Scalar,
        "nvidia_runfile_url" => nvidia_runfile_url: Scalar,
        // phoenix_vm_configs.json (the hypervisor file has a `vm_defaults` too)
        "vms" => vms: List<Obj<RawVm>>,
        "vm_defaults" => vm_defaults: Obj<RawVmDefaults>,
    }
    quiet: [
        // The original system's keys for what Phoenix does not manage.
        "$schema", "author", "behavior", "core_paths", "docker",
        "portainer_api", "samba", "tests", "timezone", "users", "version",
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Hypervisor,
    Lxc,
    Vm,
}

impl Document {
    /// Reports the keys given twice at the top of the sections this
    /// document's shape does not read (the hypervisor file's `vm_defaults`,
    /// an LXC file's `firewall`…), and drops them: nothing else of them is
    /// checked, but a repeated key is said in every object.
    pub fn unread_repeats(&mut self, r: &mut Reader, shape: Shape) {
        fn repeats<S: Section>(r: &mut Reader, at: &At, v: Option<Obj<S>>) {
            if let Some(Obj::Ok(mut s)) = v {
                r.repeated_keys(at, &mut *s);
            }
        }
        fn one<S: Section>(r: &mut Reader, key: &str, v: Option<Obj<S>>) {
            repeats(r, &At::ROOT.key(key), v);
        }
        if shape != Shape::Hypervisor {
            one(r, "network", self.network.take());
            one(r, "firewall", self.firewall.take());
            one(r, "shared_volumes", self.shared_volumes.take());
            one(r, "dns_server", self.dns_server.take());
            one(r, "step_ca", self.step_ca.take());
            one(r, "zfs", self.zfs.take());
            one(r, "nfs", self.nfs.take());
            one(r, "proxmox_defaults", self.proxmox_defaults.take());
            one(r, "nvidia_driver", self.nvidia_driver.take());
            if let Some(List::Items(flows)) = self.flows.take() {
                let at = At::ROOT.key("flows");
                for (i, f) in flows.into_iter().enumerate() {
                    repeats(r, &at.index(i), Some(f));
                }
            }
            if let Some(Entries::Items(_, repeated)) = self.proxmox_storage_ids.take() {
                r.duplicates(&At::ROOT.key("proxmox_storage_ids"), repeated);
            }
        }
        if shape != Shape::Lxc {
            // What every container's `nvidia` feature installs by: the LXC
            // file's keys, as the original's jq lookups read them.
            let top = [
                ("nvidia_driver_version", self.nvidia_driver_version.take()),
                ("nvidia_repo_url", self.nvidia_repo_url.take()),
                ("nvidia_runfile_url", self.nvidia_runfile_url.take()),
            ];
            for (key, _) in top.iter().filter(|(_, v)| v.is_some()) {
                let file = r.file_name();
                r.problems.warn(format!(
                    "{file}: {key}: ignored: only the LXC file's {key} is read (the hypervisor file's nvidia_driver gives the host's driver)"
                ));
            }
        }
        if shape != Shape::Vm {
            one(r, "vm_defaults", self.vm_defaults.take());
            if let Some(List::Items(vms)) = self.vms.take() {
                let at = At::ROOT.key("vms");
                for (i, vm) in vms.into_iter().enumerate() {
                    repeats(r, &at.index(i), Some(vm));
                }
            }
        }
    }

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
