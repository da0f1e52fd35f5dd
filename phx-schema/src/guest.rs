//! The guest files (`parse/guest.rs`, `lxc.rs`, `vm.rs`, `records.rs`):
//! what LXC and VM entries share, then each kind's own keys.

use crate::builder::{opt, present, req, Builder, Prop};
use crate::firewall::firewall;
use crate::leaf::*;
use phx_common::config::parse::guest::RawGuestNet;
use phx_common::config::parse::lxc::{RawLxc, RawMountPoint, RawZfsVolume};
use phx_common::config::parse::records::{RawDnsRecord, RawTraefikService};
use phx_common::config::parse::vm::{RawUserConfig, RawVm, RawVmDefaults, RawVmVolume};
use serde_json::{json, Value};

/// The keys of `RawGuestCommon`, which both kinds take.
fn common(b: &mut Builder) -> Vec<Prop> {
    vec![
        opt(
            "name",
            dns_name("the guest's name (RFC 1123 labels; absent: CT<id> or VM<id>, with a warning, and a live guest keeps its name unless --allow-rename)"),
        ),
        opt(
            "start_at_boot",
            boolean("start at boot, and in the run (default false)"),
        ),
        opt("boot_order", int(0, 65535)),
        opt("features", features()),
        opt("network_config", guest_nets(b)),
        opt(
            "dns_records",
            array(dns_record(b), "explicit DNS records served by phx-dns"),
        ),
        opt("firewall", firewall(b)),
        opt("traefik_service", traefik_service(b)),
        opt(
            "dependencies",
            array(guest_id(), "guest IDs started before this one"),
        ),
        opt(
            "portainer_role",
            token(
                "^[a-z0-9_-]{1,32}$".into(),
                "Portainer's role: \"server\" (or \"primary\"), \"agent\" or \"none\", read by a container's portainer feature and by every VM (phx-features runs the server or the agent there; another role is refused)",
            ),
        ),
    ]
}

/// A key of the original's files no tool acts on: the loader warns once
/// per run, naming the guests that carry it (config::unhandled).
fn unhandled(key: &'static str) -> Prop {
    opt(
        key,
        json!({"description": format!("carried by the original system's files; no Phoenix tool acts on it: a warning names it ({})", phx_common::config::unhandled::why(key))}),
    )
}

/// One NIC (net0), or a list of them: only the second and later carry
/// their own `mac_address` (net0's is the entry's).
fn guest_nets(b: &mut Builder) -> Value {
    let net = guest_net(b);
    let net0 = json!({"allOf": [net, {"not": {"required": ["mac_address"]}}]});
    json!({
        "description": "the guest's network: one interface (net0), or a list (net0, net1, …)",
        "anyOf": [
            net0,
            {"type": "array", "items": [net0], "additionalItems": net},
        ],
    })
}

fn guest_net(b: &mut Builder) -> Value {
    b.def("guest_network", |b| {
        b.object::<RawGuestNet>(
            "the guest's network interface",
            vec![
                opt("name", iface("the interface (default eth0, net0 for VMs)")),
                opt("bridge", iface("the bridge (default vmbr0)")),
                opt("ip", guest_ip()),
                opt("gw", ipv4("the gateway, inside the guest's subnet")),
                opt("gateway", ipv4("the same as gw (read when gw is absent)")),
                opt("nameservers", ip_list("the guest's DNS servers")),
                opt(
                    "nameserver",
                    ip_list("the same as nameservers (read when it is absent)"),
                ),
                opt("mac_address", mac()),
            ],
        )
    })
}

fn dns_record(b: &mut Builder) -> Value {
    b.def("dns_record", |b| {
        let host = "a DNS name (RFC 1123), optionally starting with '*.' for a wildcard";
        let name = token(format!("^(\\*\\.)?{}$", dns_name_pattern()), host);
        let mut o = b.object::<RawDnsRecord>(
            "a DNS record: hostname (or name) → ip",
            vec![
                opt("hostname", name.clone()),
                opt("name", name),
                req("ip", ipv4("an IPv4 address (required)")),
                opt("wildcard", boolean("also answer for every name below it")),
            ],
        );
        // One of the two spellings must be there.
        o["anyOf"] = json!([present("hostname"), present("name")]);
        o
    })
}

