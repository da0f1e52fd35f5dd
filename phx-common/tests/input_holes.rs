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
    // Any other address of the subnet is a host's.
    ok(load_edited(|d| {
        d[LXC]["lxc_configs"]["900"]["network_config"]["ip"] = json!("10.0.0.200/24")
    }));
}

/// The example with the Base-Template (CT 900) entry edited.
fn ct900(edit: impl FnOnce(&mut Value)) -> Result<phx_common::Inventory, Problems> {
    load_edited(|d| edit(&mut d[LXC]["lxc_configs"]["900"]))
}

const CT900: &str = "lxc_configs.\"900\"";

#[test]
fn a_duration_past_gos_time_duration_is_refused() {
    let got =
        load_edited(|d| d[HYP]["step_ca"]["default_tls_cert_duration"] = json!("999999999999h"));
    refused(
        got,
        HYP,
        "step_ca.default_tls_cert_duration",
        "at most 2562047h",
    );
    ok(load_edited(|d| {
        d[HYP]["step_ca"]["default_tls_cert_duration"] = json!("2562047h")
    }));
}

#[test]
fn a_template_volume_id_is_one_pve_storage_parses() {
    for bad in [
        "local:vztmpl/../../../etc/shadow.tar.zst",
        "local:vztmpl/sub/debian.tar.zst",
        "local:../debian.tar.zst",
        "local:vztmpl/debian.iso",
        "/var/lib/vz/template/cache/../../../../etc/x.tar.zst",
        "/var/lib/vz//template/cache/x.tar.zst",
        "/",
    ] {
        refused(
            ct900(|e| e["template"] = json!(bad)),
            LXC,
            &format!("{CT900}.template"),
            "template volume ID",
        );
    }
    for good in [
        "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "nfs-1:vztmpl/alpine.TAR.GZ",
        "/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    ] {
        ok(ct900(|e| e["template"] = json!(good)));
    }
}

#[test]
fn an_apparmor_profile_line_holds_a_profile_name_only() {
    let got = ct900(|e| e["lxc_options"] = json!(["lxc.apparmor.profile=unconfined # x"]));
    refused(
        got,
        LXC,
        &format!("{CT900}.lxc_options[0]"),
        "unconfined, generated or a profile name",
    );
    for good in ["unconfined", "generated", "lxc-container-default-cgns"] {
        ok(ct900(|e| {
            e["lxc_options"] = json!([format!("lxc.apparmor.profile: {good}")])
        }));
    }
}

#[test]
fn a_host_path_not_in_normal_form_is_refused_with_the_normal_form() {
    let got = ct900(|e| {
        e["mount_points"] = json!([{"host_path": "//mnt//pve//ssl/", "container_path": "/ssl"}])
    });
    let p = refused(
        got,
        LXC,
        &format!("{CT900}.mount_points[0].host_path"),
        "\"/mnt/pve/ssl\"",
    );
    assert!(
        p.list.iter().any(|x| x.value == "\"//mnt//pve//ssl/\""),
        "{p}"
    );
    for bad in ["/mnt/./pve", "/mnt/pve/../ssl", "/mnt/pve/ssl/"] {
        refused(
            ct900(|e| e["mount_points"] = json!([{"host_path": bad, "container_path": "/ssl"}])),
            LXC,
            &format!("{CT900}.mount_points[0].host_path"),
            "normal form",
        );
    }
    ok(ct900(
        |e| e["mount_points"] = json!([{"host_path": "/mnt/pve/ssl", "container_path": "/ssl"}]),
    ));
}

#[test]
fn bidi_and_other_format_characters_are_refused_in_paths_and_strings() {
    for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{AD}'] {
        let path = format!("/mnt/pve/{c}lss");
        let got =
            ct900(|e| e["mount_points"] = json!([{"host_path": path, "container_path": "/ssl"}]));
        refused(
            got,
            LXC,
            &format!("{CT900}.mount_points[0].host_path"),
            "or format characters",
        );
        let got = load_edited(|d| d[HYP]["step_ca"]["ca_name"] = json!(format!("CA{c}")));
        refused(got, HYP, "step_ca.ca_name", "or format characters");
    }
}

