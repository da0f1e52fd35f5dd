//! `phoenix_vm_configs.json`: the VMs, in file order.

use super::super::model::*;
use super::super::raw::{show_str, List, Obj, Scalar, Unused};
use super::super::reader::{At, Reader};
use super::guest::{common, unused, GuestDefaults, RawGuestCommon};
use super::tokens::*;
use crate::section;
use phx_plan::safe_text::line_safe;

section! {
    pub struct RawVm {
        "vmid" => vmid: Scalar,
        "is_template" => is_template: Scalar,
        "clone_from_vmid" => clone_from_vmid: Scalar,
        "boot_delay" => boot_delay: Scalar,
        "cores" => cores: Scalar,
        "memory_mb" => memory_mb: Scalar,
        "disk_size_gb" => disk_size_gb: Scalar,
        "storage_pool" => storage_pool: Scalar,
        "mac_address" => mac_address: Scalar,
        "template_image" => template_image: Scalar,
        "template_image_url" => template_image_url: Scalar,
        "template_image_sha256" => template_image_sha256: Scalar,
        "template_image_sha512" => template_image_sha512: Scalar,
        "template_image_checksum_url" => template_image_checksum_url: Scalar,
        "template_snapshot_name" => template_snapshot_name: Scalar,
        "user_config" => user_config: Obj<RawUserConfig>,
        "volumes" => volumes: List<Obj<RawVmVolume>>,
        // Software inside VMs no tool handles yet: noted, and warned about
        // once per run (config::unhandled).
        "docker_stacks" => docker_stacks: Unused,
        "portainer_environment_name" => portainer_environment_name: Unused,
    }
    shared: guest: RawGuestCommon,
}

section! {
    pub struct RawUserConfig {
        "username" => username: Scalar,
        "ssh_keys" => ssh_keys: List<Scalar>,
        "password" => password: Scalar,
    }
}

section! {
    pub struct RawVmVolume {
        "type" => kind: Scalar,
        "name" => name: Scalar,
        "server" => server: Scalar,
        "path" => path: Scalar,
        "mount_point" => mount_point: Scalar,
    }
}

section! {
    pub struct RawVmDefaults {
        "network_bridge" => network_bridge: Scalar,
        "cores" => cores: Scalar,
        "memory_mb" => memory_mb: Scalar,
        "disk_size_gb" => disk_size_gb: Scalar,
        "storage_pool" => storage_pool: Scalar,
    }
    quiet: ["template", "ubuntu_release"]
}

/// `vm_defaults`, applied to every VM that does not say.
struct VmDefaults {
    bridge: String,
    cores: Option<u64>,
    memory_mb: Option<u64>,
    disk_size_gb: Option<u64>,
    storage_pool: Option<String>,
}

const IMAGE: &str = "a cloud image file name (in /var/lib/vz/template/iso or /var/lib/vz/import) or an absolute path, without ',', '=', spaces or '..'";
const USER: &str =
    "a Linux user name (a lowercase letter or '_', then lowercase letters, digits, '_' or '-')";
const SSH_KEY: &str = "an OpenSSH public key line (type, key, comment)";

/// What qm takes in `import-from=<path>`: a property-string value and a path.
fn is_image_ref(s: &str) -> bool {
    !s.is_empty()
        && !s.contains([',', '=', ' ', '\t'])
        && s.split('/').all(|p| p != "..")
        && (s.starts_with('/') || !s.contains('/'))
}

const URL: &str = "an http:// or https:// URL with a host, printable ASCII without spaces, at most 2048 characters";

fn is_url(s: &str) -> bool {
    phx_plan::download::url_problem(s).is_none()
}

fn is_sha256(s: &str) -> bool {
    phx_plan::download::digest_problem(phx_plan::download::Algo::Sha256, s).is_none()
}

fn is_sha512(s: &str) -> bool {
    phx_plan::download::digest_problem(phx_plan::download::Algo::Sha512, s).is_none()
}

