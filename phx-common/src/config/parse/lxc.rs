//! `phoenix_lxc_configs.json`: the containers, keyed by CTID.

use super::super::model::*;
use super::super::raw::{show_str, Entries, List, Obj, Scalar, Unused};
use super::super::reader::{At, Reader};
use super::guest::{common, unused, GuestDefaults, RawGuestCommon};
use super::lxc_options::{dangerous, lxc_options};
use super::tokens::*;
use crate::section;

section! {
    pub struct RawLxc {
        "memory_mb" => memory_mb: Scalar,
        "swap_mb" => swap_mb: Scalar,
        "cores" => cores: Scalar,
        "boot_delay" => boot_delay: Scalar,
        "template" => template: Scalar,
        "storage_pool" => storage_pool: Scalar,
        "storage_size_gb" => storage_size_gb: Scalar,
        "mac_address" => mac_address: Scalar,
        "gpu_assignment" => gpu_assignment: Scalar,
        "unprivileged" => unprivileged: Scalar,
        "clone_from_ctid" => clone_from_ctid: Scalar,
        "pct_options" => pct_options: List<Scalar>,
        "lxc_options" => lxc_options: List<Scalar>,
        "template_snapshot_name" => template_snapshot_name: Scalar,
        "apparmor_profile" => apparmor_profile: Scalar,
        "zfs_volumes" => zfs_volumes: List<Obj<RawZfsVolume>>,
        "mount_points" => mount_points: List<Obj<RawMountPoint>>,
        "ports" => ports: List<Scalar>,
        // Phoenix's own (the original had none): models the ollama
        // feature pulls.
        "ollama_models" => ollama_models: List<Scalar>,
        "allow_dangerous" => allow_dangerous: Scalar,
        "application_script" => application_script: Scalar,
        "nvidia_driver_version" => nvidia_driver_version: Scalar,
        "nvidia_repo_url" => nvidia_repo_url: Scalar,
        "nvidia_runfile_url" => nvidia_runfile_url: Scalar,
        "vllm_engine_config" => vllm_engine_config: Entries<Entries<List<Scalar>>>,
        // The original's keys no tool acts on: noted, and warned about
        // once per run (config::unhandled).
        "apparmor_manages_nesting" => apparmor_manages_nesting: Unused,
        "enable_lifecycle_snapshots" => enable_lifecycle_snapshots: Unused,
        "tests" => tests: Unused,
    }
    shared: guest: RawGuestCommon,
}

section! {
    pub struct RawZfsVolume {
        "name" => name: Scalar,
        "pool" => pool: Scalar,
        "size_gb" => size_gb: Scalar,
        "mount_point" => mount_point: Scalar,
    }
}

section! {
    pub struct RawMountPoint {
        "host_path" => host_path: Scalar,
        "container_path" => container_path: Scalar,
        "read_only" => read_only: Scalar,
        "mode" => mode: Scalar,
    }
}

/// What an entry left out that the hypervisor document's
/// `proxmox_defaults.lxc` fills in. An entry is read before the loader may
/// know those defaults (`config::digest`), so it gets Phoenix's own and
/// these are replaced when the loader takes the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeftOut {
    memory_mb: bool,
    cores: bool,
}

impl LeftOut {
    pub fn any(self) -> bool {
        self.memory_mb || self.cores
    }

    /// `d`'s values where the entry left them out.
    pub fn fill(self, lxc: &mut Lxc, d: &LxcDefaults) {
        if self.memory_mb {
            lxc.memory_mb = d.memory_mb;
        }
        if self.cores {
            lxc.cores = d.cores;
        }
    }
}

/// One `lxc_configs` entry at `at`, keyed by its CTID; `None` when it has a
/// problem (recorded). The loader calls it entry by entry while the document
/// is still being parsed (`config::stream`).
pub fn lxc_entry(
    r: &mut Reader,
    at: &At,
    key: &str,
    n: Obj<RawLxc>,
) -> Option<(u32, Lxc, LeftOut)> {
    let ctid = match key.parse::<u64>() {
        Ok(id) if (MIN_ID..=MAX_ID).contains(&id) && !key.starts_with('0') => Some(id as u32),
        _ => {
            r.push(
                at,
                format!("{key:?}"),
                format!("a CTID from {MIN_ID} to {MAX_ID} as the key"),
            );
            None
        }
    };
    let (lxc, left_out) = r
        .obj(at, n, |r, n| {
            let left_out = LeftOut {
                memory_mb: n.memory_mb.is_none(),
                cores: n.cores.is_none(),
            };
            Some((lxc(r, at, n, ctid.unwrap_or(0))?, left_out))
        })
        .flatten()?;
    Some((ctid?, lxc, left_out))
}