fn traefik_service(b: &mut Builder) -> Value {
    let one = b.def("traefik_service", |b| {
        let mut o = b.object::<RawTraefikService>(
            "a service Traefik routes to this guest: name.domain → guest:port",
            vec![
                req(
                    "name",
                    dns_name("the service's DNS name (one label, or label.domain)"),
                ),
                // Optional to the loader; phx-ca refuses a service without one.
                req("port", int(1, 65535)),
                opt(
                    "scheme",
                    token(
                        "^(http|https)$".into(),
                        "how Traefik speaks to the backend: http (default) or https (verified against the exported root)",
                    ),
                ),
                opt(
                    "insecure_skip_verify",
                    boolean("true: an https backend served by another CA, not verified (warned about on every run); only with scheme https"),
                ),
            ],
        );
        // As the loader: skipping verification needs a TLS backend to skip it on.
        o["if"] = json!({
            "properties": {"insecure_skip_verify": {"enum": [true, 1]}},
            "required": ["insecure_skip_verify"],
        });
        o["then"] = json!({"properties": {"scheme": {"const": "https"}}, "required": ["scheme"]});
        o
    });
    json!({
        "description": "one service {name, port} or a list of them",
        "anyOf": [one.clone(), {"type": "array", "items": one}],
    })
}

/// `features` naming step_ca or traefik, in either spelling of the list.
fn ca_or_traefik() -> Value {
    json!({"anyOf": [
        {"type": "array", "contains": {"enum": ["step_ca", "traefik"]}},
        {"type": "string", "pattern": "(^|,)\\s*(step_ca|traefik)\\s*(,|$)"},
    ]})
}

/// `phoenix_lxc_configs.json`'s `lxc_configs` values.
pub fn lxc(b: &mut Builder) -> Value {
    b.def("lxc", |b| {
        let mut props = common(b);
        props.extend([
            opt("memory_mb", int(16, u32::MAX as u64)),
            opt("swap_mb", int(0, u32::MAX as u64)),
            opt("cores", int(1, 8192)),
            opt("boot_delay", int(0, 65535)),
            opt("template", template_ref()),
            opt("storage_pool", storage_id()),
            opt("storage_size_gb", int(1, 1 << 20)),
            opt("mac_address", mac()),
            opt("gpu_assignment", gpus()),
            opt(
                "unprivileged",
                boolean("an unprivileged container (default true)"),
            ),
            opt("clone_from_ctid", guest_id()),
            opt("pct_options", pct_features("pct --features")),
            opt(
                "lxc_options",
                items(raw_lxc_option(), "raw lxc.* lines for the conf"),
            ),
            opt("template_snapshot_name", snapname()),
            opt("apparmor_profile", profile()),
            opt("application_script", script_name()),
            opt(
                "zfs_volumes",
                array(zfs_volume(b), "ZFS volumes mounted in the container"),
            ),
            opt(
                "mount_points",
                array(mount_point(b), "bind mounts from the host"),
            ),
            opt(
                "ports",
                items(port_map(), "HOST_PORT:GUEST_PORT: not forwarded (a warning says so, but for an ollama container: Ollama listens on the first entry's GUEST_PORT)"),
            ),
            opt(
                "ollama_models",
                items(
                    token(
                        "^([A-Za-z0-9][A-Za-z0-9_.-]{0,79}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,79}(:[A-Za-z0-9][A-Za-z0-9_.-]{0,79})?$".into(),
                        "an Ollama model name, [namespace/]model[:tag]",
                    ),
                    "models the ollama feature pulls (ollama pull), once each (Phoenix's own key)",
                ),
            ),
            opt(
                "allow_dangerous",
                boolean("allow lxc.hook.* lines and mounts of the host's / (warned about on every run; default false)"),
            ),
            unhandled("apparmor_manages_nesting"),
            unhandled("enable_lifecycle_snapshots"),
            unhandled("tests"),
            opt("vllm_engine_config", crate::nvidia::vllm_engine_config()),
        ]);
        props.extend(crate::nvidia::keys("this container's"));
        let mut o = b.object::<RawLxc>("a container (the key is its CTID)", props);
        // Hooks and the host's / need `allow_dangerous` (parse::lxc_options).
        let allowed = json!({"required": ["allow_dangerous"], "properties": {"allow_dangerous": {"enum": [true, 1]}}});
        let dangerous = dangerous_lxc_option();
        let root_mount = json!({"required": ["host_path"], "properties": {"host_path": {"const": "/"}}});
        o["allOf"] = json!([{
            "if": {"not": allowed},
            "then": {"properties": {
                "lxc_options": {"not": {"anyOf": [{"type": "array", "contains": dangerous}, dangerous]}},
                "mount_points": {"not": {"type": "array", "contains": root_mount}},
            }},
        }]);
        // phx-lxc creates a container from a template or clones it (check.rs).
        o["anyOf"] = json!([present("template"), present("clone_from_ctid")]);
        // phx-ca acts inside the CA's and Traefik's containers with pct exec:
        // they must run, at an address the others can be given.
        o["if"] = json!({"required": ["features"], "properties": {"features": ca_or_traefik()}});
        o["then"] = json!({
            "allOf": [present("start_at_boot"), present("network_config")],
            "properties": {
                "start_at_boot": {"enum": [true, 1]},
                "network_config": {"required": ["ip"], "properties": {"ip": {"pattern": format!("^{}/", ipv4_pattern())}}},
            },
        });
        o
    })
}

