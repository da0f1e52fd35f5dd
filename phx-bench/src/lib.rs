//! Synthetic inventories for benchmarks: N guests with unique addresses,
//! DNS records, firewall rules, clone sources and dependencies, shaped like
//! the real files so every tool's planner does its full work.

pub mod cli;

use serde_json::{json, Map, Value};
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub guests: usize,
    /// Explicit `dns_records` per guest (the guest's own name comes on top).
    pub records_per_guest: usize,
    /// Rules in `global_firewall_rules`.
    pub global_rules: usize,
    /// Every n-th guest gets a firewall object of its own (0: none).
    pub guest_firewall_every: usize,
    /// Guests from the fourth on get one `traefik_service` each, this many in all.
    pub services: usize,
    /// Where the hypervisor file keeps its firewall object.
    pub layout: Layout,
}

/// Where the hypervisor file keeps the firewall object: Phoenix's top-level
/// `firewall`, or `shared_volumes.firewall` as the original's files have it
/// (SirHeads/Testing-ideas 260ca13,
/// usr/local/phoenix_hypervisor/etc/phoenix_hypervisor_config.json), which
/// the loader accepts unchanged; the benchmarks time both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    #[default]
    Phoenix,
    Original,
}

impl Spec {
    pub fn new(guests: usize) -> Self {
        Spec {
            guests,
            records_per_guest: 4,
            global_rules: guests * 5,
            guest_firewall_every: 2,
            services: 0,
            layout: Layout::Phoenix,
        }
    }
}

