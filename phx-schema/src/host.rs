//! The hypervisor file (`parse/host.rs`): domain, host network, DNS server,
//! CA, storages, ZFS datasets and the LXC defaults.

use crate::builder::{opt, req, Builder};
use crate::firewall::firewall;
use crate::guest::dir_mode;
use crate::leaf::*;
use phx_common::config::declared_flow::RawFlow;
use phx_common::config::parse::host::{
    RawDataset, RawDnsServer, RawExport, RawHostNetwork, RawInterfaces, RawLxcDefaults, RawNfs,
    RawPool, RawProxmoxDefaults, RawSharedVolume, RawSharedVolumes, RawStepCa, RawZfs,
};
use serde_json::{json, Value};

pub fn network(b: &mut Builder) -> Value {
    let interfaces = b.object::<RawInterfaces>(
        "the primary bridge",
        vec![
            opt("name", bridge()),
            req("address", ipv4_cidr("the host's IPv4 CIDR (required)")),
            req(
                "gateway",
                ipv4("the default gateway, inside the host's subnet (required)"),
            ),
            opt("dns_nameservers", ip_list("the host's DNS servers")),
            opt("bridge_ports", bridge_ports()),
        ],
    );
    b.object::<RawHostNetwork>(
        "the host network",
        vec![
            req("interfaces", interfaces),
            opt(
                "hostname",
                label("the host name (one RFC 1123 label, no dots; default pve)"),
            ),
            opt(
                "default_subnet",
                ipv4_cidr("the management subnet, host bits zero (the lockout guard's source)"),
            ),
            opt(
                "nfs_server",
                json!({
                    "description": "the server the node's Proxmox NFS storages (one per nfs.exports entry) mount from; default the host's address",
                    "anyOf": [ipv4("an IPv4 address"), dns_name("a DNS name")],
                }),
            ),
        ],
    )
}

pub fn shared_volumes(b: &mut Builder) -> Value {
    let fw = firewall(b);
    let volume = b.object::<RawSharedVolume>(
        "a host directory bind-mounted into the containers `mounts` names (phx-storage makes it under a storage directory, owned by their root; phx-lxc mounts it as an mpN)",
        vec![
            req(
                "host_path",
                path_below_root("the host directory, absolute, in normal form, not / (required)"),
            ),
            req(
                "mounts",
                json!({
                    "type": "object",
                    "description": "CTID → the path inside that container (absolute, not /); a CTID without an lxc_configs entry is warned about and ignored (required)",
                    "propertyNames": {"pattern": ctid_key()},
                    "additionalProperties": path_below_root("the path inside the container"),
                }),
            ),
            opt("mode", dir_mode()),
        ],
    );
    let mut o = b.object::<RawSharedVolumes>(
        "shared volumes by name; its `firewall` key is the cluster firewall (read when there is no top-level one)",
        vec![opt("firewall", fw)],
    );
    // Every other key is a volume's name.
    o["additionalProperties"] = volume;
    o["propertyNames"] = json!({"pattern": LINE_SAFE});
    o
}

pub fn dns_server(b: &mut Builder) -> Value {
    b.object::<RawDnsServer>(
        "dnsmasq on the host",
        vec![
            opt(
                "enabled",
                boolean("serve the estate's names (default true)"),
            ),
            opt(
                "upstream_servers",
                ip_list("where other names are asked (default 8.8.8.8, 8.8.4.4)"),
            ),
        ],
    )
}

/// `step_ca.port`: `int(1, 65535)` with what it is for.
fn ca_port() -> Value {
    let mut v = int(1, 65535);
    v["description"] = json!("where step-ca listens and Traefik's ACME directory points, 1-65535 (default 9000, the original's)");
    v
}