/// `template_image_url` and its checksum key (at most one of `_sha256`,
/// `_sha512`, `_checksum_url`): both need a `template_image` (the name it is
/// saved as); a URL needs a checksum, since a download is verified before
/// it is used, and with `_checksum_url` it must end in the file name to look
/// up. Ubuntu image names need no URL (`phx_common::fetch::ubuntu_default`).
fn image_source(
    r: &mut Reader,
    at: &At,
    has_image: bool,
    [url, sha256, sha512, sums]: [Option<Scalar>; 4],
) -> (Option<String>, Option<phx_plan::Checksum>) {
    use phx_plan::Checksum;
    let url = r.opt(at, "template_image_url", url, |r, at, v| {
        r.token(at, v, is_url, URL)
    });
    let given = [
        ("template_image_sha256", sha256.is_some()),
        ("template_image_sha512", sha512.is_some()),
        ("template_image_checksum_url", sums.is_some()),
    ];
    let sha256 = r.opt(at, "template_image_sha256", sha256, |r, at, v| {
        r.token(at, v, is_sha256, "a SHA-256 digest: 64 hexadecimal digits")
    });
    let sha512 = r.opt(at, "template_image_sha512", sha512, |r, at, v| {
        r.token(at, v, is_sha512, "a SHA-512 digest: 128 hexadecimal digits")
    });
    let sums = r.opt(at, "template_image_checksum_url", sums, |r, at, v| {
        r.token(at, v, is_url, URL)
    });
    let named: Vec<&str> = given.iter().filter(|(_, g)| *g).map(|(k, _)| *k).collect();
    if named.len() > 1 {
        r.push(
            &at.key(named[1]),
            "(given)",
            format!("one checksum key only ({} is given too)", named[0]),
        );
    }
    if !has_image {
        for key in std::iter::once("template_image_url")
            .filter(|_| url.is_some())
            .chain(named.iter().copied())
        {
            r.push(
                &at.key(key),
                "(given)",
                "only with template_image (the file name the image is kept as)",
            );
        }
    }
    let by_file = sums.is_some();
    let checksum = sha256
        .map(Checksum::Sha256)
        .or(sha512.map(Checksum::Sha512))
        .or(sums.map(Checksum::ChecksumUrl));
    if let Some(u) = &url {
        if named.is_empty() {
            r.push(
                &at.key("template_image_url"),
                show_str(u),
                "a URL with a checksum to verify it: template_image_sha256, template_image_sha512 or template_image_checksum_url",
            );
        } else if by_file && phx_plan::download::url_file_name(u).is_none() {
            r.push(
                &at.key("template_image_url"),
                show_str(u),
                "a URL ending in the file name template_image_checksum_url's file lists",
            );
        }
    }
    (url, checksum)
}

