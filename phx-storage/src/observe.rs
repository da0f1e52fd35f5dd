//! Reads the node: pools (`zpool list`), filesystems and the properties the
//! JSON sets (one `zfs get -p -r`), what is on the disks of pools still to be
//! created (`wipefs -n -J`, `lsblk -J`), storage.cfg and the live ARC limit.
//! Under a state root other than `/` the programs run with `PHX_ROOT` set to
//! it, so test doubles read the same tree (as phx-lxc runs `pct list`).

use crate::disks::{self, Disk};
use crate::storage_cfg::{self, Entry};
use anyhow::{anyhow, Context};
use phx_common::config::Inventory;
use phx_plan::fsutil::{read_optional, under_root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

pub const ARC_LIVE: &str = "/sys/module/zfs/parameters/zfs_arc_max";
pub const MODPROBE_CONF: &str = "/etc/modprobe.d/zfs.conf";

#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// `zpool` ran: the node has the ZFS tools.
    pub zfs_tools: bool,
    pub pools: BTreeSet<String>,
    /// Filesystems in the pools the JSON names: name → property → value
    /// as `zfs get -p` prints it.
    pub datasets: BTreeMap<String, BTreeMap<String, String>>,
    /// What is on each disk of a pool to be created; `Err`: why it could
    /// not be read (a missing device, no wipefs).
    pub disks: BTreeMap<String, Result<Disk, String>>,
    /// storage.cfg's entries; `None` when the file is absent.
    pub storages: Option<Vec<Entry>>,
    /// The running module's limit; `None` when ZFS is not loaded.
    pub arc_live: Option<u64>,
    pub modprobe_conf: Option<String>,
    /// Container templates (`phx_common::fetch`'s paths) that exist.
    pub templates: BTreeSet<String>,
    /// Cloud images that exist: the `template_image` as written → where.
    pub images: BTreeMap<String, String>,
    /// Containers and VMs (of those made from a template or an image) whose
    /// conf exists: they need neither any more.
    pub existing_cts: BTreeSet<u32>,
    pub existing_vms: BTreeSet<u32>,
    pub notes: Vec<String>,
    /// Programs run while observing.
    pub calls: usize,
}

impl Observed {
    /// storage.cfg's entries by storage ID (none when the file is absent).
    pub fn storages_by_id(&self) -> BTreeMap<&str, &Entry> {
        self.storages
            .iter()
            .flatten()
            .map(|e| (e.id.as_str(), e))
            .collect()
    }
}

struct Runner<'a> {
    root: &'a Path,
    calls: usize,
}

impl Runner<'_> {
    /// Its stdout; `Ok(None)` when the program is not installed.
    fn run(&mut self, argv: &[&str]) -> anyhow::Result<Option<Result<String, String>>> {
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..]).stdin(Stdio::null());
        if self.root != Path::new("/") {
            cmd.env("PHX_ROOT", self.root);
        }
        self.calls += 1;
        let out = match cmd.output() {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow!("running {}: {e}", argv.join(" "))),
        };
        if out.status.success() {
            Ok(Some(Ok(String::from_utf8_lossy(&out.stdout).into_owned())))
        } else {
            Ok(Some(Err(format!(
                "`{}` exited with {}: {}",
                argv.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))))
        }
    }
}