pub fn step_ca(b: &mut Builder) -> Value {
    b.object::<RawStepCa>(
        "the internal CA",
        vec![
            opt("dns_name", dns_name("the CA's name (default ca.<domain>)")),
            opt(
                "ca_name",
                ca_label("the CA's name in its certificates (default \"Phoenix Internal CA\")"),
            ),
            opt(
                "provisioner_name",
                ca_label("the admin provisioner (default admin@<domain>)"),
            ),
            opt("default_tls_cert_duration", cert_duration()),
            opt("port", ca_port()),
        ],
    )
}

/// `flows`: traffic the operator says the estate needs (`declared_flow`).
pub fn flows(b: &mut Builder) -> Value {
    let end = |d: &str| {
        json!({
            "description": d,
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": u32::MAX},
                {"type": "string", "pattern": "^\\S(.*\\S)?$"},
            ],
        })
    };
    let flow = b.object::<RawFlow>(
        "a flow phx-fw proves open before planning; named <from>-><to>:<proto>/<port>",
        vec![
            req(
                "from",
                end("where it starts: \"host\", a guest's ID or a guest's name"),
            ),
            req(
                "to",
                end("where it goes: \"host\", a guest's ID or a guest's name"),
            ),
            req("proto", token("^(tcp|udp)$".into(), "tcp or udp")),
            req("port", int(1, 65535)),
            req(
                "why",
                token(
                    "\\S".into(),
                    "why the estate needs it (said when it is blocked)",
                ),
            ),
        ],
    );
    array(flow, "flows the estate needs besides those Phoenix derives")
}

pub fn zfs(b: &mut Builder) -> Value {
    let dataset = b.object::<RawDataset>(
        "a dataset Proxmox uses as storage",
        vec![
            req("name", zfs_name()),
            req("pool", storage_id()),
            opt("proxmox_content_type", strs("Proxmox content types")),
            opt("proxmox_storage_type", string("the Proxmox storage type")),
            opt(
                "properties",
                zfs_properties(
                    "properties as key=value,…: zfs create -o, one zfs set for those that differ",
                ),
            ),
        ],
    );
    let pool = b.object::<RawPool>(
        "a pool phx-storage creates when missing",
        vec![
            req("name", pool_name()),
            req("raid_level", raid_level()),
            req("disks", array(disk(), "the pool's disks (required)")),
            opt(
                "properties",
                zfs_properties("pool properties as key=value,… (zpool create -o), over ashift=12,autotrim=on"),
            ),
            opt(
                "filesystem_properties",
                zfs_properties("root dataset properties as key=value,… (zpool create -O), over compression=lz4,atime=off"),
            ),
        ],
    );
    b.object::<RawZfs>(
        "ZFS",
        vec![
            opt("datasets", array(dataset, "datasets")),
            opt("pools", array(pool, "pools")),
            opt("arc_max_gb", int(1, 1024)),
        ],
    )
}

pub fn nfs(b: &mut Builder) -> Value {
    let export = b.object::<RawExport>(
        "one /etc/exports line (phx-storage)",
        vec![
            req("path", abs_path("the exported directory (required)")),
            req(
                "clients",
                json!({"type": "array", "minItems": 1, "items": nfs_client(), "description": "who may mount it (required)"}),
            ),
            opt("options", array(nfs_option(), "exports(5) options, the same for every client")),
        ],
    );
    b.object::<RawNfs>("NFS", vec![opt("exports", array(export, "exports"))])
}

pub fn proxmox_defaults(b: &mut Builder) -> Value {
    let lxc = b.object::<RawLxcDefaults>(
        "defaults for every container",
        vec![
            opt("cores", int(1, 8192)),
            opt("memory_mb", int(16, u32::MAX as u64)),
            opt(
                "features",
                pct_features("pct --features for every container"),
            ),
        ],
    );
    b.object::<RawProxmoxDefaults>("Proxmox defaults", vec![opt("lxc", lxc)])
}

pub fn storage_ids() -> Value {
    entries(storage_id(), "named Proxmox storage IDs")
}
