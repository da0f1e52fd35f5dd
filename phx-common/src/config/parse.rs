//! JSON documents → typed model. Every read goes through `Reader`, so a bad
//! value becomes a problem with its file and path, and parsing continues.

use super::model::*;
use super::names::is_dns_name;
use super::reader::{Node, Reader};
use std::collections::BTreeMap;
use std::net::IpAddr;

pub const MIN_ID: u64 = 100;
pub const MAX_ID: u64 = 999_999_999;
const LIST_SEPS: &[char] = &[' ', ',', ';'];

fn dns_name(r: &mut Reader, n: &Node) -> Option<String> {
    let s = r.str(n)?;
    if is_dns_name(&s) {
        Some(s)
    } else {
        r.bad(
            n,
            "a DNS name (RFC 1123: labels of letters, digits and '-', separated by dots)",
        );
        None
    }
}

fn ip_list(r: &mut Reader, n: &Node) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (s, item) in r.str_list(n, LIST_SEPS) {
        match s.parse::<IpAddr>() {
            Ok(ip) => out.push(ip),
            Err(_) => r
                .problems
                .push(item.file, item.path(), format!("{s:?}"), "an IP address"),
        }
    }
    out
}

/// An absolute path that can sit inside a Proxmox property string.
fn abs_path(r: &mut Reader, n: &Node) -> Option<String> {
    let s = r.str(n)?;
    if s.starts_with('/') && !s.contains(',') && !s.split('/').any(|c| c == ".." || c == ".") {
        Some(s)
    } else {
        r.bad(n, "an absolute path without ',', '.' or '..' components");
        None
    }
}

pub fn hypervisor(r: &mut Reader, root: &Node) -> Option<Host> {
    let before = r.problems.list.len();
    let domain = match root.get("domain_name") {
        Some(n) => dns_name(r, &n),
        None => {
            r.problems.push(
                root.file,
                "domain_name",
                "(missing)",
                "the internal DNS domain (required)",
            );
            None
        }
    };
    let network = match root.get("network") {
        Some(n) => host_network(r, &n),
        None => {
            r.problems.push(
                root.file,
                "network",
                "(missing)",
                "the host network object (required)",
            );
            None
        }
    };
    let (firewall, firewall_path) = match (
        root.get("firewall"),
        root.get("shared_volumes").and_then(|s| s.get("firewall")),
    ) {
        (Some(n), _) => (
            firewall(r, &n, "global_firewall_rules"),
            "firewall".to_string(),
        ),
        (None, Some(n)) => (
            firewall(r, &n, "global_firewall_rules"),
            "shared_volumes.firewall".to_string(),
        ),
        (None, None) => (None, String::new()),
    };
    let dns_server = match root.get("dns_server") {
        Some(n) if r.expect_object(&n) => DnsServer {
            enabled: r.opt_bool(&n, "enabled").unwrap_or(true),
            upstream_servers: n
                .get("upstream_servers")
                .map(|u| ip_list(r, &u))
                .unwrap_or_default(),
        },
        _ => DnsServer {
            enabled: true,
            upstream_servers: Vec::new(),
        },
    };
    let dns_server = DnsServer {
        upstream_servers: if dns_server.upstream_servers.is_empty() {
            defaults::UPSTREAM_DNS
                .iter()
                .map(|s| s.parse().unwrap())
                .collect()
        } else {
            dns_server.upstream_servers
        },
        ..dns_server
    };
    let ca_name = root
        .get("step_ca")
        .and_then(|n| n.get("dns_name"))
        .and_then(|n| dns_name(r, &n));
    let mount_point_base = root.get("mount_point_base").and_then(|n| abs_path(r, &n));
    let mut storage_ids = BTreeMap::new();
    if let Some(n) = root.get("proxmox_storage_ids") {
        if r.expect_object(&n) {
            for (k, v) in n.entries() {
                if let Some(s) = token(r, &v, is_storage_id, STORAGE_ID) {
                    storage_ids.insert(k.to_string(), s);
                }
            }
        }
    }
    let mut zfs_datasets = Vec::new();
    if let Some(ds) = root.get("zfs").and_then(|z| z.get("datasets")) {
        if r.expect_array(&ds) {
            for d in ds.items() {
                let name = req_token(r, &d, "name", is_zfs_name, ZFS_NAME);
                let pool = req_token(r, &d, "pool", is_storage_id, STORAGE_ID);
                let (Some(name), Some(pool)) = (name, pool) else {
                    continue;
                };
                let content = d
                    .get("proxmox_content_type")
                    .map(|c| r.str_list(&c, &[',']).into_iter().map(|(s, _)| s).collect())
                    .unwrap_or_default();
                zfs_datasets.push(ZfsDataset {
                    name,
                    pool,
                    storage_type: r.opt_str(&d, "proxmox_storage_type"),
                    content,
                });
            }
        }
    }
    let lxc_defaults = match root.get("proxmox_defaults").and_then(|p| p.get("lxc")) {
        Some(n) => LxcDefaults {
            cores: r
                .opt_int(&n, "cores", 1, 8192)
                .unwrap_or(defaults::LXC_CORES),
            memory_mb: r
                .opt_int(&n, "memory_mb", 16, u32::MAX as u64)
                .unwrap_or(defaults::LXC_MEMORY_MB),
            features: n.get("features").and_then(|f| {
                let items = pct_features(r, &f);
                (!items.is_empty()).then(|| items.join(","))
            }),
        },
        None => LxcDefaults {
            cores: defaults::LXC_CORES,
            memory_mb: defaults::LXC_MEMORY_MB,
            features: None,
        },
    };
    if r.problems.list.len() > before {
        return None;
    }
    let domain = domain?;
    let step_ca = StepCa {
        dns_name: ca_name.unwrap_or_else(|| format!("{}.{domain}", defaults::CA_LABEL)),
    };
    Some(Host {
        domain,
        network: network?,
        firewall,
        firewall_path,
        dns_server,
        step_ca,
        mount_point_base: mount_point_base
            .unwrap_or_else(|| defaults::MOUNT_POINT_BASE.to_string()),
        storage_ids,
        zfs_datasets,
        lxc_defaults,
    })
}

