//! Nothing silent: every key of every guest entry of the original's files
//! is acted on by a tool (the table says which), or the loader warns about
//! it once, naming every guest that carries it. A key the loader comes to
//! skip quietly, or a new key of the original's files, fails here.

use phx_common::config::{load, Input};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn upstream() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream")
}

/// LXC keys a tool acts on, and which.
const LXC_ACTED: &[(&str, &str)] = &[
    ("name", "phx-lxc (hostname), phx-dns"),
    ("start_at_boot", "phx-lxc (onboot), phoenix-cli LetsGo"),
    ("boot_order", "phx-lxc (startup order)"),
    ("boot_delay", "phx-lxc (startup up=)"),
    ("memory_mb", "phx-lxc"),
    ("swap_mb", "phx-lxc"),
    ("cores", "phx-lxc"),
    (
        "template",
        "phx-lxc (pct create), phx-recipes (Docker's release)",
    ),
    ("storage_pool", "phx-lxc (rootfs)"),
    ("storage_size_gb", "phx-lxc (rootfs size)"),
    ("network_config", "phx-lxc (net0), phx-fw, phx-dns"),
    ("mac_address", "phx-lxc (hwaddr)"),
    ("gpu_assignment", "phx-lxc (device passthrough)"),
    ("unprivileged", "phx-lxc, phx-recipes (fuse-overlayfs)"),
    (
        "features",
        "phx-features/phx-lxc through phx-recipes, phx-ca; unwritten ones warned by phx-recipes",
    ),
    ("lxc_options", "phx-lxc (raw lxc.* lines)"),
    ("pct_options", "phx-lxc (--features)"),
    (
        "template_snapshot_name",
        "phx-lxc (golden template snapshot)",
    ),
    ("apparmor_profile", "phx-lxc"),
    ("clone_from_ctid", "phx-lxc (pct clone)"),
    ("application_script", "phx-features (run once per content)"),
    ("firewall", "phx-fw"),
    ("dependencies", "phx-common::order (start order), phx-graph"),
    ("zfs_volumes", "phx-lxc, phx-storage"),
    ("mount_points", "phx-lxc, phx-storage"),
    ("dns_records", "phx-dns"),
    ("traefik_service", "phx-ca, phx-dns"),
    (
        "portainer_role",
        "phx-recipes' portainer feature; a role without the feature is warned by phx-recipes",
    ),
    (
        "ports",
        "phx-recipes' ollama (the port it listens on); warned for the containers without ollama",
    ),
    (
        "vllm_engine_config",
        "phx-recipes' vllm (vllm_model_server.service's command line), phx-verify (its port)",
    ),
];

/// VM keys a tool acts on, and which.
const VM_ACTED: &[(&str, &str)] = &[
    ("vmid", "phx-vm"),
    ("name", "phx-vm, phx-dns"),
    ("is_template", "phx-vm (qm template)"),
    (
        "template_image",
        "phx-vm (import-from), phx-storage (download)",
    ),
    (
        "template_snapshot_name",
        "phx-vm (warns: no snapshot of a VM template)",
    ),
    (
        "network_config",
        "phx-vm (cloud-init ipconfig0), phx-fw, phx-dns",
    ),
    ("user_config", "phx-vm (cloud-init user)"),
    ("clone_from_vmid", "phx-vm (qm clone)"),
    ("cores", "phx-vm"),
    ("memory_mb", "phx-vm"),
    ("disk_size_gb", "phx-vm (qm resize)"),
    ("start_at_boot", "phx-vm (onboot)"),
    ("boot_order", "phx-vm (startup order)"),
    ("boot_delay", "phx-vm (startup up=)"),
    (
        "features",
        "phx-features (through the guest agent; GPU ones warned), phx-ca (trusted_ca)",
    ),
    (
        "volumes",
        "phx-features (NFS: one fstab line each, mounted)",
    ),
    (
        "portainer_role",
        "phx-features (Portainer's server for primary, its agent for agent)",
    ),
    ("dns_records", "phx-dns"),
];

