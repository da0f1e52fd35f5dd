//! Value by value, the schema says what the loader says: many candidate
//! values (numbers as strings, signs, padding, bounds, separators, control
//! characters, IPv6 forms, case…) are put into one field of the example at
//! a time; the loader's verdict at that field (a problem there, or none)
//! must be the schema's (a violation there, or none), per python3-jsonschema.

mod common;

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
    ("lxc", "/lxc_configs/110/dns_records/0/hostname"),
    ("vm", "/vms/0/template_image"),
    ("vm", "/vms/1/mac_address"),
    ("vm", "/vms/1/boot_delay"),
    ("vm", "/vms/1/user_config"),
    ("vm", "/vm_defaults/cores"),
    ("vm", "/vm_defaults/network_bridge"),
];

fn candidates() -> Vec<Value> {
    let strings = [
        "",
        " ",
        "0",
        "00",
        "1",
        "+5",
        "-1",
        "15",
        "16",
        "100",
        "0100",
        " 2048 ",
        "2048\n",
        "65535",
        "65536",
        "4294967295",
        "4294967296",
        "99999999999999999999",
        "abc",
        "ABC",
        "a b",
        "a,b",
        "a-b",
        "-ab",
        "ab-",
        "a_b",
        "a.b",
        "a..b",
        "current",
        "1st",
        "ab",
        "/",
        "/x",
        "/x/../y",
        "/x/./y",
        "/x/.y",
        "/x,y",
        "/x y",
        "x/y",
        "..",
        "lxc.a=b",
        "lxc.a: b",
        " lxc.a.b-c = d e ",
        "lxc.A=b",
        "lxc.a=",
        "lxc=b",
        "none",
        "NONE",
        " none ",
        "0,1",
        "0, 1",
        "1,x",
        "nesting=1",
        "nesting=yes,keyctl=0",
        " fuse = off ",
        "mount=nfs;cifs",
        "nesting=maybe",
        "mount=",
        "BC:24:11:00:AA:01",
        "bc:24:11:00:aa:01",
        "BD:24:11:00:AA:01",
        "BC:24:11:00:AA",
        "10.0.0.5",
        "10.0.0.5/24",
        "10.0.0.5/7",
        "10.0.0.5/08",
        "10.0.0.5/33",
        "10.0.0.256",
        "010.0.0.5",
        "::1",
        "fe80::1",
        "::ffff:1.2.3.4",
        "64:ff9b::1.2.3.4",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "8.8.8.8, 1.1.1.1",
        "8.8.8.8;;::1",
        "dhcp",
        "manual",
        "DHCP",
        "ACCEPT",
        "accept",
        "Drop",
        "in",
        "IN",
        "sideways",
        "24h",
        "90m",
        "0h",
        "1d",
        "+24h",
        "024h",
        "local:vztmpl/x.tar.zst",
        "local:",
        "local:a,b",
        "/srv/t.tar.zst",
        "vmbr0",
        "eth0 eth1",
        "eth-0",
        "eth0.10",
        "a23456789012345",
        "a234567890123456",
        "80:8080",
        " 80 : 8080 ",
        "0:80",
        "80:",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me",
        "ssh-rsa short",
        "Grüße",
        "ok\u{2028}x",
        "tab\tx",
        "nul\u{0}x",
        "esc\u{1b}x",
        "*.apps",
        "apps.example",
        "xn--bcher-kva.example",
    ];
    let mut out: Vec<Value> = strings.iter().map(|s| json!(s)).collect();
    out.push(json!("a".repeat(63)));
    out.push(json!("a".repeat(64)));
    out.push(json!(format!("{}.x", vec!["a".repeat(63); 4].join("."))));
    out.push(json!("n".repeat(41)));
    out.push(json!("n".repeat(40)));
    out.push(json!(format!("N{}", "x".repeat(63))));
    out.push(json!(format!("N{}", "x".repeat(64))));
    for n in [
        json!(0),
        json!(1),
        json!(2),
        json!(15),
        json!(16),
        json!(100),
        json!(8192),
        json!(8193),
        json!(65535),
        json!(65536),
        json!(-1),
        json!(4294967295u64),
        json!(4294967296u64),
        json!(1.5),
    ] {
        out.push(n);
    }
    out.extend([
        json!(true),
        json!(false),
        json!([]),
        json!(["10.0.0.1"]),
        json!(["x"]),
        json!([1]),
        json!(["nesting=1", "fuse=0"]),
        json!(["80:8080", "x"]),
        json!(["lxc.a=b"]),
        json!({}),
        json!({"a": 1}),
        json!({"username": "ops"}),
        json!({"username": "Ops"}),
        json!({"ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me"]}),
        json!({"ssh_keys": "ssh-rsa x"}),
    ]);
    out
}