fn host_network(r: &mut Reader, n: &Node) -> Option<HostNetwork> {
    let Some(ifs) = n.get("interfaces") else {
        r.problems.push(
            n.file,
            &n.path_of("interfaces"),
            "(missing)",
            "the primary bridge object (required)",
        );
        return None;
    };
    let bridge = match ifs.get("name") {
        Some(b) => r.str(&b).filter(|s| {
            let ok = is_iface_name(s) && s.len() <= 10;
            if !ok {
                r.bad(
                    &b,
                    "a bridge name (letters, digits, '_', '.', at most 10 characters)",
                );
            }
            ok
        }),
        None => Some(defaults::BRIDGE.to_string()),
    };
    let address = match ifs.get("address") {
        Some(a) => r.ipv4_cidr(&a),
        None => {
            r.problems.push(
                n.file,
                &ifs.path_of("address"),
                "(missing)",
                "the host's IPv4 CIDR (required)",
            );
            None
        }
    };
    let gateway = match ifs.get("gateway") {
        Some(g) => {
            let gw = r.ipv4(&g);
            if let (Some(gw), Some(addr)) = (gw, address) {
                if !addr.trunc().contains(&gw) || gw == addr.addr() {
                    r.bad(
                        &g,
                        format!(
                            "a gateway inside {} other than the host's own address",
                            addr.trunc()
                        ),
                    );
                }
            }
            gw
        }
        None => {
            r.problems.push(
                n.file,
                &ifs.path_of("gateway"),
                "(missing)",
                "the default gateway (required)",
            );
            None
        }
    };
    let nameservers = ifs
        .get("dns_nameservers")
        .map(|x| ip_list(r, &x))
        .unwrap_or_default();
    let bridge_ports = ifs.get("bridge_ports").and_then(|p| {
        let s = r.str(&p)?;
        let ok = s.split_whitespace().all(is_iface_name) && !s.trim().is_empty();
        if !ok {
            r.bad(&p, "interface names separated by spaces, or \"none\"");
        }
        ok.then_some(s)
    });
    let hostname = match n.get("hostname") {
        Some(h) => r.str(&h).filter(|s| {
            let ok = super::names::is_label(s);
            if !ok {
                r.bad(&h, "a host name (one RFC 1123 label, no dots)");
            }
            ok
        }),
        None => Some(defaults::HOSTNAME.to_string()),
    };
    let default_subnet = n.get("default_subnet").and_then(|s| {
        let net = r.ipv4_cidr(&s)?;
        if net.trunc() != net {
            r.bad(
                &s,
                format!("a network address with host bits zero ({})", net.trunc()),
            );
            return None;
        }
        Some(net)
    });
    Some(HostNetwork {
        bridge: bridge?,
        address: address?,
        gateway: gateway?,
        nameservers,
        bridge_ports,
        hostname: hostname?,
        default_subnet,
    })
}

