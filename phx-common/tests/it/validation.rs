//! One failing case per validation rule: each must be reported with its file,
//! its JSON path and what was expected — and nothing may load.

use phx_common::config::{load, Input, Problems};
use serde_json::{json, Value};
use std::path::PathBuf;

const FILES: [&str; 3] = [
    "phoenix_hypervisor_config.json",
    "phoenix_lxc_configs.json",
    "phoenix_vm_configs.json",
];

fn example() -> [Value; 3] {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/etc");
    FILES.map(|f| serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap())
}

/// Loads the example after `edit`; returns the problems (panics if it loads).
fn problems(edit: impl FnOnce(&mut [Value; 3])) -> Problems {
    let mut docs = example();
    edit(&mut docs);
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    match load(&Input::Dir(dir.path().to_path_buf())) {
        Ok(_) => panic!("the edited configuration loaded without problems"),
        Err(p) => p,
    }
}

/// Asserts one problem names `file` and `path`, and its expectation contains `expected`.
fn assert_problem(p: &Problems, file: &str, path: &str, expected: &str) {
    let hit = p
        .list
        .iter()
        .any(|x| x.file.ends_with(file) && x.path == path && x.expected.contains(expected));
    assert!(
        hit,
        "no problem at {file}: {path} expecting {expected:?}; got:\n{p}"
    );
}

const HYP: usize = 0;
const LXC: usize = 1;
const VM: usize = 2;
const HYP_F: &str = FILES[HYP];
const LXC_F: &str = FILES[LXC];
const VM_F: &str = FILES[VM];

#[test]
fn bad_cidr() {
    let p =
        problems(|d| d[LXC]["lxc_configs"]["110"]["network_config"]["ip"] = json!("10.0.0.300/24"));
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".network_config.ip",
        "IPv4 CIDR",
    );
    let line = p.list[0].to_string();
    assert!(
        line.contains(
            "phoenix_lxc_configs.json: lxc_configs.\"110\".network_config.ip: \"10.0.0.300/24\":"
        ),
        "{line}"
    );
}

#[test]
fn bad_ip_in_a_list() {
    let p = problems(|d| {
        d[HYP]["network"]["interfaces"]["dns_nameservers"] = json!(["10.0.0.1", "nine"])
    });
    assert_problem(
        &p,
        HYP_F,
        "network.interfaces.dns_nameservers[1]",
        "IP address",
    );
}

#[test]
fn host_gateway_outside_its_subnet() {
    let p = problems(|d| d[HYP]["network"]["interfaces"]["gateway"] = json!("10.9.9.1"));
    assert_problem(
        &p,
        HYP_F,
        "network.interfaces.gateway",
        "inside 10.0.0.0/24",
    );
}

#[test]
fn guest_gateway_outside_its_subnet() {
    let p = problems(|d| d[LXC]["lxc_configs"]["110"]["network_config"]["gw"] = json!("10.0.1.1"));
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".network_config.gw",
        "inside 10.0.0.0/24",
    );
}

#[test]
fn bad_and_repeated_ollama_models() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["ollama_models"] = json!([
            "llama3",
            "library/nomic-embed-text:v1.5",
            "bad model",
            "llama3",
            "-x"
        ]);
    });
    for i in [2, 3, 4] {
        assert_problem(
            &p,
            LXC_F,
            &format!("lxc_configs.\"110\".ollama_models[{i}]"),
            "an Ollama model name, [namespace/]model[:tag]",
        );
    }
    let at: Vec<&str> = p.list.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(at.len(), 3, "{at:?}");
}

#[test]
fn bad_and_multicast_macs() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["mac_address"] = json!("BC:24:11:00:01");
        d[LXC]["lxc_configs"]["111"]["mac_address"] = json!("01:00:5E:00:00:01");
    });
    assert_problem(&p, LXC_F, "lxc_configs.\"110\".mac_address", "unicast MAC");
    assert_problem(&p, LXC_F, "lxc_configs.\"111\".mac_address", "unicast MAC");
}

#[test]
fn bad_ports() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["ports"] = json!(["70000:80"]);
        d[LXC]["lxc_configs"]["110"]["traefik_service"]["port"] = json!(0);
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".ports[0]",
        "HOST_PORT:GUEST_PORT",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".traefik_service.port",
        "1 to 65535",
    );
}

