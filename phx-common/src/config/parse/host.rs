//! The hypervisor document: domain, host network, DNS server, CA name,
//! storages, ZFS datasets and the LXC defaults.

use super::super::model::*;
use super::super::raw::{show_str, Entries, List, Obj, Scalar};
use super::super::reader::{At, Reader};
use super::super::step_ca;
use super::document::Document;
use super::firewall::firewall;
pub use super::shared_volumes::{RawSharedVolume, RawSharedVolumes};
use super::tokens::*;
use crate::section;
use std::collections::BTreeMap;

section! {
    pub struct RawHostNetwork {
        "interfaces" => interfaces: Obj<RawInterfaces>,
        "hostname" => hostname: Scalar,
        "default_subnet" => default_subnet: Scalar,
        "nfs_server" => nfs_server: Scalar,
    }
    quiet: [
        "external_registry_url", "fallback_dns",
        "portainer_agent_port", "portainer_server_ip", "portainer_server_port",
    ]
}

section! {
    pub struct RawInterfaces {
        "name" => name: Scalar,
        "address" => address: Scalar,
        "gateway" => gateway: Scalar,
        "dns_nameservers" => dns_nameservers: List<Scalar>,
        "bridge_ports" => bridge_ports: Scalar,
    }
}

section! {
    pub struct RawDnsServer {
        "enabled" => enabled: Scalar,
        "upstream_servers" => upstream_servers: List<Scalar>,
    }
}

section! {
    pub struct RawStepCa {
        "dns_name" => dns_name: Scalar,
        "ca_name" => ca_name: Scalar,
        "provisioner_name" => provisioner_name: Scalar,
        "default_tls_cert_duration" => default_tls_cert_duration: Scalar,
        "port" => port: Scalar,
    }
}

section! {
    pub struct RawZfs {
        "datasets" => datasets: List<Obj<RawDataset>>,
        "pools" => pools: List<Obj<RawPool>>,
        "arc_max_gb" => arc_max_gb: Scalar,
    }
}

section! {
    pub struct RawPool {
        "name" => name: Scalar,
        "raid_level" => raid_level: Scalar,
        "disks" => disks: List<Scalar>,
        "properties" => properties: Scalar,
        "filesystem_properties" => filesystem_properties: Scalar,
    }
}

section! {
    pub struct RawDataset {
        "name" => name: Scalar,
        "pool" => pool: Scalar,
        "proxmox_content_type" => proxmox_content_type: List<Scalar>,
        "proxmox_storage_type" => proxmox_storage_type: Scalar,
        "properties" => properties: Scalar,
    }
}

section! {
    pub struct RawNfs {
        "exports" => exports: List<Obj<RawExport>>,
    }
}

section! {
    pub struct RawExport {
        "path" => path: Scalar,
        "clients" => clients: List<Scalar>,
        "options" => options: List<Scalar>,
    }
}

section! {
    pub struct RawProxmoxDefaults {
        "lxc" => lxc: Obj<RawLxcDefaults>,
    }
    quiet: ["zfs_lxc_pool"]
}

section! {
    pub struct RawLxcDefaults {
        "cores" => cores: Scalar,
        "memory_mb" => memory_mb: Scalar,
        "features" => features: List<Scalar>,
    }
    quiet: ["nesting", "network_config", "security"]
}