pub fn is_iface_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// A `firewall` object: the cluster one (`global_firewall_rules`) or a guest's (`rules`).
pub fn firewall(r: &mut Reader, n: &Node, rules_key: &str) -> Option<Firewall> {
    if !r.expect_object(n) {
        return None;
    }
    let policy = |r: &mut Reader, keys: [&str; 2], default: &str| {
        let node = keys.iter().find_map(|k| n.get(k));
        match node {
            Some(p) => r.str(&p).and_then(|s| {
                let up = s.to_ascii_uppercase();
                if ["ACCEPT", "DROP", "REJECT"].contains(&up.as_str()) {
                    Some(up)
                } else {
                    r.bad(&p, "ACCEPT, DROP or REJECT");
                    None
                }
            }),
            None => Some(default.to_string()),
        }
        .unwrap_or_else(|| default.to_string())
    };
    let policy_in = policy(
        r,
        ["default_input_policy", "policy_in"],
        defaults::POLICY_IN,
    );
    let policy_out = policy(
        r,
        ["default_output_policy", "policy_out"],
        defaults::POLICY_OUT,
    );
    let enabled = r
        .opt_bool(n, "enabled")
        .or_else(|| r.opt_bool(n, "enable"))
        .unwrap_or(true);
    let mut options = BTreeMap::new();
    if let Some(o) = n.get("options") {
        if r.expect_object(&o) {
            for (k, v) in o.entries() {
                let val = match v.value {
                    serde_json::Value::Bool(b) => {
                        Some(if *b { "1".to_string() } else { "0".to_string() })
                    }
                    serde_json::Value::Number(x) => Some(x.to_string()),
                    _ => r.str(&v),
                };
                if !k
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    || k.is_empty()
                {
                    r.bad(&v, "an option name of lowercase letters, digits and '_'");
                } else if let Some(val) = val {
                    options.insert(k.to_string(), val);
                }
            }
        }
    }
    let mut aliases = BTreeMap::new();
    if let Some(a) = n.get("aliases") {
        if r.expect_object(&a) {
            for (k, v) in a.entries() {
                let alias = match v.value {
                    serde_json::Value::String(_) => r.str(&v).map(|cidr| Alias {
                        cidr,
                        comment: None,
                    }),
                    serde_json::Value::Object(_) => r.req_str(&v, "cidr").map(|cidr| Alias {
                        cidr,
                        comment: r.opt_str(&v, "comment"),
                    }),
                    _ => {
                        r.bad(&v, "an address/CIDR, or {\"cidr\": …, \"comment\": …}");
                        None
                    }
                };
                if let Some(al) = alias {
                    aliases.insert(k.to_string(), al);
                }
            }
        }
    }
    let mut ipsets = BTreeMap::new();
    let mut ipset_comments = BTreeMap::new();
    if let Some(s) = n.get("ipsets") {
        if r.expect_object(&s) {
            for (k, v) in s.entries() {
                // A set is a list of entries, or {"comment": …, "entries": [...]};
                // an entry is a string or {"cidr": …, "comment": …} (phx-fw
                // keeps the comments of .fw files through parse and render).
                let (list, set_comment) = match v.value {
                    serde_json::Value::Object(_) => (v.get("entries"), r.opt_str(&v, "comment")),
                    _ => (Some(v.clone()), None),
                };
                let mut entries = Vec::new();
                let mut comments = Vec::new();
                if let Some(list) = list {
                    if r.expect_array(&list) {
                        for item in list.items() {
                            let (entry, comment) = match item.value {
                                serde_json::Value::Object(_) => {
                                    (r.req_str(&item, "cidr"), r.opt_str(&item, "comment"))
                                }
                                _ => (r.str(&item), None),
                            };
                            if let Some(e) = entry {
                                entries.push(e);
                                comments.push(comment);
                            }
                        }
                    }
                }
                if set_comment.is_some() || comments.iter().any(Option::is_some) {
                    let c = SetComments {
                        set: set_comment,
                        entries: comments,
                    };
                    ipset_comments.insert(k.to_string(), c);
                }
                ipsets.insert(k.to_string(), entries);
            }
        }
    }
    let mut rules = Vec::new();
    let rules_node = n.get(rules_key).or_else(|| n.get("rules"));
    let rules_path = rules_node
        .as_ref()
        .map(|x| x.path().to_string())
        .unwrap_or_else(|| n.path_of(rules_key));
    if let Some(list) = rules_node {
        if r.expect_array(&list) {
            rules = list
                .items()
                .iter()
                .filter_map(|item| rule(r, item))
                .collect();
        }
    }
    // phx-fw checks both (issue 13): groups are `[group]` sections of
    // cluster.fw, host the node's host.fw.
    let mut groups = BTreeMap::new();
    let mut group_comments = BTreeMap::new();
    if let Some(g) = n.get("groups") {
        if r.expect_object(&g) {
            for (k, v) in g.entries() {
                // A group is a list of rules, or {"comment": …, "rules": [...]}.
                let list = match v.value {
                    serde_json::Value::Object(_) => {
                        if let Some(c) = r.opt_str(&v, "comment") {
                            group_comments.insert(k.to_string(), c);
                        }
                        v.get("rules")
                    }
                    _ => Some(v.clone()),
                };
                if let Some(list) = list.filter(|l| r.expect_array(l)) {
                    let rules = list.items().iter().filter_map(|i| rule(r, i)).collect();
                    groups.insert(k.to_string(), rules);
                } else {
                    groups.insert(k.to_string(), Vec::new());
                }
            }
        }
    }
    let host = n
        .get("host")
        .and_then(|h| firewall(r, &h, "rules"))
        .map(Box::new);
    Some(Firewall {
        enabled,
        policy_in,
        policy_out,
        options,
        aliases,
        ipsets,
        rules,
        rules_path,
        groups,
        host,
        ipset_comments,
        group_comments,
    })
}