fn is_user(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn is_ssh_key(s: &str) -> bool {
    let mut f = s.split_whitespace();
    matches!((f.next(), f.next()), (Some(t), Some(k)) if (t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-")) && k.len() > 16)
}

const VOLUME_TYPE: &str = "\"nfs\" (the only volume type Phoenix mounts inside VMs; required)";
const NFS_SERVER: &str = "the NFS server: an IP address or a DNS name";
const MOUNT_POINT: &str =
    "a mount point other than /, without spaces or '#' (it becomes a field of /etc/fstab)";

/// An absolute path that can be an /etc/fstab field (fstab(5) splits on
/// blanks, `#` starts a comment).
fn fstab_path(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    let s = abs_path(r, at, v)?;
    if s.contains(|c: char| c.is_whitespace() || c == '#') {
        r.push(
            at,
            show_str(&s),
            "an absolute path without spaces or '#' (it becomes a field of /etc/fstab)",
        );
        return None;
    }
    Some(s)
}

/// `volumes[i]`: an NFS share, every field required (the original mounted
/// only `type: nfs` entries and skipped the rest without a word).
fn volume(r: &mut Reader, at: &At, v: RawVmVolume) -> Option<VmVolume> {
    let kind = r.req(at, "type", v.kind, VOLUME_TYPE, |r, at, v| {
        r.token(at, v, |s| s == "nfs", VOLUME_TYPE)
    });
    let name = r.opt(at, "name", v.name, Reader::str);
    let server = r.req(
        at,
        "server",
        v.server,
        &format!("{NFS_SERVER} (required)"),
        |r, at, v| {
            r.token(
                at,
                v,
                |s| s.parse::<std::net::IpAddr>().is_ok() || crate::config::names::is_dns_name(s),
                NFS_SERVER,
            )
        },
    );
    let path = r.req(
        at,
        "path",
        v.path,
        "the exported directory on the server (required)",
        fstab_path,
    );
    let mount_point = r.req(
        at,
        "mount_point",
        v.mount_point,
        "where it is mounted inside the VM (required)",
        |r, at, v| {
            let m = fstab_path(r, at, v)?;
            if m == "/" {
                r.push(at, show_str(&m), MOUNT_POINT);
                return None;
            }
            Some(m)
        },
    );
    kind?;
    Some(VmVolume {
        name,
        server: server?,
        path: path?,
        mount_point: mount_point?,
        at: at.render(),
    })
}

pub fn vms(
    r: &mut Reader,
    list: List<Obj<RawVm>>,
    vm_defaults: Option<Obj<RawVmDefaults>>,
) -> Vec<Vm> {
    let root = At::ROOT;
    let mut d = VmDefaults {
        bridge: defaults::BRIDGE.to_string(),
        cores: None,
        memory_mb: None,
        disk_size_gb: None,
        storage_pool: None,
    };
    if let Some(Obj::Ok(mut raw)) = vm_defaults {
        let at = root.key("vm_defaults");
        r.unknown_keys(&at, &mut *raw);
        let int = |r: &mut Reader, key, v, min, max| {
            r.opt(&at, key, v, |r, at, v| r.int(at, v, min, max))
        };
        if let Some(b) = r.opt(&at, "network_bridge", raw.network_bridge, iface_name) {
            d.bridge = b;
        }
        d.cores = int(r, "cores", raw.cores, 1, 8192);
        d.memory_mb = int(r, "memory_mb", raw.memory_mb, 16, u32::MAX as u64);
        d.disk_size_gb = int(r, "disk_size_gb", raw.disk_size_gb, 1, 1 << 20);
        d.storage_pool = r.opt(&at, "storage_pool", raw.storage_pool, |r, at, v| {
            r.token(at, v, is_storage_id, STORAGE_ID)
        });
    }
    r.each(&root.key("vms"), list, |r, at, n| {
        r.obj(at, n, |r, n| vm(r, at, n, &d)).flatten()
    })
}

fn vm(r: &mut Reader, at: &At, n: RawVm, d: &VmDefaults) -> Option<Vm> {
    let before = r.problems.count();
    let vmid = r.req(
        at,
        "vmid",
        n.vmid,
        &format!("a VMID from {MIN_ID} to {MAX_ID} (required)"),
        guest_id,
    );
    let clone_from = r.opt(at, "clone_from_vmid", n.clone_from_vmid, guest_id);
    let defaults = GuestDefaults {
        // Without a valid VMID the entry is refused; the name is never used.
        name: vmid.map(|id| format!("VM{id}")).unwrap_or_default(),
        nic: "net0",
        bridge: &d.bridge,
    };
    let mut guest = common(r, at, n.guest, vmid.unwrap_or(0), clone_from, defaults);
    // portainer_role is phx-recipes': a VM's role runs Portainer's server
    // ("primary") or agent through the guest agent.
    let quiet = [
        ("docker_stacks", n.docker_stacks),
        ("portainer_environment_name", n.portainer_environment_name),
    ];
    for (key, v) in quiet {
        unused(r, at, key, v, &mut guest.unhandled);
    }
    let is_template = r
        .opt(at, "is_template", n.is_template, Reader::bool)
        .unwrap_or(false);
    let int =
        |r: &mut Reader, key, v, min, max| r.opt(at, key, v, |r, at, v| r.int(at, v, min, max));
    let (user, ssh_keys, has_password) = match n.user_config {
        Some(u) => {
            let uat = at.key("user_config");
            r.obj(&uat, u, |r, u| {
                let user = r.opt(&uat, "username", u.username, |r, at, v| {
                    r.token(at, v, is_user, USER)
                });
                let keys = u
                    .ssh_keys
                    .map(|l| {
                        r.str_items(&uat.key("ssh_keys"), l, &[], |r, at, s| {
                            if is_ssh_key(&s) {
                                Some(s)
                            } else {
                                r.push(at, format!("{s:?}"), SSH_KEY);
                                None
                            }
                        })
                    })
                    .unwrap_or_default();
                // Only that it is there: the value is a secret, kept nowhere
                // (phx-apply reads it from the file when it writes the snippet).
                let password = match u.password {
                    None => false,
                    Some(Scalar::Str(s)) if !s.is_empty() && line_safe(&s) => true,
                    Some(_) => {
                        r.push(
                            &uat.key("password"),
                            "<secret>",
                            "a non-empty single-line string (cloud-init's password; never shown)",
                        );
                        false
                    }
                };
                (user, keys, password)
            })
            .unwrap_or_default()
        }
        None => (None, Vec::new(), false),
    };
    let template_image = r.opt(at, "template_image", n.template_image, |r, at, v| {
        r.token(at, v, is_image_ref, IMAGE)
    });
    let (template_image_url, template_image_checksum) = image_source(
        r,
        at,
        template_image.is_some(),
        [
            n.template_image_url,
            n.template_image_sha256,
            n.template_image_sha512,
            n.template_image_checksum_url,
        ],
    );
    let volumes: Vec<VmVolume> = n
        .volumes
        .map(|l| {
            r.each(&at.key("volumes"), l, |r, at, v| {
                r.obj(at, v, |r, v| volume(r, at, v)).flatten()
            })
        })
        .unwrap_or_default();
    // One fstab line per mount point: two shares on one would hide each other.
    for (i, v) in volumes.iter().enumerate() {
        if let Some(first) = volumes[..i].iter().find(|w| w.mount_point == v.mount_point) {
            let file = r.file;
            r.problems.push(
                file,
                &format!("{}.mount_point", v.at),
                show_str(&v.mount_point),
                format!(
                    "a mount point no other volume of the VM uses ({}.mount_point has it)",
                    first.at
                ),
            );
        }
    }
    let vm = Vm {
        guest,
        is_template,
        boot_delay: int(r, "boot_delay", n.boot_delay, 0, 65535).unwrap_or(0),
        cores: int(r, "cores", n.cores, 1, 8192)
            .or(d.cores)
            .unwrap_or(defaults::VM_CORES),
        memory_mb: int(r, "memory_mb", n.memory_mb, 16, u32::MAX as u64)
            .or(d.memory_mb)
            .unwrap_or(defaults::VM_MEMORY_MB),
        // A template keeps its image's size unless it says otherwise: its
        // clones grow to theirs.
        disk_size_gb: int(r, "disk_size_gb", n.disk_size_gb, 1, 1 << 20)
            .or(if is_template { None } else { d.disk_size_gb })
            .unwrap_or(0),
        storage_pool: r
            .opt(at, "storage_pool", n.storage_pool, |r, at, v| {
                r.token(at, v, is_storage_id, STORAGE_ID)
            })
            .or_else(|| d.storage_pool.clone()),
        mac: r.opt(at, "mac_address", n.mac_address, super::lxc::mac),
        template_image,
        template_image_url,
        template_image_checksum,
        template_snapshot_name: r.opt(
            at,
            "template_snapshot_name",
            n.template_snapshot_name,
            |r, at, v| r.token(at, v, is_snapname, SNAPNAME),
        ),
        user,
        ssh_keys,
        has_password,
        volumes,
    };
    (r.problems.count() == before).then_some(vm)
}