fn ip(i: usize) -> String {
    // 10.1.0.0 onwards; the host and gateway sit in 10.0.0.0/24.
    let n = i + (1 << 16);
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn mac(i: usize) -> String {
    format!(
        "BC:24:11:{:02X}:{:02X}:{:02X}",
        (i >> 16) & 255,
        (i >> 8) & 255,
        i & 255
    )
}

fn rule(i: usize) -> Value {
    let proto = if i.is_multiple_of(2) { "tcp" } else { "udp" };
    json!({
        "type": "in", "action": "ACCEPT", "proto": proto,
        "port": (1024 + i % 60000).to_string(),
        "source": format!("10.{}.{}.0/24", 1 + (i / 256) % 200, i % 256),
        "comment": format!("synthetic rule {i}")
    })
}

/// The cloud image the VM template is made from: the one a fresh node's
/// files in `examples/state` (the benchmarks' state root) hold.
pub const VM_TEMPLATE_IMAGE: &str = "debian-12-genericcloud-amd64.qcow2";

/// How a VM is made, as in real estates (phx-vm refuses a VM with neither):
/// the first VM is the template, made from [`VM_TEMPLATE_IMAGE`]; every other
/// VM is a full clone of it (`template_id`). The template never starts, and
/// its boot order is 0 so that, having the lowest VMID too, it comes first
/// among the VMs as before: the one order over every guest, and with it every
/// start's rank, stays what it was without clone sources.
fn vm_source(vm: &mut Value, is_template: bool, template_id: usize) {
    if is_template {
        vm["is_template"] = json!(true);
        vm["template_image"] = json!(VM_TEMPLATE_IMAGE);
        vm["start_at_boot"] = json!(false);
        vm["boot_order"] = json!(0);
    } else {
        vm["clone_from_vmid"] = json!(template_id);
    }
}

/// The three documents: (hypervisor, lxc, vm). Four of five guests are LXCs.
pub fn documents(shape: Spec) -> (Value, Value, Value) {
    // DNS for the guests, whose nameserver is the host: phx-fw refuses a
    // plan that blocks a flow the estate needs.
    let global_rules: Vec<Value> = [
        json!({"type": "in", "action": "ACCEPT", "source": "10.0.0.0/8", "proto": "tcp", "port": "22,8006", "comment": "management"}),
        json!({"type": "in", "action": "DNS(ACCEPT)", "source": "10.0.0.0/8", "comment": "DNS for guests"}),
    ]
    .into_iter()
    .chain((0..shape.global_rules).map(rule))
    .collect();
    let firewall = json!({
        "enabled": true,
        "default_input_policy": "DROP",
        "global_firewall_rules": global_rules
    });
    let mut hyp = json!({
        "domain_name": "bench.example",
        "network": {
            "hostname": "bench",
            "interfaces": { "name": "vmbr0", "address": "10.0.0.13/8", "gateway": "10.0.0.1", "dns_nameservers": ["10.0.0.1"] },
            "default_subnet": "10.0.0.0/8"
        },
        "proxmox_storage_ids": { "lxc": "local-lvm", "tpl": "local", "data": "tank-data" }
    });
    match shape.layout {
        Layout::Phoenix => hyp["firewall"] = firewall,
        // The original's files keep it beside the volumes; the synthetic
        // estate has no shared volumes, so it is the only entry.
        Layout::Original => hyp["shared_volumes"] = json!({ "firewall": firewall }),
    }
    let mut lxcs = Map::new();
    let mut vms = Vec::new();
    let lxc_count = shape.guests - shape.guests / 5;
    for g in 0..shape.guests {
        let id = 1000 + g;
        let records: Vec<Value> = (0..shape.records_per_guest)
            .map(|k| json!({"hostname": format!("svc{k}-g{g}.bench.example"), "ip": ip(g)}))
            .collect();
        let firewall = (shape.guest_firewall_every > 0 && g.is_multiple_of(shape.guest_firewall_every)).then(|| {
            json!({"enabled": true, "rules": [
                {"type": "in", "action": "ACCEPT", "source": "10.0.0.0/8", "proto": "tcp", "port": "22"},
                {"type": "in", "action": "ACCEPT", "proto": "tcp", "port": "443"}
            ]})
        });
        let mut guest = json!({
            "name": format!("guest-{g}"),
            "start_at_boot": !g.is_multiple_of(3),
            "boot_order": g % 10,
            "memory_mb": 1024,
            "cores": 2,
            "features": if g == 1 { json!(["step_ca"]) } else if g == 2 { json!(["traefik", "trusted_ca"]) } else { json!(["base_setup"]) },
            "network_config": {"name": "eth0", "bridge": "vmbr0", "ip": format!("{}/8", ip(g)), "gw": "10.0.0.1", "nameservers": "10.0.0.13"},
            "dns_records": records
        });
        let service_port = (g >= 3 && g - 3 < shape.services).then_some(8000 + g % 1000);
        if let Some(mut fw) = firewall {
            // Traefik (guest 2) reaches the service it routes here.
            if let Some(port) = service_port {
                fw["rules"].as_array_mut().expect("rules").push(json!(
                    {"type": "in", "action": "ACCEPT", "source": ip(2), "proto": "tcp", "port": port.to_string()}
                ));
            }
            guest["firewall"] = fw;
        }
        if let Some(port) = service_port {
            guest["traefik_service"] = json!({"name": format!("app-g{g}"), "port": port});
        }
        if g < lxc_count {
            guest["mac_address"] = json!(mac(g));
            guest["storage_pool"] = json!("local-lvm");
            guest["storage_size_gb"] = json!(8);
            if g == 0 {
                guest["template"] = json!("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst");
                guest["template_snapshot_name"] = json!("golden");
            } else {
                guest["clone_from_ctid"] = json!((1000).to_string());
            }
            if g > 10 {
                guest["dependencies"] = json!([(1000 + g % 10).to_string()]);
            }
            if g.is_multiple_of(4) {
                // A name of its own: zfs_volumes of one name are one shared volume.
                guest["zfs_volumes"] = json!([{"name": format!("data-g{g}"), "pool": "tank-data", "size_gb": 4, "mount_point": "/data"}]);
            }
            lxcs.insert(id.to_string(), guest);
        } else {
            guest["vmid"] = json!(id);
            vm_source(&mut guest, g == lxc_count, 1000 + lxc_count);
            vms.push(guest);
        }
    }
    (hyp, json!({ "lxc_configs": lxcs }), json!({ "vms": vms }))
}

/// Writes the three files into `dir` under their usual names.
pub fn write(dir: &Path, shape: Spec) -> std::io::Result<()> {
    use phx_common::config::load::{HYPERVISOR_FILE, LXC_FILE, VM_FILE};
    std::fs::create_dir_all(dir)?;
    let (h, l, v) = documents(shape);
    for (name, doc) in [(HYPERVISOR_FILE, h), (LXC_FILE, l), (VM_FILE, v)] {
        std::fs::write(dir.join(name), serde_json::to_vec_pretty(&doc)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use phx_common::config::{load, Input};

    #[test]
    fn synthetic_inventory_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), Spec::new(300)).unwrap();
        let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(inv.lxcs.len() + inv.vms.len(), 300);
        // Management, DNS, then the synthetic rules.
        assert_eq!(inv.host.firewall.unwrap().rules.len(), 1502);
    }

    #[test]
    fn the_original_layout_keeps_the_firewall_under_shared_volumes() {
        let mut shape = Spec::new(20);
        let (phoenix, _, _) = documents(shape);
        shape.layout = Layout::Original;
        let (original, _, _) = documents(shape);
        assert!(original.get("firewall").is_none());
        assert_eq!(original["shared_volumes"]["firewall"], phoenix["firewall"]);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), shape).unwrap();
        let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(inv.host.firewall_path, "shared_volumes.firewall");
        assert_eq!(inv.host.firewall.unwrap().rules.len(), 102);
    }

    #[test]
    fn services_are_spread_over_guests() {
        let dir = tempfile::tempdir().unwrap();
        let mut shape = Spec::new(50);
        shape.services = 20;
        write(dir.path(), shape).unwrap();
        let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
        let n: usize = inv.guests().map(|g| g.traefik_services().len()).sum();
        assert_eq!(n, 20);
    }
}