/// The node's storage as the plan needs it.
pub fn observe(inv: &Inventory, state_root: &Path) -> anyhow::Result<Observed> {
    let host = &inv.host;
    let mut r = Runner {
        root: state_root,
        calls: 0,
    };
    let mut seen = Observed::default();
    // A node that declares no ZFS is not asked about it: `phoenix-cli setup`
    // runs this tool on hosts without the ZFS tools too.
    let declares_zfs = !host.zfs_pools.is_empty() || !host.zfs_datasets.is_empty();
    let listed = if declares_zfs {
        Some(r.run(&["zpool", "list", "-H", "-o", "name"])?)
    } else {
        None
    };
    let offline = matches!(listed, Some(None)) && state_root != Path::new("/");
    match listed {
        None => {}
        // A preview root on a machine without ZFS (as phx-lxc plans without
        // pct): the pools datasets name and zfs.pools does not are taken as
        // there, so their datasets are planned, not refused.
        Some(None) if offline => {
            let declared: BTreeSet<&str> = host.zfs_pools.iter().map(|p| p.name.as_str()).collect();
            seen.pools = host
                .zfs_datasets
                .iter()
                .map(|d| d.pool.as_str())
                .filter(|p| !declared.contains(p))
                .map(String::from)
                .collect();
            seen.notes.push(format!(
                "zpool is not on PATH: planning offline against {}, with zfs.pools taken as missing, \
                 the other pools datasets name ({}) as present and their datasets as missing",
                state_root.display(),
                seen.pools.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        Some(None) => seen.notes.push(
            "zpool is not installed: every pool is taken as missing (install zfsutils-linux)"
                .to_string(),
        ),
        Some(Some(out)) => {
            seen.zfs_tools = true;
            seen.pools = out
                .map_err(|e| anyhow!(e))?
                .lines()
                .map(String::from)
                .collect();
        }
    }
    let named: BTreeSet<&str> = host
        .zfs_pools
        .iter()
        .map(|p| p.name.as_str())
        .chain(host.zfs_datasets.iter().map(|d| d.pool.as_str()))
        .filter(|p| seen.pools.contains(*p))
        .collect();
    if !named.is_empty() && !offline {
        let mut props: BTreeSet<&str> = ["type", "mountpoint"].into();
        for d in &host.zfs_datasets {
            props.extend(d.properties.iter().map(|(k, _)| k.as_str()));
        }
        let props = props.into_iter().collect::<Vec<_>>().join(",");
        let mut argv = vec![
            "zfs",
            "get",
            "-H",
            "-p",
            "-r",
            "-t",
            "filesystem",
            "-o",
            "name,property,value",
        ];
        argv.push(&props);
        argv.extend(named.iter().copied());
        let out = r
            .run(&argv)?
            .ok_or_else(|| anyhow!("zpool is installed but zfs is not"))?
            .map_err(|e| anyhow!(e))?;
        for line in out.lines() {
            let mut f = line.splitn(3, '\t');
            if let (Some(name), Some(prop), Some(value)) = (f.next(), f.next(), f.next()) {
                seen.datasets
                    .entry(name.to_string())
                    .or_default()
                    .insert(prop.to_string(), value.to_string());
            }
        }
    }
    for pool in host
        .zfs_pools
        .iter()
        .filter(|p| !seen.pools.contains(&p.name))
    {
        for disk in &pool.disks {
            let state = read_disk(&mut r, disk)?;
            seen.disks.insert(disk.clone(), state);
        }
    }
    let read = |p: &str| {
        read_optional(&under_root(state_root, p))
            .with_context(|| format!("reading {p} under {}", state_root.display()))
    };
    seen.storages = match read(storage_cfg::PATH)? {
        Some(text) => Some(storage_cfg::parse(&text).map_err(|e| anyhow!(e))?),
        None => None,
    };
    seen.arc_live =
        match read(ARC_LIVE)? {
            Some(text) => Some(text.trim().parse().map_err(|_| {
                anyhow!("{ARC_LIVE} holds {:?}, not a number of bytes", text.trim())
            })?),
            None => None,
        };
    seen.modprobe_conf = read(MODPROBE_CONF)?;
    for (t, _) in phx_common::fetch::templates(inv).into_values() {
        if let Some(p) = t.path().filter(|p| under_root(state_root, p).is_file()) {
            seen.templates.insert(p);
        }
    }
    let exists = |kind: &phx_common::guests::Kind, id: u32| {
        under_root(state_root, &kind.conf_path(id)).is_file()
    };
    for (_, ids) in phx_common::fetch::templates(inv).into_values() {
        let made = ids
            .into_iter()
            .filter(|id| exists(&phx_common::guests::CT, *id));
        seen.existing_cts.extend(made);
    }
    for (_, _, ids) in phx_common::fetch::images(inv).into_values() {
        let made = ids
            .into_iter()
            .filter(|id| exists(&phx_common::guests::VM, *id));
        seen.existing_vms.extend(made);
    }
    for image in phx_common::fetch::images(inv).into_keys() {
        let found = phx_common::fetch::image_candidates(image)
            .into_iter()
            .find(|c| under_root(state_root, c).is_file());
        if let Some(at) = found {
            seen.images.insert(image.to_string(), at);
        }
    }
    seen.calls = r.calls;
    Ok(seen)
}

fn read_disk(r: &mut Runner, disk: &str) -> anyhow::Result<Result<Disk, String>> {
    let sig = match r.run(&["wipefs", "-n", "-J", disk])? {
        None => return Ok(Err("wipefs is not installed (util-linux)".to_string())),
        Some(Err(e)) => return Ok(Err(e)),
        Some(Ok(out)) => disks::signatures(&out).map_err(|e| anyhow!(e))?,
    };
    let (partitions, mounted) =
        match r.run(&["lsblk", "-J", "-o", "NAME,FSTYPE,MOUNTPOINT", disk])? {
            None => return Ok(Err("lsblk is not installed (util-linux)".to_string())),
            Some(Err(e)) => return Ok(Err(e)),
            Some(Ok(out)) => disks::layout(&out).map_err(|e| anyhow!(e))?,
        };
    Ok(Ok(Disk {
        signatures: sig,
        partitions,
        mounted,
    }))
}