#[test]
fn hooks_and_the_hosts_root_need_allow_dangerous_and_are_warned_about() {
    let hook = "lxc.hook.pre-start: /usr/local/bin/prepare";
    let root_entry = "lxc.mount.entry: / mnt/host none rbind,create=dir 0 0";
    for line in [hook, root_entry] {
        let got = ct900(|e| e["lxc_options"] = json!([line]));
        refused(
            got,
            LXC,
            &format!("{CT900}.lxc_options[0]"),
            "unless the entry says \"allow_dangerous\": true",
        );
    }
    let got = ct900(|e| e["mount_points"] = json!([{"host_path": "/", "container_path": "/host"}]));
    refused(
        got,
        LXC,
        &format!("{CT900}.mount_points[0].host_path"),
        "allow_dangerous",
    );
    // Allowed, it is said on every load, naming each line.
    let inv = ok(ct900(|e| {
        e["allow_dangerous"] = json!(true);
        e["lxc_options"] = json!([hook, root_entry]);
        e["mount_points"] = json!([{"host_path": "/", "container_path": "/host"}]);
    }));
    assert_eq!(inv.lxcs[&900].lxc_options.len(), 2);
    for (at, what) in [
        ("lxc_options[0]", "runs a command as root on the host"),
        ("lxc_options[1]", "mounts the host's /"),
        ("mount_points[0].host_path", "mounts the host's /"),
    ] {
        assert!(
            inv.warnings
                .iter()
                .any(|w| w.contains(&format!("{CT900}.{at}:")) && w.contains(what)),
            "{at}: {:?}",
            inv.warnings
        );
    }
    // `false` is the default, said or not.
    let got = ct900(|e| {
        e["allow_dangerous"] = json!(false);
        e["lxc_options"] = json!([hook]);
    });
    refused(
        got,
        LXC,
        &format!("{CT900}.lxc_options[0]"),
        "allow_dangerous",
    );
}

#[test]
fn lxc_option_keys_are_those_pve_container_keeps() {
    for (line, expected) in [
        ("lxc.foo.bar: 1", "Proxmox drops any other"),
        ("lxc.rootfs.options: noatime", "no lxc.rootfs.options"),
        ("lxc.rootfs.path: /x", "no lxc.rootfs.path"),
        ("lxc.aa_profile: unconfined", "lxc.apparmor.profile instead"),
        ("lxc.limit.nofile: 1024", "lxc.prlimit.nofile instead"),
    ] {
        let got = ct900(|e| e["lxc_options"] = json!([line]));
        refused(got, LXC, &format!("{CT900}.lxc_options[0]"), expected);
    }
    let inv = ok(ct900(|e| {
        e["lxc_options"] = json!([
            "lxc.cgroup2.devices.allow: c 10:200 rwm",
            "lxc.mount.entry: /dev/net dev/net none bind,create=dir",
            "lxc.prlimit.nofile: 1048576",
        ])
    }));
    assert_eq!(inv.lxcs[&900].lxc_options.len(), 3);
}

/// The example's documents as text, each value set to a `@name@` string by
/// `mark` replaced by the raw JSON text `raw` gives for that name: JSON with
/// a key given twice cannot be built as a `Value`.
fn texts_with(mark: impl FnOnce(&mut [Value; 3]), raw: &[(&str, &str)]) -> [String; 3] {
    let mut docs = example();
    mark(&mut docs);
    docs.map(|d| {
        let mut t = serde_json::to_string_pretty(&d).unwrap();
        for (name, text) in raw {
            t = t.replace(&format!("\"@{name}@\""), text);
        }
        t
    })
}

fn duplicate_at(p: &Problems, file: usize, path: &str) {
    assert!(
        p.list.iter().any(|x| x.file.ends_with(FILES[file])
            && x.path == path
            && x.value.starts_with("(duplicate key, lines ")
            && x.expected.contains("each key once")),
        "no duplicate at {} {path}: {p}",
        FILES[file]
    );
}