fn rule(r: &mut Reader, n: &Node) -> Option<FwRule> {
    if !r.expect_object(n) {
        return None;
    }
    let direction = r.req_str(n, "type").map(|s| s.to_ascii_lowercase());
    if let (Some(d), Some(t)) = (&direction, n.get("type")) {
        if !["in", "out", "forward", "group"].contains(&d.as_str()) {
            r.bad(&t, "in, out, forward or group");
        }
    }
    let action = r.req_str(n, "action");
    let get = |r: &mut Reader, keys: &[&str]| {
        keys.iter()
            .find_map(|k| n.get(k))
            .and_then(|c| match c.value {
                serde_json::Value::Number(x) => Some(x.to_string()),
                _ => r.str(&c),
            })
    };
    let enabled = r
        .opt_bool(n, "enable")
        .or_else(|| r.opt_bool(n, "enabled"))
        .unwrap_or(true);
    Some(FwRule {
        direction: direction?,
        action: action?,
        macro_name: get(r, &["macro"]),
        proto: get(r, &["proto"]),
        dport: get(r, &["port", "dport"]),
        sport: get(r, &["sport"]),
        source: get(r, &["source"]),
        dest: get(r, &["dest"]),
        iface: get(r, &["iface"]),
        log: get(r, &["log"]),
        icmp_type: get(r, &["icmp_type"]),
        enabled,
        comment: get(r, &["comment"]),
        file: n.file.to_string(),
        path: n.path().to_string(),
    })
}

fn dns_records(r: &mut Reader, n: &Node) -> Vec<DnsRecord> {
    if !r.expect_array(n) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in n.items() {
        let host = item.get("hostname").or_else(|| item.get("name"));
        let hostname = match host {
            Some(h) => {
                // A leading `*.` asks for a wildcard record.
                let s = r.str(&h);
                s.and_then(|s| {
                    let bare = s.strip_prefix("*.").unwrap_or(&s);
                    if is_dns_name(bare) {
                        Some(s.clone())
                    } else {
                        r.bad(
                            &h,
                            "a DNS name (RFC 1123), optionally starting with '*.' for a wildcard",
                        );
                        None
                    }
                })
            }
            None => {
                r.problems.push(
                    item.file,
                    &item.path_of("hostname"),
                    "(missing)",
                    "a DNS name (required)",
                );
                None
            }
        };
        let ip = match item.get("ip") {
            Some(i) => r.ipv4(&i),
            None => {
                r.problems.push(
                    item.file,
                    &item.path_of("ip"),
                    "(missing)",
                    "an IPv4 address (required)",
                );
                None
            }
        };
        let wildcard_flag = r.opt_bool(&item, "wildcard").unwrap_or(false);
        if let (Some(h), Some(ip)) = (hostname, ip) {
            let wildcard = wildcard_flag || h.starts_with("*.");
            let hostname = h.trim_start_matches("*.").to_ascii_lowercase();
            out.push(DnsRecord {
                hostname,
                ip,
                wildcard,
                file: item.file.to_string(),
                path: item.path().to_string(),
            });
        }
    }
    out
}