#[test]
fn bad_names() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["name"] = json!("git_ea");
        d[HYP]["network"]["hostname"] = json!("pve.example");
        d[HYP]["domain_name"] = json!("-bad.example");
        d[VM]["vms"][1]["dns_records"][0]["hostname"] = json!("port ainer.example");
    });
    assert_problem(&p, LXC_F, "lxc_configs.\"110\".name", "RFC 1123");
    assert_problem(&p, HYP_F, "network.hostname", "one RFC 1123 label");
    assert_problem(&p, HYP_F, "domain_name", "RFC 1123");
    assert_problem(&p, VM_F, "vms[1].dns_records[0].hostname", "RFC 1123");
}

#[test]
fn ids_out_of_range() {
    let p = problems(|d| {
        let c = d[LXC]["lxc_configs"]["110"].clone();
        d[LXC]["lxc_configs"]["99"] = c;
        d[VM]["vms"][1]["vmid"] = json!(1_000_000_000u64);
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"99\"",
        "CTID from 100 to 999999999",
    );
    assert_problem(&p, VM_F, "vms[1].vmid", "from 100 to 999999999");
}

#[test]
fn duplicates() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["111"]["network_config"]["ip"] = json!("10.0.0.110/24");
        d[LXC]["lxc_configs"]["111"]["mac_address"] = json!("BC:24:11:00:01:10");
        d[VM]["vms"][2]["name"] = json!("gitea");
        d[VM]["vms"][1]["vmid"] = json!(110);
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"111\".network_config.ip",
        "lxc_configs.\"110\".network_config.ip has it already",
    );
    assert_problem(&p, LXC_F, "lxc_configs.\"111\".mac_address", "unique MAC");
    assert_problem(&p, VM_F, "vms[2].name", "unique guest name");
    assert_problem(&p, VM_F, "vms[1].vmid", "unique guest ID");
}

#[test]
fn host_address_collides_with_a_guest() {
    let p =
        problems(|d| d[LXC]["lxc_configs"]["111"]["network_config"]["ip"] = json!("10.0.0.13/24"));
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"111\".network_config.ip",
        "network.interfaces.address has it already",
    );
}

#[test]
fn unknown_dependency_and_missing_clone_source() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["dependencies"] = json!(["555"]);
        d[LXC]["lxc_configs"]["111"]["clone_from_ctid"] = json!("904");
        d[VM]["vms"][1]["clone_from_vmid"] = json!(9001);
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".dependencies[0]",
        "a guest defined",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"111\".clone_from_ctid",
        "container defined",
    );
    assert_problem(&p, VM_F, "vms[1].clone_from_vmid", "VM defined");
}

#[test]
fn dependency_cycle_is_named() {
    let p = problems(|d| d[LXC]["lxc_configs"]["103"]["dependencies"] = json!(["110"]));
    let hit = p
        .list
        .iter()
        .find(|x| x.expected.contains("no cycle"))
        .unwrap_or_else(|| panic!("{p}"));
    // 103 -> 110 -> 102 -> 103, in some rotation.
    for id in ["103", "110", "102"] {
        assert!(hit.value.contains(id), "{hit}");
    }
}

#[test]
fn clone_cycle_is_named() {
    let p = problems(|d| d[LXC]["lxc_configs"]["900"]["clone_from_ctid"] = json!("103"));
    let hit = p
        .list
        .iter()
        .find(|x| x.expected.contains("no cycle"))
        .unwrap_or_else(|| panic!("{p}"));
    assert!(
        hit.value.contains("900") && hit.value.contains("103"),
        "{hit}"
    );
}

#[test]
fn line_breaking_values_are_rejected() {
    let p = problems(|d| {
        d[HYP]["firewall"]["global_firewall_rules"][0]["comment"] = json!("ok\n[RULES]\nIN ACCEPT");
        d[LXC]["lxc_configs"]["110"]["template_snapshot_name"] = json!("snap\rx");
        d[VM]["vms"][1]["name"] = json!("Port\u{0}ainer");
    });
    assert_problem(
        &p,
        HYP_F,
        "firewall.global_firewall_rules[0].comment",
        "single-line",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".template_snapshot_name",
        "single-line",
    );
    assert_problem(&p, VM_F, "vms[1].name", "single-line");
}

