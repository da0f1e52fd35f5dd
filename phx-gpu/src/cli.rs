//! phx-gpu's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{InputArgs, RenderArgs};

/// Plan the host's NVIDIA driver: what the original's
/// hypervisor_feature_install_nvidia.sh and
/// hypervisor_feature_initialize_nvidia_gpus.sh did, idempotently.
///
/// Only when the hypervisor file says `nvidia_driver.install: true` (with
/// `version` and `runfile_url`) and `lspci -mm -n` shows an NVIDIA GPU
/// (vendor 10de, class 0300 VGA or 0302 3D controller); no GPU: nothing is
/// planned, a note says so. Containers with `gpu_assignment` while the
/// driver is not to be installed: a warning naming them; a gpu_assignment
/// naming a GPU index the node's lspci does not reach (GPU 1 on a
/// one-GPU node): a warning naming the container and the index.
///
/// The plan (JSON Lines for phx-apply):
///   /etc/modprobe.d/blacklist-nouveau.conf (blacklist nouveau, options
///     nouveau modeset=0); `update-initramfs -u -k all` only when it changed;
///   apt-get install the running kernel's headers (proxmox-headers-<release>
///     or pve-headers-<release>, after the kernel package dpkg lists for
///     /proc/sys/kernel/osrelease) and the line's headers meta package
///     (proxmox-default-headers or pve-headers: DKMS rebuilds the module
///     for the next kernel only with its headers), build-essential, dkms,
///     pkg-config;
///     guarded by `phx-gpu pkg-installed`;
///   the runfile downloaded to /var/cache/phoenix/nvidia/<its name>, verified
///     against `nvidia_driver.runfile_sha256` when given (a warning when not),
///     where container recipes find it too;
///   the runfile run with --silent --no-x-check --no-nouveau-check
///     --no-opengl-files --accept-license --dkms (DKMS: a kernel update
///     rebuilds the module), plus --skip-module-load while nouveau is loaded
///     and --allow-installation-with-running-driver while an nvidia module
///     is (driver 550 on; the silent installer aborts otherwise), unless
///     `phx-gpu driver-is VERSION`: nvidia-smi already reports the
///     configured version, or modinfo says the installed module is it
///     (waiting for the reboot), so a converged host runs nothing and a
///     version change installs again;
///   /etc/systemd/system/nvidia-gpu-init.service (nvidia-modprobe -u -c=0,
///     nvidia-smi -pm 1; Before=pve-guests.service), enabled;
///   "reboot required" at the end when the blacklist or the driver changed.
///     phx-gpu never reboots the node.
///
/// Under --root DIR other than /, lspci and dpkg-query run with
/// PHX_ROOT=DIR and the kernel release is read under DIR; without lspci on
/// PATH there, the plan is made as if the node had an NVIDIA GPU (a note).
#[derive(Parser)]
#[command(
    name = "phx-gpu",
    version,
    args_conflicts_with_subcommands = true,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-gpu --config-dir etc                     # print the plan
  phx-gpu --config-dir etc | phx-apply         # apply it to this host
  phx-gpu render --config-dir etc              # show the blacklist and the unit
  phx-gpu driver-is 580.76.05                  # exit 0 when nvidia-smi reports it

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print the nouveau blacklist and nvidia-gpu-init.service, or write them under --out.
    Render(RenderArgs),
    /// Exit 0 if every Debian package PKG is fully installed, 1 if not (the build dependencies' guard).
    PkgInstalled {
        /// Debian package names (e.g. proxmox-headers-6.8.12-4-pve dkms).
        #[arg(value_name = "PKG", required = true)]
        packages: Vec<String>,
    },
    /// Exit 0 if nvidia-smi reports driver VERSION on every GPU or `modinfo -F version nvidia` is VERSION (installed, loaded at the next boot), 1 if not (the driver step's guard).
    DriverIs {
        /// The driver version, as nvidia_driver.version gives it (e.g. 580.76.05).
        #[arg(value_name = "VERSION")]
        version: String,
    },
}

/// The command line phx-gpu parses, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}
