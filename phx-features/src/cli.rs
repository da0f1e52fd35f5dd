//! phx-features' command line, in the library so the packaging crate can
//! make its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{GuestFilter, InputArgs, RenderArgs};

/// Plan the software inside the running containers and VMs: their
/// `features`, a container's `application_script`, a VM's NFS `volumes`.
///
/// Per container that starts at boot, and per VM that starts at boot and is
/// no template (reached through its QEMU guest agent: `qm guest exec`, file
/// content on stdin), in the one start order over both that phx-lxc and
/// phx-vm follow, its features in array order, every step guarded inside
/// the guest so a converged guest runs only guard commands:
///   - base_setup: curl wget vim htop jq git rsync s-tui gnupg locales
///     installed, en_US.UTF-8 generated (/etc/locale.gen, locale-gen) and
///     set (/etc/default/locale: LANG=en_US.UTF-8).
///   - docker: Docker's apt repository (key fetched inside the guest into
///     /etc/apt/keyrings/docker.asc, the source file signed-by it; the
///     distribution and release come from the container's template),
///     docker-ce docker-ce-cli containerd.io docker-buildx-plugin
///     docker-compose-plugin, in an unprivileged container fuse-overlayfs and
///     "storage-driver": "fuse-overlayfs" merged into /etc/docker/daemon.json
///     (its other keys kept), docker enabled and started. The container must
///     have nesting=1 in pct_options, and keyctl=1 when unprivileged
///     (pve-container's LXC/Config.pm: "This is required to use docker inside
///     a container"); without them the plan is refused. In a VM the release
///     comes from its cloud image (own or clone source's template_image:
///     noble-server-cloudimg-amd64.img, debian-12-genericcloud-amd64.qcow2…;
///     another refuses the plan), daemon.json is left alone (a full
///     kernel: overlay2, no fuse-overlayfs), and the VM's cloud-init user
///     (user_config.username, own or clone source's) joins the docker group.
///   - python_api_service: python3 python3-pip python3-venv installed.
///   - portainer: per portainer_role, "server" (or "primary") runs the
///     container `portainer` (portainer/portainer-ce:latest, HTTPS on 9443
///     with Portainer's own certificate, the docker socket, the volume
///     portainer_data), "agent" runs `portainer_agent` (portainer/agent:latest,
///     port 9001, the docker socket, /var/lib/docker/volumes); restart always.
///     `docker run` unless `docker inspect` shows it running with the label
///     phoenix.spec=<hash of its arguments>; otherwise it is replaced. The
///     server's admin password (user admin) is made inside the container at
///     /etc/phoenix/portainer/admin-password (0600) and handed over with
///     --admin-password-file: never in the plan. It runs after Docker starts.
///     An unknown role, or a role without the docker feature (own or
///     inherited), refuses the plan; "none" or no role is warned about, and
///     so is a role on a container without the feature. A VM's
///     portainer_role alone asks for it ("primary" = server, "agent").
///   - vllm (containers): python3-venv, the venv /opt/vllm (python3 -m
///     venv), vllm==0.10.2 by its pip (guarded by `pip show vllm`), and
///     /etc/systemd/system/vllm_model_server.service: ExecStart=
///     /opt/vllm/bin/python -m vllm.entrypoints.openai.api_server, then each
///     vllm_engine_config key in file order as its --kebab-case flag, as
///     vLLM 0.10.2 parses it: true a bare flag, false --no-<flag> (left out
///     for a store_true-only flag, whose default it is), a list the flag
///     once then its items (allowed_origins/methods/headers one JSON array,
///     middleware the flag per item), null left out with a warning;
///     hf_token false, an empty list or a non-scalar item is refused,
///     CUDA_VISIBLE_DEVICES the gpu_assignment. A changed engine config
///     rewrites the unit and restarts that service alone; enabled, started.
///     A golden template gets vLLM but no unit (each clone writes its own).
///     Without nvidia on the container or a clone ancestor, or (not a
///     template) without a model in vllm_engine_config, the plan is refused.
///     The original's phoenix_hypervisor_lxc_vllm.sh, which wrote the same
///     unit, is not run (a warning says so).
///   - ollama (containers): ca-certificates, curl and zstd (the script
///     cannot unpack a current release without it), then Ollama's install
///     script (ollama.com/install.sh, fetched and run inside the
///     container) unless `ollama --version`
///     answers; OLLAMA_HOST=0.0.0.0:PORT in the drop-in
///     /etc/systemd/system/ollama.service.d/phoenix.conf, PORT the guest
///     side of the first `ports` entry (else 11434); a changed drop-in
///     restarts Ollama; enabled, started; each of `ollama_models` pulled
///     once (`ollama list` is the guard). With gpu_assignment it needs
///     nvidia on the container or a clone ancestor (exit 2 otherwise: the
///     install script would put NVIDIA's kernel driver in the container).
///   - step_ca, traefik, trusted_ca: phx-ca provides them.
///   - nvidia (containers): the driver's userspace of the version
///     nvidia_driver_version gives (the entry's, else the LXC file's top,
///     else the hypervisor's nvidia_driver.version), from its runfile
///     (nvidia_runfile_url, same fallbacks) run with --silent
///     --no-kernel-module --no-x-check --no-nouveau-check
///     --no-nvidia-modprobe --no-dkms: pushed with `pct push` when the host
///     keeps it (/var/cache/phoenix/nvidia/<file name>, under --root),
///     else fetched inside the guest; removed after. Then NVIDIA's CUDA apt
///     repository (nvidia_repo_url; key fetched into
///     /etc/apt/keyrings/cuda-archive-keyring.asc, the source signed-by it,
///     NVIDIA's pin file at /etc/apt/preferences.d/cuda-repository-pin-600)
///     and cuda-toolkit-<major>-<minor> of nvidia_driver.cuda_version (no
///     repository or CUDA version: a warning, no toolkit). The userspace's
///     guard is the version nvidia-installer recorded in the guest
///     (/var/lib/nvidia/log) or the one nvidia-smi reports there, so it
///     holds while the node has no GPU device nodes yet (a container
///     without gpu_assignment gets nothing, and a warning). A
///     version other than the host's nvidia_driver.version (when
///     nvidia_driver.install) refuses the plan: the userspace must match
///     the host's module. With docker too: NVIDIA's container toolkit
///     repository and nvidia-container-toolkit, "default-runtime": "nvidia"
///     and runtimes.nvidia merged into /etc/docker/daemon.json (other keys
///     kept; Docker restarted only when it changed), in an unprivileged
///     container `no-cgroups = true` in
///     /etc/nvidia-container-runtime/config.toml. docker with a
///     gpu_assignment on a container without nvidia on itself or a clone
///     ancestor refuses the plan. On a VM, nvidia is not yet handled (a GPU
///     reaches a VM by VFIO passthrough): a warning names its VMs.
///     vllm and ollama in a VM are warned about too (containers only).
///
/// volumes (VMs): NFS shares {type "nfs", server, path, mount_point}:
/// nfs-common installed, the mount point made, one /etc/fstab line each,
/// "SERVER:PATH MOUNT_POINT nfs defaults,_netdev 0 0", recognised by its
/// mount point (a changed volume replaces its own line and is mounted
/// again; other lines kept), then `mount MOUNT_POINT` unless mounted. A bad
/// volume (another type, a relative path, two on one mount point) refuses
/// the plan.
///
/// Repositories are set up first, then the apt index is refreshed once, and
/// only when a package is missing (a container without curl and
/// ca-certificates needs one refresh more, to fetch Docker's key).
/// A feature a clone inherits from its clone_from_ctid chain is checked the
/// same way: the image already carries it, and its guards prove it.
///
/// application_script NAME: <config-dir>/scripts/NAME (beside the JSON
/// files) is pushed to /var/lib/phoenix/scripts/NAME in the container and run
/// once per content: its SHA-256 is kept in NAME.sha256 beside it, and a
/// changed script runs again. A missing script refuses the plan. The
/// scripts of the containers phx-ca provisions (step_ca, traefik) are not
/// run: phx-ca does their work (a note says so).
#[derive(Parser)]
#[command(
    name = "phx-features",
    version,
    args_conflicts_with_subcommands = true,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-features --config-dir examples/etc               # print the plan
  phx-features --config-dir examples/etc | phx-apply   # apply it
  phx-features render --config-dir etc --out /tmp/r    # DIR/guests/<id>/<path>

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage
(nothing printed on stdout)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filter: GuestFilter,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        filter: GuestFilter,
    },
    /// Print every file the plan writes whole, or write them under --out as
    /// DIR/guests/<id>/<path in the guest>.
    Render(RenderArgs),
}

/// The command line phx-features parses, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}