pub fn hypervisor(r: &mut Reader, doc: Document) -> Option<Host> {
    let before = r.problems.count();
    let root = At::ROOT;
    let at = &root;
    let domain = r.req(
        at,
        "domain_name",
        doc.domain_name,
        "the internal DNS domain (required)",
        dns_name,
    );
    let network = r.req(
        at,
        "network",
        doc.network,
        "the host network object (required)",
        |r, at, n| r.obj(at, n, |r, n| host_network(r, at, n)).flatten(),
    );
    let (shared_fw, shared_volumes) = match doc.shared_volumes {
        Some(Obj::Ok(mut s)) => {
            let sv = at.key("shared_volumes");
            r.repeated_keys(&sv, &mut *s);
            let vols = super::shared_volumes::volumes(r, &sv, std::mem::take(&mut s.volumes));
            (s.firewall, vols)
        }
        Some(Obj::Bad(shown)) => {
            r.push(&at.key("shared_volumes"), shown, "an object");
            (None, Vec::new())
        }
        None => (None, Vec::new()),
    };
    let (firewall, firewall_path) = match (doc.firewall, shared_fw) {
        (Some(f), shared) => {
            if shared.is_some() {
                // Two cluster firewalls: the later versions of the original
                // read the top-level one, and so does Phoenix; the other is
                // not checked, and not dropped without a word.
                let file = r.file_name();
                r.problems.warn(format!(
                    "{file}: shared_volumes.firewall: ignored: the top-level firewall is the cluster's (give one of the two)"
                ));
            }
            (
                firewall(r, &at.key("firewall"), f, "global_firewall_rules"),
                "firewall",
            )
        }
        (None, Some(f)) => {
            let sv = at.key("shared_volumes");
            (
                firewall(r, &sv.key("firewall"), f, "global_firewall_rules"),
                "shared_volumes.firewall",
            )
        }
        (None, None) => (None, ""),
    };
    let dns_server = r
        .opt(at, "dns_server", doc.dns_server, |r, at, d| {
            r.obj(at, d, |r, d| DnsServer {
                enabled: r
                    .opt(at, "enabled", d.enabled, Reader::bool)
                    .unwrap_or(true),
                upstream_servers: d
                    .upstream_servers
                    .map(|u| ip_list(r, &at.key("upstream_servers"), u))
                    .unwrap_or_default(),
            })
        })
        .unwrap_or(DnsServer {
            enabled: true,
            upstream_servers: Vec::new(),
        });
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
    let ca = r
        .opt(at, "step_ca", doc.step_ca, |r, at, s| {
            r.obj(at, s, |r, s| step_ca::Read {
                dns_name: r.opt(at, "dns_name", s.dns_name, dns_name),
                ca_name: r.opt(at, "ca_name", s.ca_name, step_ca::ca_label),
                provisioner_name: r.opt(
                    at,
                    "provisioner_name",
                    s.provisioner_name,
                    step_ca::ca_label,
                ),
                default_tls_cert_duration: r.opt(
                    at,
                    "default_tls_cert_duration",
                    s.default_tls_cert_duration,
                    step_ca::cert_duration,
                ),
                port: r
                    .opt(at, "port", s.port, |r, at, v| r.int(at, v, 1, 65535))
                    .map(|p| p as u16),
            })
        })
        .unwrap_or_default();
    let mount_point_base = r.opt(at, "mount_point_base", doc.mount_point_base, abs_path);
    let storage_ids = doc
        .proxmox_storage_ids
        .map(|ids| storage_ids(r, &at.key("proxmox_storage_ids"), ids))
        .unwrap_or_default();
    let mut zfs = r
        .opt(at, "zfs", doc.zfs, |r, at, z| {
            r.obj(at, z, |r, z| super::zfs::zfs(r, at, z))
        })
        .unwrap_or_default();
    storage_id_overrides(r, at, &storage_ids, &mut zfs.datasets);
    let nfs_exports = r
        .opt(at, "nfs", doc.nfs, |r, at, n| {
            r.obj(at, n, |r, n| {
                r.opt(at, "exports", n.exports, |r, at, es| {
                    Some(r.each(at, es, super::nfs::export))
                })
            })
            .flatten()
        })
        .unwrap_or_default();
    let lxc_defaults = r
        .opt(at, "proxmox_defaults", doc.proxmox_defaults, |r, at, p| {
            r.obj(at, p, |r, p| r.opt(at, "lxc", p.lxc, lxc_defaults))
                .flatten()
        })
        .unwrap_or(LxcDefaults {
            cores: defaults::LXC_CORES,
            memory_mb: defaults::LXC_MEMORY_MB,
            features: None,
        });
    let nvidia_driver = r.opt(
        at,
        "nvidia_driver",
        doc.nvidia_driver,
        super::nvidia::nvidia_driver,
    );
    let flows = r
        .opt(at, "flows", doc.flows, |r, at, l| {
            Some(super::super::declared_flow::flows(r, at, l))
        })
        .unwrap_or_default();
    if r.problems.count() > before {
        return None;
    }
    let domain = domain?;
    let step_ca = ca.finish(&domain);
    Some(Host {
        domain,
        network: network?,
        firewall,
        firewall_path: firewall_path.to_string(),
        dns_server,
        step_ca,
        mount_point_base: mount_point_base
            .unwrap_or_else(|| defaults::MOUNT_POINT_BASE.to_string()),
        storage_ids,
        zfs_datasets: zfs.datasets,
        zfs_pools: zfs.pools,
        zfs_arc_max_gb: zfs.arc_max_gb,
        nfs_exports,
        shared_volumes,
        lxc_defaults,
        flows,
        nvidia_driver,
    })
}

fn storage_ids(r: &mut Reader, at: &At, ids: Entries<Scalar>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    r.entries(at, ids, |r, at, k, v| {
        if let Some(s) = r.token(at, v, is_storage_id, STORAGE_ID) {
            out.insert(k, s);
        }
    });
    out
}