#[test]
fn property_string_breaking_paths_are_rejected() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["102"]["mount_points"][0]["container_path"] = json!("/ssl,ro=0")
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"102\".mount_points[0].container_path",
        "absolute path without ','",
    );
}

#[test]
fn trusted_ca_needs_exactly_one_step_ca() {
    let p = problems(|d| d[LXC]["lxc_configs"]["103"]["features"] = json!(["base_setup"]));
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"102\".features",
        "\"step_ca\" feature",
    );
    let p = problems(|d| d[LXC]["lxc_configs"]["111"]["features"] = json!(["step_ca"]));
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"111\".features",
        "exactly one step_ca guest",
    );
}

#[test]
fn conflicting_explicit_records_name_both_places() {
    let p = problems(|d| {
        d[VM]["vms"][1]["dns_records"][0] =
            json!({"hostname": "gitea.internal.thinkheads.ai", "ip": "10.0.0.99"})
    });
    assert_problem(
        &p,
        VM_F,
        "vms[1].dns_records[0]",
        "lxc_configs.\"110\".dns_records[0] maps it to 10.0.0.110",
    );
}

#[test]
fn wrong_types_are_reported_not_fatal() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["memory_mb"] = json!("lots");
        d[LXC]["lxc_configs"]["110"]["start_at_boot"] = json!("yes");
        d[HYP]["dns_server"]["upstream_servers"] = json!(42);
    });
    assert_problem(&p, LXC_F, "lxc_configs.\"110\".memory_mb", "integer");
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"110\".start_at_boot",
        "true or false",
    );
    assert_problem(&p, HYP_F, "dns_server.upstream_servers", "list of strings");
}

#[test]
fn every_problem_is_reported_at_once() {
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["110"]["network_config"]["ip"] = json!("nope");
        d[HYP]["network"]["interfaces"]["address"] = json!("10.0.0.13");
        d[VM]["vms"][1]["network_config"]["gw"] = json!("x");
    });
    assert!(p.list.len() >= 3, "{p}");
}

#[test]
fn cross_checks_report_in_their_order() {
    // The checks across the inventory run on two threads; their problems
    // still come in one order: IDs, addresses and names, references,
    // cycles, the CA, explicit records.
    let p = problems(|d| {
        d[VM]["vms"][1]["vmid"] = json!(110);
        d[LXC]["lxc_configs"]["111"]["network_config"]["ip"] = json!("10.0.0.110/24");
        d[LXC]["lxc_configs"]["110"]["dependencies"] = json!(["102", "555"]);
        d[LXC]["lxc_configs"]["103"]["dependencies"] = json!(["110"]);
        d[LXC]["lxc_configs"]["111"]["features"] = json!(["step_ca"]);
        d[VM]["vms"][2]["dns_records"] =
            json!([{"hostname": "gitea.internal.thinkheads.ai", "ip": "10.0.0.99"}]);
    });
    let want = [
        "unique guest ID",
        "unique IP address",
        "the ID of a guest defined",
        "no cycle",
        "exactly one step_ca guest",
        "one address per name",
    ];
    let got: Vec<usize> = want
        .iter()
        .map(|w| {
            p.list
                .iter()
                .position(|x| x.expected.contains(w))
                .unwrap_or_else(|| panic!("no problem expecting {w:?}; got:\n{p}"))
        })
        .collect();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}:\n{p}");
}

#[test]
fn missing_hypervisor_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = load(&Input::Dir(dir.path().to_path_buf())).unwrap_err();
    assert!(
        p.to_string().contains("phoenix_hypervisor_config.json"),
        "{p}"
    );
}

#[test]
fn unrecognised_documents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.json");
    std::fs::write(&f, r#"{"hello": 1}"#).unwrap();
    let p = load(&Input::Files(vec![f])).unwrap_err();
    assert!(p.to_string().contains("x.json: (document)"), "{p}");
}