fn zfs_volume(b: &mut Builder) -> Value {
    b.object::<RawZfsVolume>(
        "a ZFS volume",
        vec![
            req("name", zfs_name()),
            req("pool", storage_id()),
            opt("size_gb", int(1, 1 << 20)),
            req(
                "mount_point",
                abs_path("the path inside the container (required)"),
            ),
        ],
    )
}

/// A bind source's `mode`: 3 or 4 octal digits, as a string.
pub fn dir_mode() -> Value {
    token(
        "^[0-7]{3,4}$".to_string(),
        "the mode phx-storage gives the source, 3 or 4 octal digits as a string (\"0750\"); kept on every run when given; default 0755 when it makes the directory",
    )
}

fn mount_point(b: &mut Builder) -> Value {
    b.object::<RawMountPoint>(
        "a bind mount",
        vec![
            req(
                "host_path",
                abs_path("an absolute path on the host (required)"),
            ),
            req(
                "container_path",
                abs_path("an absolute path in the container (required)"),
            ),
            opt("read_only", boolean("mounted read-only (default false)")),
            opt("mode", dir_mode()),
        ],
    )
}

/// `phoenix_vm_configs.json`'s `vms` items.
pub fn vm(b: &mut Builder) -> Value {
    b.def("vm", |b| {
        let mut props = common(b);
        props.extend([
            req("vmid", guest_id()),
            opt(
                "is_template",
                boolean("a template made from template_image"),
            ),
            opt("clone_from_vmid", guest_id()),
            opt("boot_delay", int(0, 65535)),
            opt("cores", int(1, 8192)),
            opt("memory_mb", int(16, u32::MAX as u64)),
            opt("disk_size_gb", int(1, 1 << 20)),
            opt("storage_pool", storage_id()),
            opt("mac_address", mac()),
            opt("template_image", image_ref()),
            opt(
                "template_image_url",
                http_url("where phx-storage downloads a missing template_image from (needs a checksum key); Ubuntu cloud image names default to https://cloud-images.ubuntu.com/<release>/current/"),
            ),
            opt(
                "template_image_sha256",
                hex_digest(64, "the image's SHA-256 (64 hexadecimal digits)"),
            ),
            opt(
                "template_image_sha512",
                hex_digest(128, "the image's SHA-512 (128 hexadecimal digits)"),
            ),
            opt(
                "template_image_checksum_url",
                http_url("a checksum file (`<hex>  <name>` or `<hex> *<name>` lines, sha256 or sha512) listing the image by the file name ending template_image_url"),
            ),
            opt("template_snapshot_name", snapname()),
            opt("user_config", user_config(b)),
            opt(
                "volumes",
                array(
                    vm_volume(b),
                    "NFS shares mounted inside the VM by phx-features (an fstab line each)",
                ),
            ),
            unhandled("docker_stacks"),
            unhandled("portainer_environment_name"),
        ]);
        let mut o = b.object::<RawVm>("a VM", props);
        // phx-vm refuses a static address without a gateway: cloud-init's
        // ipconfig0 needs both (check.rs).
        let static_ip = format!("^{}/", ipv4_pattern());
        o["if"] = json!({
            "required": ["network_config"],
            "properties": {"network_config": {"required": ["ip"], "properties": {"ip": {"type": "string", "pattern": static_ip}}}},
        });
        o["then"] = json!({
            "properties": {"network_config": {"anyOf": [present("gw"), present("gateway")]}},
        });
        // phx-ca runs the CA and Traefik in containers only (pct exec).
        o["not"] = json!({"required": ["features"], "properties": {"features": ca_or_traefik()}});
        o["allOf"] = image_source_rules();
        o
    })
}