/// Datasets whose storage ID `proxmox_storage_ids` names, as the original
/// read them; a key nothing reads is a warning (read, not acted on).
fn storage_id_overrides(
    r: &mut Reader,
    at: &At,
    ids: &BTreeMap<String, String>,
    datasets: &mut [ZfsDataset],
) {
    let mut used: Vec<String> = crate::guest_storage::LXC_DISKS_KEYS
        .iter()
        .chain(&crate::guest_storage::VM_DISKS_KEYS)
        .map(|k| k.to_string())
        .collect();
    for d in datasets.iter_mut() {
        let key = d.storage_id_key();
        d.storage_id_override = ids.get(&key).cloned();
        used.push(key);
    }
    for key in ids.keys().filter(|k| !used.contains(k)) {
        r.problems.warn(format!(
            "{}: {}: not used: Phoenix reads lxc_disks (or quickos_lxc), vm_disks (or quickos_vm) and <pool>_<dataset, - as _> (a dataset's storage ID, as the original did)",
            r.file,
            at.key("proxmox_storage_ids").key(key).path()
        ));
    }
}

fn lxc_defaults(r: &mut Reader, at: &At, d: Obj<RawLxcDefaults>) -> Option<LxcDefaults> {
    r.obj(at, d, |r, d| LxcDefaults {
        cores: r
            .opt(at, "cores", d.cores, |r, at, v| r.int(at, v, 1, 8192))
            .unwrap_or(defaults::LXC_CORES),
        memory_mb: r
            .opt(at, "memory_mb", d.memory_mb, |r, at, v| {
                r.int(at, v, 16, u32::MAX as u64)
            })
            .unwrap_or(defaults::LXC_MEMORY_MB),
        features: r.opt(at, "features", d.features, |r, at, f| {
            let items = pct_features(r, at, f);
            (!items.is_empty()).then(|| items.join(","))
        }),
    })
}

fn host_network(r: &mut Reader, at: &At, n: RawHostNetwork) -> Option<HostNetwork> {
    let Some(ifs) = n.interfaces else {
        r.missing(at, "interfaces", "the primary bridge object (required)");
        return None;
    };
    let ifs_at = at.key("interfaces");
    let ifs = match ifs {
        Obj::Ok(mut i) => {
            r.unknown_keys(&ifs_at, &mut *i);
            *i
        }
        Obj::Bad(shown) => {
            r.push(&ifs_at, shown, "an object");
            return None;
        }
    };
    let at_i = &ifs_at;
    let bridge = match ifs.name {
        Some(b) => r.opt(at_i, "name", Some(b), |r, at, v| {
            r.token(
                at,
                v,
                |s| is_iface_name(s) && s.len() <= 10,
                "a bridge name (letters, digits, '_', '.', at most 10 characters)",
            )
        }),
        None => Some(defaults::BRIDGE.to_string()),
    };
    let address = r.req(
        at_i,
        "address",
        ifs.address,
        "the host's IPv4 CIDR (required)",
        host_cidr,
    );
    let gateway = r.req(
        at_i,
        "gateway",
        ifs.gateway,
        "the default gateway (required)",
        |r, at, v| {
            let (gw, text) = r.ipv4_text(at, v)?;
            if let Some(addr) = address {
                if !addr.trunc().contains(&gw) || gw == addr.addr() {
                    r.push(
                        at,
                        show_str(&text),
                        format!(
                            "a gateway inside {} other than the host's own address",
                            addr.trunc()
                        ),
                    );
                }
            }
            Some(gw)
        },
    );
    let nameservers = r
        .opt(at_i, "dns_nameservers", ifs.dns_nameservers, |r, at, x| {
            Some(ip_list(r, at, x))
        })
        .unwrap_or_default();
    let bridge_ports = r.opt(at_i, "bridge_ports", ifs.bridge_ports, |r, at, v| {
        r.token(
            at,
            v,
            |s| s.split_whitespace().all(is_iface_name) && !s.trim().is_empty(),
            "interface names separated by spaces, or \"none\"",
        )
    });
    let hostname = match n.hostname {
        Some(h) => r.opt(at, "hostname", Some(h), |r, at, v| {
            r.token(
                at,
                v,
                super::super::names::is_label,
                "a host name (one RFC 1123 label, no dots)",
            )
        }),
        None => Some(defaults::HOSTNAME.to_string()),
    };
    let default_subnet = r.opt(at, "default_subnet", n.default_subnet, |r, at, v| {
        let (net, text) = r.ipv4_cidr_text(at, v)?;
        if net.trunc() != net {
            r.push(
                at,
                show_str(&text),
                format!("a network address with host bits zero ({})", net.trunc()),
            );
            return None;
        }
        Some(net)
    });
    // Where the node's Proxmox NFS storages mount its exports from.
    let nfs_server = r.opt(at, "nfs_server", n.nfs_server, |r, at, v| {
        r.token(
            at,
            v,
            |s| s.parse::<std::net::Ipv4Addr>().is_ok() || super::super::names::is_dns_name(s),
            "the NFS server's IPv4 address or DNS name",
        )
    });
    Some(HostNetwork {
        nfs_server,
        bridge: bridge?,
        address: address?,
        gateway: gateway?,
        nameservers,
        bridge_ports,
        hostname: hostname?,
        default_subnet,
    })
}
