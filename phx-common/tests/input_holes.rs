//! Values the loader used to accept and a real node (or another Phoenix
//! tool) would not (issue 21, items 7, 10, 11, 12, 19; issue 24, item 4):
//! each is a problem at its JSON path, and nothing is planned.

use phx_common::config::load::{load_with, Options};
use phx_common::config::{Input, Problems};
use serde_json::{json, Value};
use std::path::PathBuf;

const FILES: [&str; 3] = [
    "phoenix_hypervisor_config.json",
    "phoenix_lxc_configs.json",
    "phoenix_vm_configs.json",
];
const HYP: usize = 0;
const LXC: usize = 1;
const VM: usize = 2;

fn example() -> [Value; 3] {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
    FILES.map(|f| serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap())
}

/// The example's three documents as text after `edit`, loaded from a directory.
fn load_texts(texts: [String; 3]) -> Result<phx_common::Inventory, Problems> {
    let dir = tempfile::tempdir().unwrap();
    for (f, t) in FILES.iter().zip(texts.iter()) {
        std::fs::write(dir.path().join(f), t).unwrap();
    }
    load_with(&Input::Dir(dir.path().to_path_buf()), Options::default())
}

fn load_edited(edit: impl FnOnce(&mut [Value; 3])) -> Result<phx_common::Inventory, Problems> {
    let mut docs = example();
    edit(&mut docs);
    load_texts(docs.map(|d| serde_json::to_string_pretty(&d).unwrap()))
}

/// The load fails with a problem in `file` at `path` whose expectation holds `expected`.
fn refused(
    got: Result<phx_common::Inventory, Problems>,
    file: usize,
    path: &str,
    expected: &str,
) -> Problems {
    let p = match got {
        Ok(_) => panic!("accepted; expected a problem at {path}"),
        Err(p) => p,
    };
    assert!(
        p.list.iter().any(|x| x.file.ends_with(FILES[file])
            && x.path == path
            && x.expected.contains(expected)),
        "no problem at {} {path} expecting {expected:?}: {p}",
        FILES[file]
    );
    p
}

fn ok(got: Result<phx_common::Inventory, Problems>) -> phx_common::Inventory {
    got.unwrap_or_else(|p| panic!("{p}"))
}

#[test]
fn a_vm_default_bridge_with_options_of_its_own_is_refused() {
    let got = load_edited(|d| {
        d[VM]["vm_defaults"]["network_bridge"] = json!("vmbr0,firewall=0,tag=4095")
    });
    let p = refused(got, VM, "vm_defaults.network_bridge", "an interface name");
    assert!(p.list.iter().any(|x| x.value.contains("tag=4095")), "{p}");
    ok(load_edited(|d| {
        d[VM]["vm_defaults"]["network_bridge"] = json!("vmbr1")
    }));
}

#[test]
fn an_unknown_feature_is_refused_with_the_nearest_known_one() {
    let got = load_edited(|d| d[VM]["vms"][1]["features"] = json!(["docker", "tursted_ca"]));
    let p = refused(got, VM, "vms[1].features[1]", "did you mean trusted_ca?");
    assert!(p.list.iter().any(|x| x.value == "\"tursted_ca\""), "{p}");
    // Every feature of the original system is still read.
    let inv = ok(load_edited(|d| {
        d[LXC]["lxc_configs"]["900"]["features"] =
            json!("base_setup, docker,nvidia,ollama,portainer");
        d[VM]["vms"][1]["features"] =
            json!(["python_api_service", "vllm", "traefik", "trusted_ca"]);
    }));
    assert_eq!(inv.lxcs[&900].guest.features.len(), 5);
}

#[test]
fn a_subnets_network_or_broadcast_address_is_no_host_address() {
    let got = load_edited(|d| d[HYP]["network"]["interfaces"]["address"] = json!("10.0.0.0/24"));
    refused(
        got,
        HYP,
        "network.interfaces.address",
        "not its network address",
    );
    let got = load_edited(|d| {
        d[LXC]["lxc_configs"]["900"]["network_config"]["ip"] = json!("10.0.0.255/24")
    });
    refused(
        got,
        LXC,
        "lxc_configs.\"900\".network_config.ip",
        "not its broadcast address",
    );
    // A /31 has neither (RFC 3021): both of its addresses are hosts'.
    ok(load_edited(|d| {
        d[LXC]["lxc_configs"]["900"]["network_config"]["ip"] = json!("10.0.0.200/24")
    }));
}
