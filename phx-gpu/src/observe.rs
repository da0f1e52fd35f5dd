//! Reads the node, only when the JSON asks for the driver: its PCI devices
//! (`lspci -mm -n`), the running kernel's release
//! (`/proc/sys/kernel/osrelease`, what `uname -r` prints) and which kernel
//! package line it comes from (`dpkg-query`). Under a state root other than
//! `/` the programs run with `PHX_ROOT` set to it, so the test doubles read
//! the same tree (as phx-storage runs `zpool`), and the release is read
//! under the root.

use crate::headers::{self, Line};
use anyhow::anyhow;
use phx_common::lspci::{self, Device};
use phx_plan::fsutil::{read_optional, under_root};
use std::path::Path;
use std::process::{Command, Stdio};

pub const OSRELEASE: &str = "/proc/sys/kernel/osrelease";
/// Present while the nouveau module is loaded (sysfs's module directory).
pub const NOUVEAU_LOADED: &str = "/sys/module/nouveau";
/// Present while an nvidia module is loaded: an installer run then replaces
/// a driver in use (persistence mode, the GPU guests).
pub const NVIDIA_LOADED: &str = "/sys/module/nvidia";

/// The NVIDIA GPUs lspci showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gpus {
    /// lspci ran: these NVIDIA GPUs (maybe none).
    Found(Vec<Device>),
    /// Not asked (the JSON wants no driver), or planning offline under a
    /// preview root without lspci: planned as if the node had one.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Observed {
    pub gpus: Gpus,
    /// The running kernel's release; `None` when it cannot be read (a preview root without it).
    pub release: Option<String>,
    /// Its package line; `None` when dpkg knows no kernel package of the release.
    pub line: Option<Line>,
    /// nouveau is loaded now: NVIDIA's module loads only after a reboot.
    pub nouveau_loaded: bool,
    /// An nvidia module is loaded now (maybe another version's).
    pub nvidia_loaded: bool,
    pub notes: Vec<String>,
    /// Programs run while observing.
    pub calls: usize,
}

impl Default for Observed {
    fn default() -> Self {
        Observed {
            gpus: Gpus::Unknown,
            release: None,
            line: None,
            nouveau_loaded: false,
            nvidia_loaded: false,
            notes: Vec::new(),
            calls: 0,
        }
    }
}

fn command(prog: &str, root: &Path) -> Command {
    let mut cmd = Command::new(prog);
    cmd.stdin(Stdio::null());
    if root != Path::new("/") {
        cmd.env("PHX_ROOT", root);
    }
    cmd
}

/// What the plan needs to know of the node; nothing is read when the JSON
/// wants no driver.
pub fn observe(wants_driver: bool, root: &Path) -> anyhow::Result<Observed> {
    let mut seen = Observed::default();
    if !wants_driver {
        return Ok(seen);
    }
    seen.calls += 1;
    match command("lspci", root).args(["-mm", "-n"]).output() {
        Ok(o) if o.status.success() => {
            let all = lspci::parse(&String::from_utf8_lossy(&o.stdout));
            seen.gpus = Gpus::Found(lspci::nvidia_gpus(&all).into_iter().cloned().collect());
        }
        Ok(o) => {
            return Err(anyhow!(
                "`lspci -mm -n` exited with {}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && root != Path::new("/") => {
            seen.notes.push(format!(
                "lspci is not on PATH: planning offline against {} as if the node had an NVIDIA GPU",
                root.display()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(anyhow!(
                "lspci is not installed (Debian package pciutils, which pve-manager depends on): \
                 phx-gpu cannot tell whether this node has an NVIDIA GPU"
            ))
        }
        Err(e) => return Err(anyhow!("running lspci: {e}")),
    }
    if matches!(&seen.gpus, Gpus::Found(d) if d.is_empty()) {
        return Ok(seen);
    }
    seen.nouveau_loaded = under_root(root, NOUVEAU_LOADED).is_dir();
    seen.nvidia_loaded = under_root(root, NVIDIA_LOADED).is_dir();
    let release_file = under_root(root, OSRELEASE);
    seen.release = read_optional(&release_file)?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let Some(release) = &seen.release else {
        seen.notes.push(format!(
            "{} is missing: the running kernel is unknown, so no headers package is planned",
            release_file.display()
        ));
        return Ok(seen);
    };
    for (package, line) in headers::candidates(release) {
        seen.calls += 1;
        if phx_common::pkg::installed_with(&package, |c| {
            if root != Path::new("/") {
                c.env("PHX_ROOT", root);
            }
        }) {
            seen.line = Some(line);
            break;
        }
    }
    if seen.line.is_none() {
        seen.notes.push(format!(
            "dpkg lists no Proxmox kernel package of the running kernel {release} (proxmox-kernel-{release}[-signed] or pve-kernel-{release}): \
             planning the current line's proxmox-headers-{release}"
        ));
    }
    Ok(seen)
}