#[test]
fn a_key_given_twice_in_any_object_is_a_problem_at_its_path() {
    let docs = example();
    let ct900 = serde_json::to_string(&docs[LXC]["lxc_configs"]["900"]).unwrap();
    // A CTID twice: the first container would vanish.
    let lxcs = format!(r#"{{"900": {ct900}, "901": {ct900}, "900": {ct900}}}"#);
    // In an entry, in its shared network_config, in a skipped value.
    let entry = ct900
        .replacen(
            "\"memory_mb\":1024",
            "\"memory_mb\":1024,\"memory_mb\":4096",
            1,
        )
        .replacen(
            "\"network_config\":{",
            "\"network_config\":{\"bridge\":\"vmbr0\",",
            1,
        );
    assert_ne!(entry, ct900);
    let texts = texts_with(
        |d| {
            d[LXC]["lxc_configs"] = json!("@lxcs@");
            d[LXC]["tests"] = json!("@tests@");
            d[HYP]["firewall"]["aliases"] = json!("@aliases@");
            d[HYP]["firewall"]["global_firewall_rules"][0] = json!("@rule@");
            d[VM]["vms"][1]["name"] = json!("@name@");
        },
        &[
            (
                "lxcs",
                &lxcs.replacen(
                    &format!("\"901\": {ct900}"),
                    &format!("\"901\": {entry}"),
                    1,
                ),
            ),
            ("tests", r#"{"a": [{"b": 1, "b": 2}]}"#),
            ("aliases", r#"{"lan": "10.0.0.0/24", "lan": "10.0.1.0/24"}"#),
            (
                "rule",
                r#"{"type": "in", "action": "DROP", "action": "ACCEPT", "proto": "icmp"}"#,
            ),
            ("name", r#""Portainer", "name": "Other""#),
        ],
    );
    let p = load_texts(texts).expect_err("duplicates loaded");
    duplicate_at(&p, LXC, "lxc_configs.\"900\"");
    duplicate_at(&p, LXC, "lxc_configs.\"901\".memory_mb");
    duplicate_at(&p, LXC, "lxc_configs.\"901\".network_config.bridge");
    duplicate_at(&p, LXC, "tests.a[0].b");
    duplicate_at(&p, HYP, "firewall.aliases.lan");
    duplicate_at(&p, HYP, "firewall.global_firewall_rules[0].action");
    duplicate_at(&p, VM, "vms[1].name");
    assert_eq!(
        p.list
            .iter()
            .filter(|x| x.value.starts_with("(duplicate key"))
            .count(),
        7,
        "{p}"
    );
}

#[test]
fn a_key_given_twice_at_a_documents_top_or_in_a_stream_is_a_problem() {
    let texts = texts_with(
        |d| d[HYP]["version"] = json!("@version@"),
        &[("version", "\"1\", \"network\": {},\n  \"version\": \"2\"")],
    );
    // Both occurrences are named by their lines.
    let first = 1 + texts[HYP]
        .lines()
        .position(|l| l.contains("\"version\": \"1\""))
        .unwrap();
    let p = load_texts(texts).expect_err("duplicates loaded");
    duplicate_at(&p, HYP, "network");
    let version = p
        .list
        .iter()
        .find(|x| x.path == "version")
        .expect("version");
    assert_eq!(
        version.value,
        format!("(duplicate key, lines {first} and {})", first + 1)
    );
    // Documents on stdin are parsed whole, not streamed: the same check.
    let docs = example();
    let ct900 = serde_json::to_string(&docs[LXC]["lxc_configs"]["900"]).unwrap();
    let texts = texts_with(
        |d| d[LXC]["lxc_configs"] = json!("@lxcs@"),
        &[("lxcs", &format!(r#"{{"900": {ct900}, "900": {ct900}}}"#))],
    );
    let p =
        phx_common::config::load::load_stream(&mut texts.concat().as_bytes(), Options::default())
            .expect_err("duplicates loaded");
    assert!(
        p.list
            .iter()
            .any(|x| x.path == "lxc_configs.\"900\""
                && x.value.starts_with("(duplicate key, lines ")),
        "{p}"
    );
}

/// Every object of `v` at JSON pointer and loader path, depth first.
fn objects(v: &Value, pointer: String, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if !m.is_empty() {
                out.push((pointer.clone(), path.clone()));
            }
            for (k, x) in m {
                let key_ptr = k.replace('~', "~0").replace('/', "~1");
                let at = phx_common::config::reader::join_key(&path, k);
                objects(x, format!("{pointer}/{key_ptr}"), at, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                objects(x, format!("{pointer}/{i}"), format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_object_of_the_upstream_files_and_the_example_reports_a_repeated_key() {
    // The original system's files hold every kind of object the loader
    // reads (sections, named entries, values it skips); the example, the
    // rest. In each object in turn, its first key is given twice.
    let upstream =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream");
    let sets = [
        example(),
        FILES.map(|f| {
            serde_json::from_str(&std::fs::read_to_string(upstream.join(f)).unwrap()).unwrap()
        }),
    ];
    let mut checked = 0;
    for docs in sets {
        for file in [HYP, LXC, VM] {
            let mut found = Vec::new();
            objects(&docs[file], String::new(), String::new(), &mut found);
            for (pointer, path) in found {
                let mut edited = docs.clone();
                let object = edited[file].pointer(&pointer).unwrap().clone();
                let (k, v) = object.as_object().unwrap().iter().next().unwrap();
                let twice = format!(
                    "{{{}: {}, {}",
                    serde_json::to_string(k).unwrap(),
                    v,
                    &serde_json::to_string(&object).unwrap()[1..]
                );
                if pointer.is_empty() {
                    edited[file] = json!("@dup@");
                } else {
                    *edited[file].pointer_mut(&pointer).unwrap() = json!("@dup@");
                }
                let texts = edited.map(|d| serde_json::to_string(&d).unwrap());
                let texts = texts.map(|t| t.replace("\"@dup@\"", &twice));
                let key_path = phx_common::config::reader::join_key(&path, k);
                let Err(p) = load_texts(texts) else {
                    panic!("{key_path} given twice loaded");
                };
                duplicate_at(&p, file, &key_path);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} objects");
}