fn lxc(r: &mut Reader, at: &At, n: RawLxc, ctid: u32) -> Option<Lxc> {
    let before = r.problems.count();
    let clone_from = r.opt(at, "clone_from_ctid", n.clone_from_ctid, guest_id);
    let defaults = GuestDefaults {
        name: format!("CT{ctid}"),
        nic: defaults::LXC_NIC,
        bridge: defaults::BRIDGE,
    };
    let mut guest = common(r, at, n.guest, ctid, clone_from, defaults);
    let quiet = [
        ("apparmor_manages_nesting", n.apparmor_manages_nesting),
        ("enable_lifecycle_snapshots", n.enable_lifecycle_snapshots),
        ("tests", n.tests),
    ];
    for (key, v) in quiet {
        unused(r, at, key, v, &mut guest.unhandled);
    }
    let apparmor_profile = r.opt(at, "apparmor_profile", n.apparmor_profile, |r, at, v| {
        r.token(at, v, is_profile, PROFILE)
    });
    let allow_dangerous = r
        .opt(at, "allow_dangerous", n.allow_dangerous, Reader::bool)
        .unwrap_or(false);
    let int =
        |r: &mut Reader, key, v, min, max| r.opt(at, key, v, |r, at, v| r.int(at, v, min, max));
    let lxc = Lxc {
        guest,
        boot_delay: int(r, "boot_delay", n.boot_delay, 0, 65535).unwrap_or(0),
        memory_mb: int(r, "memory_mb", n.memory_mb, 16, u32::MAX as u64)
            .unwrap_or(defaults::LXC_MEMORY_MB),
        swap_mb: int(r, "swap_mb", n.swap_mb, 0, u32::MAX as u64),
        cores: int(r, "cores", n.cores, 1, 8192).unwrap_or(defaults::LXC_CORES),
        template: r.opt(at, "template", n.template, |r, at, v| {
            r.token(at, v, is_template_ref, TEMPLATE)
        }),
        storage_pool: r.opt(at, "storage_pool", n.storage_pool, |r, at, v| {
            r.token(at, v, is_storage_id, STORAGE_ID)
        }),
        storage_size_gb: int(r, "storage_size_gb", n.storage_size_gb, 1, 1 << 20)
            .unwrap_or(defaults::LXC_STORAGE_GB),
        mac: r.opt(at, "mac_address", n.mac_address, mac),
        gpus: r
            .opt(at, "gpu_assignment", n.gpu_assignment, gpus)
            .unwrap_or_default(),
        unprivileged: r
            .opt(at, "unprivileged", n.unprivileged, Reader::bool)
            .unwrap_or(true),
        pct_options: n
            .pct_options
            .map(|f| pct_features(r, &at.key("pct_options"), f))
            .unwrap_or_default(),
        lxc_options: n
            .lxc_options
            .map(|o| {
                let profile = apparmor_profile.as_deref();
                lxc_options(r, &at.key("lxc_options"), o, profile, allow_dangerous)
            })
            .unwrap_or_default(),
        template_snapshot_name: r.opt(
            at,
            "template_snapshot_name",
            n.template_snapshot_name,
            |r, at, v| r.token(at, v, is_snapname, SNAPNAME),
        ),
        application_script: r.opt(
            at,
            "application_script",
            n.application_script,
            |r, at, v| r.token(at, v, is_script_name, SCRIPT_NAME),
        ),
        apparmor_profile,
        zfs_volumes: n
            .zfs_volumes
            .map(|v| r.each(&at.key("zfs_volumes"), v, zfs_volume))
            .unwrap_or_default(),
        mount_points: n
            .mount_points
            .map(|v| {
                r.each(&at.key("mount_points"), v, |r, at, m| {
                    mount_point(r, at, m, allow_dangerous)
                })
            })
            .unwrap_or_default(),
        ports: n
            .ports
            .map(|p| ports(r, &at.key("ports"), p))
            .unwrap_or_default(),
        ollama_models: n
            .ollama_models
            .map(|m| ollama_models(r, &at.key("ollama_models"), m))
            .unwrap_or_default(),
        nvidia: super::nvidia::keys(
            r,
            at,
            [
                n.nvidia_driver_version,
                n.nvidia_repo_url,
                n.nvidia_runfile_url,
            ],
        ),
        vllm_engine_config: r.opt(
            at,
            "vllm_engine_config",
            n.vllm_engine_config,
            super::nvidia::engine_config,
        ),
    };
    (r.problems.count() == before).then_some(lxc)
}