#[test]
fn firewall_may_live_at_top_level_or_under_shared_volumes() {
    let mut docs = example();
    let fw = docs[HYP]
        .as_object_mut()
        .unwrap()
        .remove("firewall")
        .unwrap();
    docs[HYP]["shared_volumes"] = json!({ "firewall": fw });
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap();
    assert_eq!(inv.host.firewall_path, "shared_volumes.firewall");
    assert_eq!(inv.host.firewall.unwrap().rules.len(), 8);
    assert!(
        !inv.warnings
            .iter()
            .any(|w| w.contains("shared_volumes.firewall")),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn a_firewall_at_both_places_reads_the_top_level_one_and_says_so() {
    let mut docs = example();
    docs[HYP]["shared_volumes"] = json!({ "firewall": {"global_firewall_rules": []} });
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap();
    assert_eq!(inv.host.firewall_path, "firewall");
    assert_eq!(inv.host.firewall.unwrap().rules.len(), 8);
    let said: Vec<&String> = inv
        .warnings
        .iter()
        .filter(|w| w.contains("shared_volumes.firewall: ignored"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", inv.warnings);
}

#[test]
fn a_wildcard_and_an_exact_record_of_one_name_may_differ() {
    let mut docs = example();
    docs[VM]["vms"][2]["dns_records"] = json!([
        {"hostname": "*.apps.internal.thinkheads.ai", "ip": "10.0.0.12"},
        {"hostname": "apps.internal.thinkheads.ai", "ip": "10.0.0.102"}
    ]);
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
    // Two wildcards for one name still conflict.
    let p = problems(|d| {
        d[VM]["vms"][2]["dns_records"] = json!([
            {"hostname": "*.apps.internal.thinkheads.ai", "ip": "10.0.0.12"},
            {"hostname": "*.apps.internal.thinkheads.ai", "ip": "10.0.0.102"}
        ])
    });
    assert_problem(&p, VM_F, "vms[2].dns_records[1]", "one address per name");
}

#[test]
fn tokens_that_reach_pct_arguments_are_checked() {
    let p = problems(|d| {
        d[HYP]["proxmox_storage_ids"]["lxc_disks"] = json!("local-lvm,ro=1");
        d[HYP]["proxmox_defaults"]["lxc"]["features"] = json!("nesting=1,evil=1");
        d[LXC]["lxc_configs"]["110"]["storage_pool"] = json!("local lvm");
        d[LXC]["lxc_configs"]["102"]["pct_options"] = json!(["nesting=maybe"]);
        d[LXC]["lxc_configs"]["900"]["template"] = json!("local:vztmpl/x.tar.zst,size=1");
        d[LXC]["lxc_configs"]["900"]["template_snapshot_name"] = json!("1st");
        d[LXC]["lxc_configs"]["103"]["zfs_volumes"][0]["pool"] = json!("tank-persistent:x");
        d[LXC]["lxc_configs"]["111"]["apparmor_profile"] = json!("un confined");
    });
    assert_problem(&p, HYP_F, "proxmox_storage_ids.lxc_disks", "storage ID");
    assert_problem(&p, HYP_F, "proxmox_defaults.lxc.features", "pct feature");
    assert_problem(&p, LXC_F, "lxc_configs.\"110\".storage_pool", "storage ID");
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"102\".pct_options[0]",
        "pct feature",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"900\".template",
        "template volume ID",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"900\".template_snapshot_name",
        "snapshot name",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"103\".zfs_volumes[0].pool",
        "storage ID",
    );
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"111\".apparmor_profile",
        "AppArmor profile",
    );
}

#[test]
fn pct_features_in_every_spelling_pct_accepts_load() {
    let mut docs = example();
    docs[LXC]["lxc_configs"]["102"]["pct_options"] =
        json!(["nesting=1,keyctl=yes", "fuse=off", "mount=nfs;cifs"]);
    docs[HYP]["proxmox_defaults"]["lxc"]["features"] = json!("nesting=true");
    docs[HYP]["zfs"]["datasets"][0]["name"] = json!("persistent/data");
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in FILES.iter().zip(docs.iter()) {
        std::fs::write(dir.path().join(f), serde_json::to_vec(d).unwrap()).unwrap();
    }
    let inv = load(&Input::Dir(dir.path().to_path_buf())).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(
        inv.lxcs[&102].pct_options,
        ["nesting=1", "keyctl=1", "fuse=0", "mount=nfs;cifs"]
    );
    assert_eq!(inv.host.lxc_defaults.features.as_deref(), Some("nesting=1"));
    let p = problems(|d| d[HYP]["zfs"]["datasets"][0]["name"] = json!("persistent/../x"));
    assert_problem(&p, HYP_F, "zfs.datasets[0].name", "ZFS dataset");
}

#[test]
fn shared_volumes_are_read_with_their_mounts() {
    let inv = load(&Input::Dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream"),
    ))
    .unwrap();
    let names: Vec<&str> = inv
        .host
        .shared_volumes
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "ssl_certs",
            "nginx_sites",
            "nginx_logs",
            "ollama_models",
            "llamacpp_models",
            "vllm_models"
        ]
    );
    let ssl = &inv.host.shared_volumes[0];
    assert_eq!(ssl.host_path, "/mnt/pve/quickOS/shared-prod-data/ssl");
    let mounts: Vec<(u32, &str, &str)> = ssl
        .mounts
        .iter()
        .map(|m| (m.ctid, m.guest_path.as_str(), m.at.as_str()))
        .collect();
    assert_eq!(
        mounts,
        [
            (
                953,
                "/etc/nginx/ssl",
                "shared_volumes.ssl_certs.mounts.\"953\""
            ),
            (910, "/certs", "shared_volumes.ssl_certs.mounts.\"910\""),
            (954, "/certs", "shared_volumes.ssl_certs.mounts.\"954\""),
        ]
    );
    // The firewall beside them is still the cluster's.
    assert_eq!(inv.host.firewall_path, "shared_volumes.firewall");
}