/// The loader's verdict at `path` of document `doc` (in `File::ALL` order).
fn loader_refuses(docs: &[Value; 3], doc: usize, path: &str) -> Result<bool, String> {
    let mut stream = Vec::new();
    for d in docs {
        stream.extend(serde_json::to_vec(d).unwrap());
        stream.push(b'\n');
    }
    let name = format!("<stdin document {}>", doc + 1);
    match load_stream(&mut stream.as_slice(), Options { strict: true }) {
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

/// phx-fw refusals that join the value to something else, or do
/// arithmetic inside it: the schema leaves them to phx-fw (bad_inputs.json
/// lists them), so a trial they decide says nothing about the schema.
const BEYOND_THE_SCHEMA: &[&str] = &[
    "alias defined",
    "IP set defined",
    "security group defined",
    "host bits",
    "above its end",
    "above its last",
    "at most 15",
    "address family",
];

/// Rule fields, each in a rule appended to the cluster firewall with the
/// other fields it needs: what phx-fw accepts is the verdict.
const RULE_FIELDS: &[(&str, &str)] = &[
    (
        "port",
        r#"{"type": "in", "action": "ACCEPT", "proto": "tcp"}"#,
    ),
    (
        "sport",
        r#"{"type": "in", "action": "ACCEPT", "proto": "udp"}"#,
    ),
    (
        "port",
        r#"{"type": "in", "action": "ACCEPT", "proto": "icmp"}"#,
    ),
    ("port", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("proto", r#"{"type": "in", "action": "ACCEPT"}"#),
    (
        "proto",
        r#"{"type": "in", "action": "ACCEPT", "port": "22"}"#,
    ),
    ("source", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("dest", r#"{"type": "out", "action": "DROP"}"#),
    ("iface", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("log", r#"{"type": "in", "action": "ACCEPT"}"#),
    ("action", r#"{"type": "in"}"#),
    ("action", r#"{"type": "forward"}"#),
    ("action", r#"{"type": "group"}"#),
    ("macro", r#"{"type": "in", "action": "ACCEPT"}"#),
    (
        "icmp_type",
        r#"{"type": "in", "action": "ACCEPT", "proto": "icmp"}"#,
    ),
    (
        "icmp_type",
        r#"{"type": "in", "action": "ACCEPT", "proto": "tcp"}"#,
    ),
    ("type", r#"{"action": "ACCEPT"}"#),
];

fn rule_candidates() -> Vec<Value> {
    let firewall = [
        "tcp",
        "udp",
        "TCP",
        "6",
        "006",
        "0006",
        "0",
        "ip",
        "hopopt",
        "icmp",
        "icmpv6",
        "ipv6-icmp",
        "58",
        "255",
        "256",
        "22",
        "ssh",
        "ssh,https",
        "8000:8010",
        "9:1",
        "1:2,3:4",
        "00022",
        "000022",
        "65535",
        "65536",
        "22,",
        ",22",
        "echo-request",
        "any",
        "8",
        "3/1",
        "3/256",
        "echo-requets",
        "+management",
        "+Management",
        "+dc/management",
        "+sdn/x",
        "+guest/x",
        "+m",
        "admin_lan",
        "dc/admin_lan",
        "guest/admin_lan",
        "sdn/x",
        "10.0.0.0/24",
        "10.0.0.0/024",
        "10.0.0.1-10.0.0.9",
        "10.0.0.1,10.0.0.2",
        "10.0.0.1,fe80::1",
        "fe80::/64",
        "fe80::/129",
        "10.0.0.0/33",
        "vmbr0",
        "vmbr0.10",
        "bond0:1",
        "net0",
        "eth-0",
        "e",
        "nolog",
        "info",
        "warn",
        "warning",
        "ACCEPT",
        "accept",
        "DROP",
        "REJECT",
        "SSH(ACCEPT)",
        "ssh(DROP)",
        "FOO(ACCEPT)",
        "SSH(accept)",
        "SSH(REJECT)",
        "Web_1",
        "in",
        "out",
        "forward",
        "group",
        "GROUP",
        "Forward",
    ];
    let mut out: Vec<Value> = firewall.iter().map(|s| json!(s)).collect();
    out.extend(candidates());
    out
}

#[test]
fn rule_fields_agree_with_phx_fw() {
    let rules = "/firewall/global_firewall_rules";
    let mut trials = Vec::new();
    let mut beyond = 0;
    for (field, base) in RULE_FIELDS {
        for value in rule_candidates() {
            let mut docs = example();
            let hyp = &mut docs[index(File::Hypervisor)];
            let at = hyp.pointer(rules).unwrap().as_array().unwrap().len();
            let mut rule: Value = serde_json::from_str(base).unwrap();
            rule[*field] = value.clone();
            set(hyp, &format!("{rules}/{at}"), rule);
            // The verdict is the rule's: the schema, like phx-fw, relates
            // a rule's fields (a port to its protocol…).
            let path = pointer_path(hyp, &format!("{rules}/{at}"));
            let problems = refusals(&docs, true);
            if problems
                .iter()
                .any(|p| BEYOND_THE_SCHEMA.iter().any(|m| p.expected.contains(m)))
            {
                beyond += 1;
                continue;
            }
            let here = problems.iter().any(|p| related(&p.path, &path));
            if let Some(other) = problems.iter().find(|p| !here && !related(&p.path, &path)) {
                panic!("{base} with {field} = {value}: refused elsewhere: {other}");
            }
            let doc = docs[index(File::Hypervisor)].clone();
            trials.push((*base, *field, value, path, here, doc));
        }
    }
    let docs: Vec<(File, Value)> = trials
        .iter()
        .map(|t| (File::Hypervisor, t.5.clone()))
        .collect();
    let Some(result) = validate(&docs) else {
        return;
    };
    let mut disagree = Vec::new();
    for ((base, field, value, path, refused, _), errors) in trials.iter().zip(&result) {
        let schema = errors.iter().any(|e| related(&e.path, path));
        let elsewhere: Vec<_> = errors.iter().filter(|e| !related(&e.path, path)).collect();
        if schema != *refused || !elsewhere.is_empty() {
            disagree.push(format!(
                "{base} with {field} = {value}: phx-fw {}, schema {} {elsewhere:?}",
                if *refused { "refuses" } else { "accepts" },
                if schema { "refuses" } else { "accepts" },
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} disagree ({beyond} left to phx-fw):\n{}",
        disagree.len(),
        trials.len(),
        disagree.join("\n")
    );
}