fn gpus(r: &mut Reader, at: &At, v: Scalar) -> Option<Vec<u32>> {
    let s = r.str(at, v)?;
    if s.trim().eq_ignore_ascii_case("none") || s.trim().is_empty() {
        return Some(Vec::new());
    }
    let parsed: Result<Vec<u32>, _> = s.split(',').map(|p| p.trim().parse::<u32>()).collect();
    parsed.ok().or_else(|| {
        r.push(
            at,
            show_str(&s),
            "\"none\" or GPU indices separated by commas (\"0,1\")",
        );
        None
    })
}

fn zfs_volume(r: &mut Reader, at: &At, v: Obj<RawZfsVolume>) -> Option<ZfsVolume> {
    r.obj(at, v, |r, v| {
        let name = r.req_token(at, "name", v.name, is_zfs_name, ZFS_NAME);
        let pool = r.req_token(at, "pool", v.pool, is_storage_id, STORAGE_ID);
        let size_gb = r.opt(at, "size_gb", v.size_gb, |r, at, v| {
            r.int(at, v, 1, 1 << 20)
        });
        let mount_point = r.req(
            at,
            "mount_point",
            v.mount_point,
            "the path inside the container (required)",
            abs_path,
        );
        Some(ZfsVolume {
            name: name?,
            pool: pool?,
            size_gb: size_gb.unwrap_or(1),
            mount_point: mount_point?,
        })
    })
    .flatten()
}

fn mount_point(
    r: &mut Reader,
    at: &At,
    m: Obj<RawMountPoint>,
    allow_dangerous: bool,
) -> Option<BindMount> {
    r.obj(at, m, |r, m| {
        let required = "an absolute path (required)";
        let host_path = r.req(at, "host_path", m.host_path, required, abs_path);
        if host_path.as_deref() == Some("/") {
            let before = r.problems.count();
            let why = "mounts the host's / into the container";
            dangerous(r, &at.key("host_path"), "\"/\"", why, allow_dangerous);
            if r.problems.count() > before {
                return None;
            }
        }
        let container_path = r.req(at, "container_path", m.container_path, required, abs_path);
        let read_only = r
            .opt(at, "read_only", m.read_only, Reader::bool)
            .unwrap_or(false);
        let mode = r.opt(at, "mode", m.mode, dir_mode);
        Some(BindMount {
            host_path: host_path?,
            container_path: container_path?,
            read_only,
            mode,
        })
    })
    .flatten()
}

fn port_num(s: &str) -> Option<u16> {
    s.trim().parse::<u16>().ok().filter(|p| *p > 0)
}

fn ports(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<PortMap> {
    r.str_items(at, v, &[], |r, at, s| {
        let parsed = s.split_once(':').and_then(|(h, g)| {
            Some(PortMap {
                host: port_num(h)?,
                guest: port_num(g)?,
            })
        });
        if parsed.is_none() {
            r.push(
                at,
                format!("{s:?}"),
                "HOST_PORT:GUEST_PORT with ports 1-65535",
            );
        }
        parsed
    })
}

/// What `ollama pull` takes: `[namespace/]model[:tag]`, each part letters,
/// digits, `_`, `-` and `.`, starting with a letter or digit, as Ollama's
/// types/model/name.go allows (its parts at most 80 bytes). A model listed
/// twice is refused too: it would be pulled by two steps of one name.
const OLLAMA_MODEL: &str =
    "an Ollama model name, [namespace/]model[:tag] (letters, digits, '_', '-', '.'; each part starting with a letter or digit, at most 80 bytes), listed once";

fn is_ollama_model(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 80
            && p.as_bytes()[0].is_ascii_alphanumeric()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    let (name, tag) = match s.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (s, None),
    };
    let mut parts = name.split('/');
    let ok_name = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), None, _) => part(m),
        (Some(ns), Some(m), None) => part(ns) && part(m),
        _ => false,
    };
    ok_name && tag.is_none_or(part)
}

fn ollama_models(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<String> {
    let mut seen = Vec::new();
    r.str_items(at, v, &[], |r, at, s| {
        if !is_ollama_model(&s) || seen.contains(&s) {
            r.push(at, show_str(&s), OLLAMA_MODEL);
            return None;
        }
        seen.push(s.clone());
        Some(s)
    })
}

pub(super) fn mac(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    let s = r.str(at, v.clone())?;
    let parts: Vec<&str> = s.split(':').collect();
    let hex = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    let unicast = hex && u8::from_str_radix(parts[0], 16).is_ok_and(|b| b & 1 == 0);
    if unicast {
        Some(s.to_ascii_uppercase())
    } else {
        r.push(
            at,
            show_str(&s),
            "a unicast MAC address (six hex pairs separated by ':', first octet even)",
        );
        None
    }
}
