//! What one container should look like, from its JSON entry: the pct keys,
//! its mounts and the raw LXC lines pct cannot set.

use crate::conf::raw_line;
use phx_common::config::model::{GuestIp, Host, Lxc};
use phx_common::config::Guest;
use phx_common::ip_text;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `<storage>:<GiB>` allocates a new volume; `name` is its
    /// `zfs_volumes[].name`, which containers naming it alike share.
    Volume {
        storage: String,
        size_gb: u64,
        name: String,
    },
    /// Another container's volume (`<storage>:subvol-<owner>-disk-<n>`),
    /// mounted as it is: the planner puts it in place of a `Volume` whose
    /// name an earlier container owns (crate::one_volume).
    OfAnother { volid: String, owner: u32 },
    /// A host directory.
    Bind { host: String, read_only: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Path inside the container (`mp=`): what identifies a mount.
    pub path: String,
    pub source: Source,
}

impl Mount {
    /// The `mpN` value for `pct create/set`.
    pub fn value(&self) -> String {
        match &self.source {
            Source::Volume {
                storage, size_gb, ..
            } => format!("{storage}:{size_gb},mp={}", self.path),
            Source::OfAnother { volid, .. } => format!("{volid},mp={}", self.path),
            Source::Bind { host, read_only } => {
                format!(
                    "{host},mp={}{}",
                    self.path,
                    if *read_only { ",ro=1" } else { "" }
                )
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Desired {
    pub ctid: u32,
    /// `pct` keys in the order they are passed: hostname, memory, swap, cores,
    /// net0, nameserver, onboot, startup, features.
    pub keys: Vec<(&'static str, String)>,
    pub unprivileged: bool,
    pub rootfs_storage: String,
    pub rootfs_gb: u64,
    pub mounts: Vec<Mount>,
    /// Raw lines for the conf's main section, `lxc.key: value`.
    pub raw: Vec<String>,
    /// Prefixes of the raw lines Phoenix owns in this conf: every line of a
    /// key the entry names (`lxc_options`, `apparmor_profile`), and the raw
    /// NVIDIA passthrough lines of earlier versions. Owned lines not in `raw`
    /// are removed; other raw lines are the operator's and stay.
    pub owned: Vec<String>,
    /// `gpu_assignment`: its `devN` entries depend on the node's device
    /// nodes (crate::gpu), so the planner makes them.
    pub gpus: Vec<u32>,
}

impl Desired {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The managed part of net0 (`name,bridge,ip,gw,hwaddr,firewall`).
pub fn net0(c: &Lxc) -> Option<BTreeMap<String, String>> {
    let n = c.net.as_ref()?;
    let mut m = BTreeMap::new();
    m.insert("name".to_string(), n.name.clone());
    m.insert("bridge".to_string(), n.bridge.clone());
    let ip = match &n.ip {
        GuestIp::Static(net) => ip_text::ipv4_net(net),
        GuestIp::Dhcp => "dhcp".to_string(),
        GuestIp::Manual => "manual".to_string(),
    };
    m.insert("ip".to_string(), ip);
    if let Some(gw) = n.gw {
        m.insert("gw".to_string(), ip_text::ipv4(gw));
    }
    if let Some(mac) = &c.mac {
        m.insert("hwaddr".to_string(), mac.to_ascii_uppercase());
    }
    // phx-fw owns the rule of when a NIC is filtered; net0 only follows it.
    if phx_common::firewall::nic_firewall_enabled(Guest::Lxc(c)) {
        m.insert("firewall".to_string(), "1".to_string());
    }
    Some(m)
}

pub fn desired(c: &Lxc, host: &Host) -> Desired {
    let mut keys: Vec<(&'static str, String)> = vec![
        ("hostname", c.name.clone()),
        ("memory", c.memory_mb.to_string()),
        (
            "swap",
            c.swap_mb
                .unwrap_or(phx_common::config::model::defaults::LXC_SWAP_MB)
                .to_string(),
        ),
        ("cores", c.cores.to_string()),
    ];
    if let Some(n) = net0(c) {
        keys.push(("net0", crate::props::format_net(&n)));
    }
    if let Some(n) = &c.net {
        if !n.nameservers.is_empty() {
            keys.push((
                "nameserver",
                n.nameservers
                    .iter()
                    .map(|&i| ip_text::ip(i))
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
    }
    keys.push((
        "onboot",
        if c.start_at_boot { "1" } else { "0" }.to_string(),
    ));
    // A delay alone is `up=N` without `order=`: pve-manager's startall puts
    // a guest without an order last (`$startup->{order} // LONG_MAX`,
    // PVE/API2/Nodes.pm:2083 get_start_stop_list); `order=0` would start it first.
    let startup: Vec<String> = [("order", c.boot_order), ("up", c.boot_delay)]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    if !startup.is_empty() {
        keys.push(("startup", startup.join(",")));
    }
    // `pct_options` are the features; without any, the host's LXC default applies.
    let features = if c.pct_options.is_empty() {
        host.lxc_defaults.features.clone()
    } else {
        Some(c.pct_options.join(","))
    };
    if let Some(f) = features.filter(|f| !f.trim().is_empty()) {
        keys.push(("features", f));
    }
    let mut mounts: Vec<Mount> = c
        .zfs_volumes
        .iter()
        .map(|v| Mount {
            path: v.mount_point.clone(),
            source: Source::Volume {
                storage: v.pool.clone(),
                size_gb: v.size_gb,
                name: v.name.clone(),
            },
        })
        .collect();
    // Its mount_points, then the shared volumes naming it (the loader
    // refused a guest path two of them use).
    mounts.extend(phx_common::bind_sources::of(host, c).map(|b| Mount {
        path: b.container_path.to_string(),
        source: Source::Bind {
            host: b.host_path.to_string(),
            read_only: b.read_only,
        },
    }));
    let entry_lines = c
        .lxc_options
        .iter()
        .filter_map(|o| raw_line(o.trim()))
        .chain(
            c.apparmor_profile
                .iter()
                .map(|p| format!("lxc.apparmor.profile: {p}")),
        );
    let mut raw: Vec<String> = Vec::new();
    let mut owned: Vec<String> = Vec::new();
    for l in entry_lines {
        let key = format!("{}:", l.split_once(':').map_or(l.as_str(), |(k, _)| k));
        if !owned.contains(&key) {
            owned.push(key);
        }
        if !raw.contains(&l) {
            raw.push(l);
        }
    }
    // The raw passthrough lines earlier versions wrote: owned, none wanted
    // (the GPUs are `devN` entries now: crate::gpu).
    owned.extend(
        crate::gpu::LEGACY_OWNED_PREFIXES
            .iter()
            .map(|p| p.to_string()),
    );
    Desired {
        ctid: c.id,
        keys,
        unprivileged: c.unprivileged,
        rootfs_storage: c
            .storage_pool
            .clone()
            .unwrap_or_else(|| phx_common::guest_storage::default_lxc_storage(host)),
        rootfs_gb: c.storage_size_gb,
        mounts,
        raw,
        owned,
        gpus: c.gpus.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_storage_pool_the_rootfs_goes_where_proxmox_storage_ids_says() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/phoenix-upstream");
        let mut inv = phx_common::config::load(&phx_common::config::Input::Dir(dir)).unwrap();
        let mut c = inv.lxcs.values().next().unwrap().clone();
        c.storage_pool = None;
        // The original's `quickos_lxc`, not `local` (no rootdir content on a
        // fresh install).
        assert_eq!(desired(&c, &inv.host).rootfs_storage, "quickOS-lxc-disks");
        inv.host.storage_ids.clear();
        assert_eq!(desired(&c, &inv.host).rootfs_storage, "local");
    }
}
