//! Value by value, the schema says what the loader says: many candidate
//! values (numbers as strings, signs, padding, bounds, separators, control
//! characters, IPv6 forms, case…) are put into one field of the example at
//! a time; the loader's verdict at that field (a problem there, or none)
//! must be the schema's (a violation there, or none), per python3-jsonschema.

use crate::common;

use common::*;
use phx_common::config::load::{load_stream, Options};
use phx_schema::File;
use serde_json::{json, Value};

/// Fields with a check of their own and no rule joining them to another
/// value for these candidates (no candidate is another guest's address,
/// name, MAC or ID).
const FIELDS: &[(&str, &str)] = &[
    ("hypervisor", "/domain_name"),
    ("hypervisor", "/network/hostname"),
    ("hypervisor", "/network/interfaces/name"),
    ("hypervisor", "/network/interfaces/bridge_ports"),
    ("hypervisor", "/network/interfaces/dns_nameservers"),
    ("hypervisor", "/mount_point_base"),
    ("hypervisor", "/step_ca/ca_name"),
    ("hypervisor", "/step_ca/default_tls_cert_duration"),
    ("hypervisor", "/step_ca/port"),
    ("hypervisor", "/dns_server/enabled"),
    ("hypervisor", "/dns_server/upstream_servers"),
    ("hypervisor", "/proxmox_defaults/lxc/features"),
    ("hypervisor", "/proxmox_defaults/lxc/cores"),
    ("hypervisor", "/proxmox_defaults/lxc/memory_mb"),
    ("hypervisor", "/zfs/datasets/0/name"),
    ("hypervisor", "/zfs/datasets/0/proxmox_content_type"),
    ("hypervisor", "/proxmox_storage_ids/lxc_disks"),
    ("hypervisor", "/firewall/default_input_policy"),
    ("hypervisor", "/firewall/global_firewall_rules/0/type"),
    ("hypervisor", "/firewall/global_firewall_rules/0/comment"),
    ("hypervisor", "/firewall/global_firewall_rules/0/enable"),
    ("lxc", "/lxc_configs/110/memory_mb"),
    ("lxc", "/lxc_configs/110/swap_mb"),
    ("lxc", "/lxc_configs/110/cores"),
    ("lxc", "/lxc_configs/110/boot_order"),
    ("lxc", "/lxc_configs/110/storage_size_gb"),
    ("lxc", "/lxc_configs/111/template"),
    ("lxc", "/lxc_configs/110/storage_pool"),
    ("lxc", "/lxc_configs/110/mac_address"),
    ("lxc", "/lxc_configs/110/gpu_assignment"),
    ("lxc", "/lxc_configs/110/unprivileged"),
    ("lxc", "/lxc_configs/110/template_snapshot_name"),
    ("lxc", "/lxc_configs/110/apparmor_profile"),
    ("lxc", "/lxc_configs/102/pct_options"),
    ("lxc", "/lxc_configs/110/lxc_options"),
    ("lxc", "/lxc_configs/110/ports"),
    ("lxc", "/lxc_configs/110/features"),
    ("lxc", "/lxc_configs/110/network_config/name"),
    ("lxc", "/lxc_configs/110/network_config/nameservers"),
    ("lxc", "/lxc_configs/102/mount_points/0/container_path"),
    ("lxc", "/lxc_configs/103/zfs_volumes/0/size_gb"),
    ("lxc", "/lxc_configs/110/traefik_service/port"),
    ("lxc", "/lxc_configs/110/traefik_service/scheme"),
    ("lxc", "/lxc_configs/110/dns_records/0/hostname"),
    ("vm", "/vms/0/template_image"),
    ("vm", "/vms/1/mac_address"),
    ("vm", "/vms/1/boot_delay"),
    ("vm", "/vms/1/user_config"),
    ("vm", "/vm_defaults/cores"),
    ("vm", "/vm_defaults/network_bridge"),
];

/// The loader's verdict at `path` of document `doc` (in `File::ALL` order).
fn loader_refuses(docs: &[Value; 3], doc: usize, path: &str) -> Result<bool, String> {
    let mut stream = Vec::new();
    for d in docs {
        stream.extend(serde_json::to_vec(d).unwrap());
        stream.push(b'\n');
    }
    let name = format!("<stdin document {}>", doc + 1);
    match load_stream(
        &mut stream.as_slice(),
        Options {
            strict: true,
            ..Options::default()
        },
    ) {
        Ok(_) => Ok(false),
        Err(p) => {
            let here = p
                .list
                .iter()
                .any(|x| x.file == name && related(&x.path, path));
            // Refused elsewhere only, the verdict would say nothing about
            // the field. (A refused entry is dropped, so what refers to it
            // may be refused too: that follows from the field's problem.)
            match p.list.first() {
                Some(other) if !here => Err(other.to_string()),
                _ => Ok(here),
            }
        }
    }
}

/// The document without the parts the schema checks apart from the field
/// (other containers, the firewall), to keep the validator's work small:
/// no schema rule joins them to the field, and they are valid.
fn pruned(pointer: &str, doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(ct) = pointer.strip_prefix("/lxc_configs/") {
        let ct = ct.split('/').next().unwrap();
        let entry = doc["lxc_configs"][ct].take();
        doc["lxc_configs"] = json!({ ct: entry });
    } else if doc.get("domain_name").is_some() && !pointer.starts_with("/firewall") {
        doc.as_object_mut().unwrap().remove("firewall");
    }
    doc
}

#[test]
fn the_schema_and_the_loader_agree_on_every_candidate_value() {
    let mut trials = Vec::new();
    for (file, pointer) in FIELDS {
        let file = File::parse(file).unwrap();
        for value in candidates() {
            let mut docs = example();
            let doc = &mut docs[index(file)];
            set(doc, pointer, value.clone());
            let path = pointer_path(doc, pointer);
            let refused = match loader_refuses(&docs, index(file), &path) {
                Ok(r) => r,
                Err(other) => {
                    panic!("{pointer} = {value}: the loader refuses something else: {other}")
                }
            };
            trials.push((
                file,
                pointer,
                value,
                path,
                refused,
                pruned(pointer, &docs[index(file)]),
            ));
        }
    }
    let docs: Vec<(File, Value)> = trials.iter().map(|t| (t.0, t.5.clone())).collect();
    let Some(result) = validate(&docs) else {
        return;
    };
    let mut disagree = Vec::new();
    for ((file, pointer, value, path, loader, _), errors) in trials.iter().zip(&result) {
        let schema = errors.iter().any(|e| related(&e.path, path));
        let elsewhere: Vec<_> = errors.iter().filter(|e| !related(&e.path, path)).collect();
        if schema != *loader || !elsewhere.is_empty() {
            disagree.push(format!(
                "{file:?} {pointer} = {value}: loader {}, schema {} {elsewhere:?}",
                if *loader { "refuses" } else { "accepts" },
                if schema { "refuses" } else { "accepts" },
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} disagree:\n{}",
        disagree.len(),
        trials.len(),
        disagree.join("\n")
    );
}