#[test]
fn a_shared_volume_s_paths_and_containers_are_checked() {
    let p = problems(|d| {
        d[HYP]["shared_volumes"] = json!({
            "rel": {"host_path": "mnt/x", "mounts": {"110": "/x"}},
            "dots": {"host_path": "/mnt/pve/../x/", "mounts": {"110": "/y"}},
            "keys": {"host_path": "/mnt/pve/k", "mounts": {"abc": "/k", "0110": "/k", "110": "k"}},
            "none": {"mounts": {"110": "/n"}},
            "root": {"host_path": "/", "mounts": {"110": "/r"}},
            "odd": {"host_path": "/mnt/pve/o", "mounts": {"110": "/o"}, "owner": "root"},
            "flat": "/mnt/pve/f",
            "nul": null,
        })
    });
    let sv = "shared_volumes";
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.rel.host_path"),
        "an absolute path",
    );
    assert_problem(&p, HYP_F, &format!("{sv}.dots.host_path"), "normal form");
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.keys.mounts.abc"),
        "a CTID as the key",
    );
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.keys.mounts.\"0110\""),
        "a CTID as the key",
    );
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.keys.mounts.\"110\""),
        "an absolute path",
    );
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.none.host_path"),
        "the host directory to share",
    );
    assert_problem(
        &p,
        HYP_F,
        &format!("{sv}.root.host_path"),
        "mounts the host's /",
    );
    assert_problem(&p, HYP_F, &format!("{sv}.flat"), "an object");
    assert_problem(&p, HYP_F, &format!("{sv}.nul"), "an object");
    // An unknown key is a warning (a problem under --strict), as everywhere.
    assert!(
        !p.list
            .iter()
            .any(|x| x.path.starts_with("shared_volumes.odd")),
        "{p}"
    );
}

#[test]
fn a_guest_path_two_mounts_of_one_container_use_is_refused_naming_both() {
    // CT 102 mounts /mnt/pve/tank/persistent/ssl at /ssl already.
    let p = problems(|d| {
        d[HYP]["shared_volumes"] =
            json!({"certs": {"host_path": "/mnt/pve/tank/certs", "mounts": {"102": "/ssl"}}})
    });
    assert_problem(
        &p,
        HYP_F,
        "shared_volumes.certs.mounts.\"102\"",
        "a path inside CT 102 that no other mount of it uses (",
    );
    let x = p
        .list
        .iter()
        .find(|x| x.path.starts_with("shared_volumes"))
        .unwrap();
    assert!(
        x.expected.contains("phoenix_lxc_configs.json: lxc_configs.\"102\".mount_points[0].container_path mounts there too"),
        "{x}"
    );
    assert_eq!(x.value, "\"/ssl\"");
    // The same between a container's own volume and bind mount.
    let p = problems(|d| {
        d[LXC]["lxc_configs"]["103"]["mount_points"] =
            json!([{"host_path": "/mnt/pve/tank/ca", "container_path": "/etc/step-ca"}])
    });
    assert_problem(
        &p,
        LXC_F,
        "lxc_configs.\"103\".mount_points[0].container_path",
        "lxc_configs.\"103\".zfs_volumes[0].mount_point mounts there too",
    );
}