/// The loader's rules between the image keys (parse/vm.rs image_source):
/// each needs template_image, a URL needs a checksum key, and one checksum
/// key at most.
fn image_source_rules() -> Value {
    let sums = [
        "template_image_sha256",
        "template_image_sha512",
        "template_image_checksum_url",
    ];
    let mut rules: Vec<Value> = std::iter::once("template_image_url")
        .chain(sums)
        .map(|k| json!({"if": present(k), "then": present("template_image")}))
        .collect();
    rules.push(json!({
        "if": present("template_image_url"),
        "then": {"anyOf": sums.iter().map(|k| present(k)).collect::<Vec<_>>()},
    }));
    for (i, a) in sums.iter().enumerate() {
        for b in &sums[i + 1..] {
            rules.push(json!({"not": {"allOf": [present(a), present(b)]}}));
        }
    }
    json!(rules)
}

fn user_config(b: &mut Builder) -> Value {
    b.object::<RawUserConfig>(
        "cloud-init user",
        vec![
            opt("username", user()),
            opt("ssh_keys", items(ssh_key(), "OpenSSH public keys")),
            // The loader keeps only that it is there; phx-apply reads it from
            // the file into a root-only snippet (phx-vm's cloud-init passwords).
            opt(
                "password",
                json!({"type": "string", "minLength": 1, "pattern": LINE_SAFE,
                       "description": "cloud-init password: written by phx-apply into a root-only cicustom snippet, never into a plan or an argument"}),
            ),
        ],
    )
}

/// `parse/vm.rs` volume(): an NFS share, one /etc/fstab line in the VM.
fn vm_volume(b: &mut Builder) -> Value {
    // Paths that are fstab fields: no blanks, no '#'.
    let fstab = "^(/(?!\\.\\.?(/|$))[^,/\\s#]+)+$";
    b.object::<RawVmVolume>(
        "an NFS share mounted inside the VM (phx-features: one /etc/fstab line per mount point)",
        vec![
            req("type", json!({"description": "\"nfs\" (the only type)", "const": "nfs"})),
            opt("name", string("the volume's name")),
            req(
                "server",
                token(
                    format!("^({}|[0-9A-Fa-f:.]+)$", dns_name_pattern()),
                    "the NFS server: an IP address or a DNS name",
                ),
            ),
            req(
                "path",
                token(
                    fstab.into(),
                    "the exported directory on the server: an absolute path in normal form, without spaces or '#'",
                ),
            ),
            req(
                "mount_point",
                token(
                    fstab.into(),
                    "where it is mounted inside the VM: an absolute path other than /, without spaces or '#'",
                ),
            ),
        ],
    )
}

/// `vm_defaults`: what every VM that does not say gets.
pub fn vm_defaults(b: &mut Builder) -> Value {
    b.object::<RawVmDefaults>(
        "defaults for every VM",
        vec![
            opt("network_bridge", iface("the bridge (default vmbr0)")),
            opt("cores", int(1, 8192)),
            opt("memory_mb", int(16, u32::MAX as u64)),
            opt("disk_size_gb", int(1, 1 << 20)),
            opt("storage_pool", storage_id()),
        ],
    )
}