fn traefik_services(r: &mut Reader, n: &Node) -> Vec<TraefikService> {
    let items = match n.value {
        serde_json::Value::Array(_) => n.items(),
        serde_json::Value::Object(_) => vec![n.clone()],
        _ => {
            r.bad(n, "an object {\"name\": …, \"port\": …} or a list of them");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        let name = item.get("name").and_then(|x| {
            let s = r.str(&x)?;
            if is_dns_name(&s) {
                Some(s.to_ascii_lowercase())
            } else {
                r.bad(&x, "a DNS name (RFC 1123)");
                None
            }
        });
        if item.get("name").is_none() {
            r.problems.push(
                item.file,
                &item.path_of("name"),
                "(missing)",
                "the service's DNS name (required)",
            );
        }
        let port = r.opt_int(&item, "port", 1, 65535).map(|p| p as u16);
        if let Some(name) = name {
            out.push(TraefikService {
                name,
                port,
                path: item.path().to_string(),
            });
        }
    }
    out
}

fn mac(r: &mut Reader, n: &Node) -> Option<String> {
    let s = r.str(n)?;
    let parts: Vec<&str> = s.split(':').collect();
    let hex = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    let unicast = hex && u8::from_str_radix(parts[0], 16).is_ok_and(|b| b & 1 == 0);
    if unicast {
        Some(s.to_ascii_uppercase())
    } else {
        r.bad(
            n,
            "a unicast MAC address (six hex pairs separated by ':', first octet even)",
        );
        None
    }
}

fn guest_net(
    r: &mut Reader,
    n: &Node,
    default_name: &str,
    default_bridge: &str,
) -> Option<GuestNet> {
    if !r.expect_object(n) {
        return None;
    }
    let name = r
        .opt_str(n, "name")
        .unwrap_or_else(|| default_name.to_string());
    let bridge = r
        .opt_str(n, "bridge")
        .unwrap_or_else(|| default_bridge.to_string());
    for (k, v) in [("name", &name), ("bridge", &bridge)] {
        if !is_iface_name(v) {
            if let Some(node) = n.get(k) {
                r.bad(
                    &node,
                    "an interface name of letters, digits, '-', '_' and '.'",
                );
            }
        }
    }
    let ip = match n.get("ip") {
        Some(i) => match i.value.as_str() {
            Some("dhcp") => Some(GuestIp::Dhcp),
            Some("manual") => Some(GuestIp::Manual),
            _ => r.ipv4_cidr(&i).and_then(|net| {
                if net.prefix_len() < 8 {
                    r.bad(
                        &i,
                        "an IPv4 CIDR with a prefix of 8 to 32, \"dhcp\" or \"manual\"",
                    );
                    None
                } else {
                    Some(GuestIp::Static(net))
                }
            }),
        },
        None => Some(GuestIp::Dhcp),
    };
    let gw = n.get("gw").or_else(|| n.get("gateway")).and_then(|g| {
        let gw = r.ipv4(&g)?;
        if let Some(GuestIp::Static(net)) = &ip {
            if !net.trunc().contains(&gw) || gw == net.addr() {
                r.bad(
                    &g,
                    format!(
                        "a gateway inside {} other than the guest's own address",
                        net.trunc()
                    ),
                );
                return None;
            }
        }
        Some(gw)
    });
    let nameservers = n
        .get("nameservers")
        .or_else(|| n.get("nameserver"))
        .map(|x| ip_list(r, &x))
        .unwrap_or_default();
    Some(GuestNet {
        name,
        bridge,
        ip: ip?,
        gw,
        nameservers,
    })
}

fn ids(r: &mut Reader, n: &Node) -> Vec<u32> {
    match n.value {
        serde_json::Value::Array(_) => n
            .items()
            .iter()
            .filter_map(|i| r.int(i, MIN_ID, MAX_ID))
            .map(|x| x as u32)
            .collect(),
        _ => {
            r.bad(n, "a list of guest IDs");
            Vec::new()
        }
    }
}

fn features(r: &mut Reader, n: &Node, key: &str) -> Vec<String> {
    n.get(key)
        .map(|f| r.str_list(&f, &[',']).into_iter().map(|(s, _)| s).collect())
        .unwrap_or_default()
}

pub fn lxcs(
    r: &mut Reader,
    root: &Node,
    host_defaults: Option<&LxcDefaults>,
) -> BTreeMap<u32, Lxc> {
    let mut out = BTreeMap::new();
    let Some(configs) = root.get("lxc_configs") else {
        return out;
    };
    if !r.expect_object(&configs) {
        return out;
    }
    for (key, n) in configs.entries() {
        let ctid = match key.parse::<u64>() {
            Ok(id) if (MIN_ID..=MAX_ID).contains(&id) && !key.starts_with('0') => Some(id as u32),
            _ => {
                r.problems.push(
                    n.file,
                    n.path(),
                    format!("{key:?}"),
                    format!("a CTID from {MIN_ID} to {MAX_ID} as the key"),
                );
                None
            }
        };
        if !r.expect_object(&n) {
            continue;
        }
        if let (Some(ctid), Some(lxc)) = (ctid, lxc(r, &n, ctid.unwrap_or(0), host_defaults)) {
            out.insert(ctid, lxc);
        }
    }
    out
}

fn lxc(r: &mut Reader, n: &Node, ctid: u32, d: Option<&LxcDefaults>) -> Option<Lxc> {
    let before = r.problems.list.len();
    let name = match n.get("name") {
        Some(x) => dns_name(r, &x),
        None => Some(format!("CT{ctid}")),
    };
    let gpus = match n.get("gpu_assignment") {
        Some(g) => match r.str(&g) {
            Some(s) if s.trim().eq_ignore_ascii_case("none") || s.trim().is_empty() => Vec::new(),
            Some(s) => {
                let parsed: Result<Vec<u32>, _> =
                    s.split(',').map(|p| p.trim().parse::<u32>()).collect();
                parsed.unwrap_or_else(|_| {
                    r.bad(&g, "\"none\" or GPU indices separated by commas (\"0,1\")");
                    Vec::new()
                })
            }
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut zfs_volumes = Vec::new();
    if let Some(zv) = n.get("zfs_volumes") {
        if r.expect_array(&zv) {
            for v in zv.items() {
                let name = req_token(r, &v, "name", is_zfs_name, ZFS_NAME);
                let pool = req_token(r, &v, "pool", is_storage_id, STORAGE_ID);
                let size_gb = v.get("size_gb").and_then(|s| r.int(&s, 1, 1 << 20));
                let mp = v.get("mount_point").and_then(|m| abs_path(r, &m));
                if v.get("mount_point").is_none() {
                    r.problems.push(
                        v.file,
                        &v.path_of("mount_point"),
                        "(missing)",
                        "the path inside the container (required)",
                    );
                }
                if let (Some(name), Some(pool), Some(mount_point)) = (name, pool, mp) {
                    zfs_volumes.push(ZfsVolume {
                        name,
                        pool,
                        size_gb: size_gb.unwrap_or(1),
                        mount_point,
                    });
                }
            }
        }
    }
    let mut mount_points = Vec::new();
    if let Some(mps) = n.get("mount_points") {
        if r.expect_array(&mps) {
            for m in mps.items() {
                let host = m.get("host_path").and_then(|x| abs_path(r, &x));
                let guest = m.get("container_path").and_then(|x| abs_path(r, &x));
                for k in ["host_path", "container_path"] {
                    if m.get(k).is_none() {
                        r.problems.push(
                            m.file,
                            &m.path_of(k),
                            "(missing)",
                            "an absolute path (required)",
                        );
                    }
                }
                let read_only = r.opt_bool(&m, "read_only").unwrap_or(false);
                if let (Some(host_path), Some(container_path)) = (host, guest) {
                    mount_points.push(BindMount {
                        host_path,
                        container_path,
                        read_only,
                    });
                }
            }
        }
    }
    let mut ports = Vec::new();
    if let Some(p) = n.get("ports") {
        for (s, item) in r.str_list(&p, &[]) {
            let parsed = s.split_once(':').and_then(|(h, g)| {
                Some(PortMap {
                    host: port_num(h)?,
                    guest: port_num(g)?,
                })
            });
            match parsed {
                Some(pm) => ports.push(pm),
                None => r.problems.push(
                    item.file,
                    item.path(),
                    format!("{s:?}"),
                    "HOST_PORT:GUEST_PORT with ports 1-65535",
                ),
            }
        }
    }
    let mut lxc_options = Vec::new();
    if let Some(o) = n.get("lxc_options") {
        for (s, item) in r.str_list(&o, &[]) {
            if super::raw_lxc_key(&s).is_some() {
                lxc_options.push(s);
            } else {
                r.problems.push(
                    item.file,
                    item.path(),
                    format!("{s:?}"),
                    "a raw LXC option \"lxc.key=value\" or \"lxc.key: value\"",
                );
            }
        }
    }
    let swap_mb = r.opt_int(n, "swap_mb", 0, u32::MAX as u64);
    let mac = n.get("mac_address").and_then(|m| mac(r, &m));
    let net = n
        .get("network_config")
        .and_then(|x| guest_net(r, &x, defaults::LXC_NIC, defaults::BRIDGE));
    let firewall = n.get("firewall").and_then(|f| firewall(r, &f, "rules"));
    let dns = n
        .get("dns_records")
        .map(|x| dns_records(r, &x))
        .unwrap_or_default();
    let traefik = n
        .get("traefik_service")
        .map(|x| traefik_services(r, &x))
        .unwrap_or_default();
    let template = n
        .get("template")
        .and_then(|t| token(r, &t, is_template_ref, TEMPLATE));
    let storage_pool = n
        .get("storage_pool")
        .and_then(|t| token(r, &t, is_storage_id, STORAGE_ID));
    let snapshot = n
        .get("template_snapshot_name")
        .and_then(|t| token(r, &t, is_snapname, SNAPNAME));
    let apparmor = n
        .get("apparmor_profile")
        .and_then(|t| token(r, &t, is_profile, PROFILE));
    let lxc = Lxc {
        ctid,
        name: name.unwrap_or_default(),
        start_at_boot: r.opt_bool(n, "start_at_boot").unwrap_or(false),
        boot_order: r.opt_int(n, "boot_order", 0, 65535).unwrap_or(0),
        boot_delay: r.opt_int(n, "boot_delay", 0, 65535).unwrap_or(0),
        memory_mb: r
            .opt_int(n, "memory_mb", 16, u32::MAX as u64)
            .unwrap_or(d.map_or(defaults::LXC_MEMORY_MB, |d| d.memory_mb)),
        swap_mb,
        cores: r
            .opt_int(n, "cores", 1, 8192)
            .unwrap_or(d.map_or(defaults::LXC_CORES, |d| d.cores)),
        template,
        storage_pool,
        storage_size_gb: r
            .opt_int(n, "storage_size_gb", 1, 1 << 20)
            .unwrap_or(defaults::LXC_STORAGE_GB),
        net,
        mac,
        gpus,
        unprivileged: r.opt_bool(n, "unprivileged").unwrap_or(true),
        clone_from: n
            .get("clone_from_ctid")
            .and_then(|c| r.int(&c, MIN_ID, MAX_ID))
            .map(|x| x as u32),
        features: features(r, n, "features"),
        pct_options: n
            .get("pct_options")
            .map(|f| pct_features(r, &f))
            .unwrap_or_default(),
        lxc_options,
        template_snapshot_name: snapshot,
        apparmor_profile: apparmor,
        dependencies: n
            .get("dependencies")
            .map(|x| ids(r, &x))
            .unwrap_or_default(),
        zfs_volumes,
        mount_points,
        ports,
        firewall,
        dns_records: dns,
        traefik_services: traefik,
        path: n.path().to_string(),
    };
    (r.problems.list.len() == before).then_some(lxc)
}

fn port_num(s: &str) -> Option<u16> {
    s.trim().parse::<u16>().ok().filter(|p| *p > 0)
}

pub fn vms(r: &mut Reader, root: &Node) -> Vec<Vm> {
    let mut out = Vec::new();
    let Some(list) = root.get("vms") else {
        return out;
    };
    if !r.expect_array(&list) {
        return out;
    }
    let default_bridge = root
        .get("vm_defaults")
        .and_then(|d| d.get("network_bridge"))
        .and_then(|b| r.str(&b))
        .unwrap_or_else(|| defaults::BRIDGE.to_string());
    for n in list.items() {
        let before = r.problems.list.len();
        let vmid = match n.get("vmid") {
            Some(v) => r.int(&v, MIN_ID, MAX_ID).map(|x| x as u32),
            None => {
                r.problems.push(
                    n.file,
                    &n.path_of("vmid"),
                    "(missing)",
                    format!("a VMID from {MIN_ID} to {MAX_ID} (required)"),
                );
                None
            }
        };
        let name = match n.get("name") {
            Some(x) => dns_name(r, &x),
            None => vmid.map(|id| format!("VM{id}")),
        };
        let vm = Vm {
            vmid: vmid.unwrap_or(0),
            name: name.unwrap_or_default(),
            is_template: r.opt_bool(&n, "is_template").unwrap_or(false),
            clone_from: n
                .get("clone_from_vmid")
                .and_then(|c| r.int(&c, MIN_ID, MAX_ID))
                .map(|x| x as u32),
            start_at_boot: r.opt_bool(&n, "start_at_boot").unwrap_or(false),
            boot_order: r.opt_int(&n, "boot_order", 0, 65535).unwrap_or(0),
            features: features(r, &n, "features"),
            net: n
                .get("network_config")
                .and_then(|x| guest_net(r, &x, "net0", &default_bridge)),
            dns_records: n
                .get("dns_records")
                .map(|x| dns_records(r, &x))
                .unwrap_or_default(),
            firewall: n.get("firewall").and_then(|f| firewall(r, &f, "rules")),
            traefik_services: n
                .get("traefik_service")
                .map(|x| traefik_services(r, &x))
                .unwrap_or_default(),
            path: n.path().to_string(),
        };
        if r.problems.list.len() == before {
            out.push(vm);
        }
    }
    out
}

// ---- tokens that end up inside pct arguments and property strings --------

const STORAGE_ID: &str = "a Proxmox storage ID (a letter, then letters, digits, '-', '_' or '.')";
const ZFS_NAME: &str =
    "a ZFS dataset or volume name (letters, digits, '-', '_', '.', and '/' between parts)";
const TEMPLATE: &str = "a template volume ID (storage:vztmpl/file.tar.zst) or an absolute path, without ',', '=' or spaces";
const SNAPNAME: &str = "a snapshot name (a letter, then letters, digits, '-' or '_'; at most 40)";
const PROFILE: &str = "an AppArmor profile name (letters, digits, '-', '_', '.')";
/// `pct --features` keys (reference §3.1).
const PCT_FEATURES: [&str; 6] = [
    "force_rw_sys",
    "fuse",
    "keyctl",
    "mknod",
    "nesting",
    "mount",
];

pub fn is_storage_id(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// A dataset name, nested ones included (`vm/disks`).
fn is_zfs_name(s: &str) -> bool {
    s.split('/').all(|part| {
        !part.is_empty()
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    })
}

fn is_template_ref(s: &str) -> bool {
    let clean = !s.is_empty() && !s.contains([',', '=']) && !s.contains(char::is_whitespace);
    let volid = s
        .split_once(':')
        .is_some_and(|(st, rest)| is_storage_id(st) && !rest.is_empty());
    clean && (s.starts_with('/') || volid)
}

fn is_snapname(s: &str) -> bool {
    // `current` is pct's name for the live state, not a snapshot.
    s != "current"
        && s.len() <= 40
        && s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

fn is_profile(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// A string that must match `ok`, or a problem saying `expected`.
fn token(r: &mut Reader, n: &Node, ok: fn(&str) -> bool, expected: &str) -> Option<String> {
    let s = r.str(n)?;
    if ok(&s) {
        Some(s)
    } else {
        r.bad(n, expected);
        None
    }
}

fn req_token(
    r: &mut Reader,
    n: &Node,
    key: &str,
    ok: fn(&str) -> bool,
    expected: &str,
) -> Option<String> {
    match n.get(key) {
        Some(c) => token(r, &c, ok, expected),
        None => {
            r.problems.push(
                n.file,
                &n.path_of(key),
                "(missing)",
                format!("{expected} (required)"),
            );
            None
        }
    }
}

/// One `pct --features` item, booleans spelled as pct stores them (`nesting=yes` → `nesting=1`).
fn pct_feature(item: &str) -> Option<String> {
    let (k, v) = item.split_once('=')?;
    if k == "mount" {
        let ok = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b';');
        return ok.then(|| item.to_string());
    }
    let bit = match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => "1",
        "0" | "no" | "off" | "false" => "0",
        _ => return None,
    };
    PCT_FEATURES.contains(&k).then(|| format!("{k}={bit}"))
}

/// `pct --features` items (`nesting=1`, `mount=nfs;cifs`), from a list or a comma-separated string.
fn pct_features(r: &mut Reader, n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for (items, at) in r.str_list(n, &[',']) {
        // A list item may itself hold several (`["nesting=1,keyctl=1"]`).
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match pct_feature(item) {
                Some(f) => out.push(f),
                None => r.problems.push(
                    at.file,
                    at.path(),
                    format!("{item:?}"),
                    "a pct feature: force_rw_sys, fuse, keyctl, mknod or nesting = 0/1 (or yes/no, on/off, true/false), or mount=fs;fs",
                ),
            }
        }
    }
    out
}