/// Each key of each guest entry: (file, key) → the guests ("CT 101", "VM 1001").
fn keys_in_fixture() -> BTreeMap<(&'static str, String), Vec<String>> {
    let mut out: BTreeMap<(&str, String), Vec<String>> = BTreeMap::new();
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(upstream().join(f)).unwrap()).unwrap()
    };
    let lxc = read("phoenix_lxc_configs.json");
    for (id, entry) in lxc["lxc_configs"].as_object().unwrap() {
        for (k, v) in entry.as_object().unwrap() {
            if !v.is_null() {
                let e = out.entry(("phoenix_lxc_configs.json", k.clone()));
                e.or_default().push(format!("CT {id}"));
            }
        }
    }
    let vm = read("phoenix_vm_configs.json");
    for entry in vm["vms"].as_array().unwrap() {
        let id = &entry["vmid"];
        for (k, v) in entry.as_object().unwrap() {
            if !v.is_null() {
                let e = out.entry(("phoenix_vm_configs.json", k.clone()));
                e.or_default().push(format!("VM {id}"));
            }
        }
    }
    out
}

#[test]
fn every_guest_key_of_the_original_is_acted_on_or_warned_about_once() {
    let inv = load(&Input::Dir(upstream())).unwrap_or_else(|p| panic!("{p}"));
    let mut quiet = Vec::new();
    for ((file, key), guests) in keys_in_fixture() {
        let table = if file.starts_with("phoenix_lxc") {
            LXC_ACTED
        } else {
            VM_ACTED
        };
        if table.iter().any(|(k, _)| *k == key) {
            continue;
        }
        // One warning for the key in this file, naming each guest with it.
        let head = format!("{file}: {key} (");
        let said: Vec<&String> = inv.warnings.iter().filter(|w| w.contains(&head)).collect();
        match said.as_slice() {
            [w] => {
                for g in &guests {
                    assert!(w.contains(g.as_str()), "{g} is not named: {w}");
                }
                assert!(w.contains("not handled, ignored: "), "{w}");
            }
            _ => quiet.push(format!(
                "{file}: {key} ({}): said {} times",
                guests.join(", "),
                said.len()
            )),
        }
    }
    assert!(
        quiet.is_empty(),
        "keys neither acted on nor warned about once:\n{}",
        quiet.join("\n")
    );
}

#[test]
fn the_table_names_only_keys_the_loader_reads() {
    // An acted-on key the loader does not know would be an unknown-key
    // warning: the table would be lying.
    use phx_common::config::parse::lxc::RawLxc;
    use phx_common::config::parse::vm::RawVm;
    for (k, _) in LXC_ACTED {
        assert!(RawLxc::known_keys().contains(k), "{k}");
    }
    for (k, _) in VM_ACTED {
        assert!(RawVm::known_keys().contains(k), "{k}");
    }
}

#[test]
fn a_vm_portainer_role_of_none_is_not_warned() {
    // "none" says there is nothing to do, which is what happens.
    let dir = tempfile::tempdir().unwrap();
    for f in ["phoenix_hypervisor_config.json", "phoenix_lxc_configs.json"] {
        std::fs::copy(upstream().join(f), dir.path().join(f)).unwrap();
    }
    let mut vm: Value = serde_json::from_str(
        &std::fs::read_to_string(upstream().join("phoenix_vm_configs.json")).unwrap(),
    )
    .unwrap();
    for v in vm["vms"].as_array_mut().unwrap() {
        if v.get("portainer_role").is_some() {
            v["portainer_role"] = Value::from("none");
        }
    }
    std::fs::write(dir.path().join("phoenix_vm_configs.json"), vm.to_string()).unwrap();
    let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
    assert!(
        !inv.warnings
            .iter()
            .any(|w| w.contains(": portainer_role (")),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn ports_are_warned_only_for_containers_without_ollama() {
    // CT 914's ports give Ollama its port (phx-recipes' ollama); the
    // others' are forwarded by nothing.
    let inv = load(&Input::Dir(upstream())).unwrap_or_else(|p| panic!("{p}"));
    let said: Vec<&String> = inv
        .warnings
        .iter()
        .filter(|w| w.contains(": ports ("))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].ends_with("phoenix_lxc_configs.json: ports (CT 801, CT 802, CT 917): not handled, ignored: no host port is forwarded into a container; reach it at its own address (phx-fw opens the declared flows); only the \"ollama\" feature reads it (the port Ollama listens on), and these containers do not list it"),
        "{}",
        said[0]
    );
}
