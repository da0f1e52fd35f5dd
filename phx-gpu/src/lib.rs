//! phx-gpu: the host's NVIDIA driver. On a node whose JSON says
//! `nvidia_driver.install: true` and whose `lspci` shows an NVIDIA GPU, it
//! plans what the original's `hypervisor_feature_install_nvidia.sh` and
//! `hypervisor_feature_initialize_nvidia_gpus.sh` did — the nouveau
//! blacklist, the kernel headers, NVIDIA's runfile fetched (verified when a
//! checksum is given) and run, a boot unit that readies the GPUs before the
//! guests — guarded so a converged host runs nothing, and it never reboots.
//!
//! The library turns what the JSON wants ([`Wanted`]) and what was observed
//! ([`observe::Observed`]) into a [`Plan`]; it never touches the machine.

pub mod cli;
pub mod guard;
pub mod headers;
pub mod observe;
pub mod render;
pub mod steps;
pub mod tool;
pub mod wanted;

use observe::{Gpus, Observed};
use phx_plan::Plan;
pub use wanted::{Driver, Wanted};

pub const TOOL: &str = "phx-gpu";
pub const BLACKLIST_PATH: &str = "/etc/modprobe.d/blacklist-nouveau.conf";
pub const UNIT: &str = "nvidia-gpu-init.service";
pub const UNIT_PATH: &str = "/etc/systemd/system/nvidia-gpu-init.service";

/// What phx-gpu plans for one inventory and node.
#[derive(Debug)]
pub struct Output {
    /// `(path, content)` of the files it writes (none when it plans nothing).
    pub files: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub plan: Plan,
}

/// How the plan refers to things outside the inventory.
#[derive(Debug, Clone)]
pub struct Options {
    /// How the guards call this program (`phx-gpu driver-is 580.76.05`): the
    /// binary passes its own absolute path, so the guards work when phx-gpu
    /// is not on phx-apply's PATH (e.g. run from a build directory).
    pub phx_gpu: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            phx_gpu: TOOL.to_string(),
        }
    }
}

/// The plan for `wanted` on the node `seen` describes.
pub fn build(wanted: &Wanted, seen: &Observed, opts: &Options) -> Output {
    let mut out = Output {
        files: Vec::new(),
        warnings: Vec::new(),
        notes: seen.notes.clone(),
        plan: Plan::new(TOOL),
    };
    let Some(driver) = &wanted.driver else {
        if !wanted.gpu_guests.is_empty() {
            out.warnings.push(format!(
                "{} has gpu_assignment, but nvidia_driver.install is not true in {}: phx-gpu installs no host driver, \
                 so their GPU devices exist only if something else installed it (set nvidia_driver.install, version and runfile_url)",
                wanted.gpu_guests.join(", "),
                wanted.source
            ));
        }
        return out;
    };
    if let Gpus::Found(devices) = &seen.gpus {
        // A container given GPU N needs the node's N+1th NVIDIA GPU:
        // /dev/nvidiaN exists only then, and phx-lxc cannot pass it.
        let beyond: Vec<String> = wanted
            .highest_gpu
            .iter()
            .filter(|(_, g)| *g as usize >= devices.len())
            .map(|(ct, g)| format!("{ct}: GPU {g}"))
            .collect();
        if !beyond.is_empty() {
            out.warnings.push(format!(
                "gpu_assignment names GPUs this node does not have (lspci shows {} NVIDIA GPU(s), numbered from 0): {}",
                devices.len(),
                beyond.join(", ")
            ));
        }
        if devices.is_empty() {
            out.notes.push(format!(
                "nvidia_driver.install is true in {}, but lspci shows no NVIDIA GPU (vendor 10de, class 0300 or 0302) on this node: \
                 nothing planned",
                wanted.source
            ));
            return out;
        }
    }
    if driver.sha256.is_none() {
        out.warnings.push(format!(
            "nvidia_driver.runfile_sha256 is not set in {}: {} is fetched without verifying it \
             (NVIDIA publishes each runfile's SHA-256; give it to verify the download)",
            wanted.source, driver.runfile_url
        ));
    }
    if seen.nouveau_loaded {
        out.notes.push(format!(
            "nouveau is loaded on this node ({}): NVIDIA's module takes the GPU only after a reboot with the blacklist in the initramfs, \
             and phx-gpu never reboots",
            observe::NOUVEAU_LOADED
        ));
    }
    out.files = vec![
        (BLACKLIST_PATH.to_string(), render::blacklist()),
        (UNIT_PATH.to_string(), render::unit()),
    ];
    out.plan = steps::plan(driver, seen, opts, &mut out.notes);
    out
}
