//! `nvidia` in a container: the driver's userspace, CUDA, and Docker's
//! NVIDIA runtime when the container also has `docker`. The original
//! (lxc_setup/phoenix_hypervisor_feature_install_nvidia.sh,
//! ensure_nvidia_repo_is_configured in phoenix_hypervisor_common_utils.sh,
//! the nvidia branch of the docker feature):
//!   - the runfile of the same driver version as the host's kernel module,
//!     run with `--no-kernel-module` (a container shares the host's kernel)
//!     and the original's other flags. It is pushed from the host when phx-gpu
//!     keeps it there (phx_common::gpu::runfile_path, seen under the state
//!     root), else fetched inside the guest from the URL; removed after;
//!   - NVIDIA's CUDA apt repository with its key as a `signed-by=` keyring
//!     and NVIDIA's pin file, then `cuda-toolkit-<major>-<minor>`. The key is
//!     kept armored (`.asc`, which apt reads since 1.4) rather than
//!     dearmored with gpg as the original did: no gnupg in the guest;
//!   - the guard is the version the runfile's installer recorded in the
//!     guest ([`INSTALLER_LOG`]), or the driver version `nvidia-smi` reports
//!     there: a converged guest runs nothing and a version change installs
//!     again. nvidia-smi alone cannot be the guard: it fails without the
//!     GPU's device nodes or with the host's module at another version,
//!     neither of which installing the userspace again mends.
//!
//! A container's version must be the host's `nvidia_driver.version` when the
//! host driver is installed (exit 2 otherwise, select). `nvidia` inherited
//! along the clone chain is satisfied by the image: the steps are planned,
//! and their guards find it done.

use crate::subject::Subject;
use phx_common::config::{Inventory, Lxc, Problems};
use phx_plan::guest_steps::{self as guest, installed};
use phx_plan::{argv, Action, CommandStep, Guest, StepSink};
use std::path::Path;

/// The original's flags for a container (its host flags add
/// `--no-opengl-files --accept-license` and build the module).
pub const RUNFILE_FLAGS: [&str; 6] = [
    "--silent",
    "--no-kernel-module",
    "--no-x-check",
    "--no-nouveau-check",
    "--no-nvidia-modprobe",
    "--no-dkms",
];
/// The CUDA repository's key, kept armored, where apt's documentation puts
/// keys the administrator adds (/usr/share/keyrings, the original's, is
/// for keys packages ship; Docker's is in /etc/apt/keyrings too).
pub const CUDA_KEY: &str = "/etc/apt/keyrings/cuda-archive-keyring.asc";
/// Its file name in the repository (the original's `3bf863cc.pub`).
const CUDA_KEY_NAME: &str = "3bf863cc.pub";
pub const CUDA_LIST: &str = "/etc/apt/sources.list.d/cuda.list";
/// Where the original put NVIDIA's pin file.
pub const CUDA_PIN: &str = "/etc/apt/preferences.d/cuda-repository-pin-600";
/// NVIDIA's `cuda-<distro>.pin`, as every repository of theirs serves it:
/// their packages win over the distribution's (600), and the distribution's
/// nsight tools never replace theirs.
pub const PIN: &str = "Package: nsight-compute
Pin: origin *ubuntu.com*
Pin-Priority: -1

Package: nsight-systems
Pin: origin *ubuntu.com*
Pin-Priority: -1

Package: *
Pin: release l=NVIDIA CUDA
Pin-Priority: 600
";
/// What the guest needs to fetch keys and the runfile.
pub const PACKAGES: [&str; 2] = ["ca-certificates", "curl"];

/// NVIDIA's container toolkit repository (its documented install).
pub const TOOLKIT_KEY: &str = "/etc/apt/keyrings/nvidia-container-toolkit-keyring.asc";
const TOOLKIT_KEY_URL: &str = "https://nvidia.github.io/libnvidia-container/gpgkey";
pub const TOOLKIT_LIST: &str = "/etc/apt/sources.list.d/nvidia-container-toolkit.list";
pub const TOOLKIT_PACKAGE: &str = "nvidia-container-toolkit";
/// The toolkit's configuration: an unprivileged container may not create
/// device cgroups, so the runtime must not try (`no-cgroups = true`, as
/// NVIDIA documents for rootless and LXC).
pub const TOOLKIT_CONFIG: &str = "/etc/nvidia-container-runtime/config.toml";

/// What one container's `nvidia` installs.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    pub version: &'a str,
    pub runfile_url: &'a str,
    /// The CUDA repository and toolkit (`cuda-toolkit-12-8`), when both
    /// the repository URL and the CUDA version are given.
    pub cuda: Option<(&'a str, String)>,
    /// Docker's NVIDIA runtime (the container also has `docker`).
    pub docker: bool,
    /// The host's copy of the runfile, pushed (set by [`on_host`]).
    pub from_host: Option<String>,
}

/// The runfile's name (the last part of its URL).
pub fn runfile_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// `cuda_version` "12.8" → `cuda-toolkit-12-8`.
fn toolkit(cuda: &str) -> Option<String> {
    let (maj, min) = cuda.split_once('.')?;
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (num(maj) && num(min)).then(|| format!("cuda-toolkit-{maj}-{min}"))
}

/// What container `c`'s `nvidia` needs, checked: a driver version and
/// runfile, the host's version when the host driver is installed. Problems
/// are exit 2 (nothing planned); no CUDA repository is a warning.
pub fn check<'a>(
    inv: &'a Inventory,
    c: &'a Lxc,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<Setup<'a>> {
    let file = &inv.sources.lxc;
    if c.gpus.is_empty() {
        // The userspace only serves a GPU passed through: without one,
        // nothing to install (and nothing nvidia-smi could check).
        warnings.push(format!(
            "{file}: {}.gpu_assignment: CT {} lists \"nvidia\" but has no GPU: nothing is installed for it (the driver's userspace serves only a GPU passed through)",
            c.path, c.id
        ));
        return None;
    }
    let g = inv.nvidia_for(c);
    let own = |own: bool, key: &str| {
        if own {
            format!("{}.{key}", c.path)
        } else {
            key.to_string()
        }
    };
    let host = inv.host.nvidia_driver.as_ref();
    let Some(version) = g.version else {
        p.push(
            file,
            &format!("{}.nvidia_driver_version", c.path),
            "(none)",
            format!("a driver version for the \"nvidia\" feature of CT {} (here, nvidia_driver_version at the file's top, or the hypervisor file's nvidia_driver.version)", c.id),
        );
        return None;
    };
    if let Some(hv) = host.and_then(|h| h.installed_version()) {
        if hv != version {
            p.push(
                file,
                &own(
                    c.nvidia.driver_version.is_some(),
                    "nvidia_driver_version",
                ),
                format!("{version:?}"),
                format!(
                    "the host's driver version {hv:?} ({}: nvidia_driver.version) for CT {}: the userspace must match the host's kernel module",
                    inv.sources.hypervisor, c.id
                ),
            );
        }
    }
    let Some(runfile_url) = g.runfile_url else {
        p.push(
            file,
            &format!("{}.nvidia_runfile_url", c.path),
            "(none)",
            format!("the driver's runfile URL for the \"nvidia\" feature of CT {} (here, nvidia_runfile_url at the file's top, or the hypervisor file's nvidia_driver.runfile_url)", c.id),
        );
        return None;
    };
    let cuda = match (g.repo_url, g.cuda_version) {
        (Some(repo), Some(cv)) => match toolkit(cv) {
            Some(pkg) => Some((repo, pkg)),
            None => {
                p.push(
                    &inv.sources.hypervisor,
                    "nvidia_driver.cuda_version",
                    format!("{cv:?}"),
                    "a CUDA version as <major>.<minor> (\"12.8\")",
                );
                None
            }
        },
        (repo, cv) => {
            warnings.push(format!(
                "{file}: {}: CT {} gets the NVIDIA driver's userspace but no CUDA toolkit: {} not given",
                c.path,
                c.id,
                match (repo, cv) {
                    (None, None) => "nvidia_repo_url and the hypervisor's nvidia_driver.cuda_version are",
                    (None, _) => "nvidia_repo_url is",
                    _ => "the hypervisor's nvidia_driver.cuda_version is",
                }
            ));
            None
        }
    };
    Some(Setup {
        version,
        runfile_url,
        cuda,
        docker: c.has_feature("docker"),
        from_host: None,
    })
}

/// `docker` or `ollama` with a `gpu_assignment` on a container without
/// `nvidia` on itself or a clone ancestor: Docker's GPU runtime needs the
/// userspace, and Ollama's install script, finding no `nvidia-smi` but an
/// NVIDIA device in `lspci`, would add NVIDIA's CUDA repository and install
/// `cuda-drivers` — a kernel module, headers and DKMS — inside the
/// container (ollama/ollama scripts/install.sh: check_gpu,
/// install_cuda_driver_apt), which fails there or, at best, serves on the CPU.
pub fn check_docker_gpu(inv: &Inventory, s: Subject, c: &Lxc, p: &mut Problems) {
    if c.gpus.is_empty() || c.has_feature("nvidia") {
        return;
    }
    let Some(f) = ["docker", "ollama"].into_iter().find(|f| c.has_feature(f)) else {
        return;
    };
    if crate::ancestor_with(inv, s, "nvidia").is_some() {
        return;
    }
    let why = match f {
        "docker" => "Docker's GPU runtime needs the driver's userspace",
        _ => "Ollama's install script would otherwise install NVIDIA's kernel driver (cuda-drivers) inside the container",
    };
    p.push(
        &inv.sources.lxc,
        &format!("{}.features", c.path),
        format!("{:?}", c.features),
        format!(
            "\"nvidia\" on CT {} or a container it is cloned from: it has \"{f}\" and gpu_assignment, and {why}",
            c.id
        ),
    );
}

/// Marks each container whose runfile the host keeps (`exists`, given
/// the host path phx_common::gpu::runfile_path): it is pushed, not fetched
/// again inside the guest.
pub fn on_host(sel: &mut crate::Selection, exists: impl Fn(&str) -> bool) {
    for w in &mut sel.work {
        if let Some(n) = &mut w.nvidia {
            let p = phx_common::gpu::runfile_path(n.runfile_url);
            if exists(&p) {
                n.from_host = Some(p);
            }
        }
    }
}

/// Whether `path` (a host path) is a file under `state_root`.
pub fn host_file(state_root: &Path) -> impl Fn(&str) -> bool + '_ {
    move |p| phx_plan::fsutil::under_root(state_root, p).is_file()
}

/// nvidia-installer's record of the driver it installed: its first line is
/// `1.0-<digits> (<version>)` (NVIDIA/nvidia-installer backup.c,
/// init_backup and create_backwards_compatible_version_string; what
/// `nvidia-installer --driver-info` reads back).
pub const INSTALLER_LOG: &str = "/var/lib/nvidia/log";

/// The guard: the userspace of `version` is installed in the guest — the
/// installer's record says so, or (a userspace that came another way, e.g.
/// an image's) `nvidia-smi` reports it. Not nvidia-smi alone: it answers
/// only with the GPU's device nodes in the container and the host's module
/// loaded at the same version, so on a node whose nodes are missing (driver
/// not installed yet, reboot pending: phx-lxc plans no devN then) or whose
/// module is still the old one, the guard could never hold and every run
/// would install the userspace again.
pub fn version_guard(version: &str) -> Vec<String> {
    argv(&[
        "sh",
        "-c",
        &format!(
            r#"[ "$(sed -n '1s/^[^(]*(\(.*\))$/\1/p' {INSTALLER_LOG} 2>/dev/null)" = "$1" ] || [ "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1)" = "$1" ]"#
        ),
        "phx-nvidia-version",
        version,
    ])
}

/// The userspace, then CUDA, then the container toolkit (with docker).
pub fn plan(plan: &mut impl StepSink, prefix: &str, ct: Guest, s: &Setup, from: &str) {
    runfile(plan, prefix, ct, s, from);
    if let Some((repo, pkg)) = &s.cuda {
        cuda(plan, prefix, ct, repo, pkg);
    }
}

fn runfile(plan: &mut impl StepSink, prefix: &str, ct: Guest, s: &Setup, from: &str) {
    let name = runfile_name(s.runfile_url);
    let tmp = format!("/tmp/{name}");
    let guard = version_guard(s.version);
    let flags = RUNFILE_FLAGS.join(" ");
    let Guest::Ct(id) = ct else {
        unreachable!("nvidia is planned for containers only")
    };
    let (cmd, how) = match &s.from_host {
        Some(host) => {
            // pct push from the host, guarded inside the guest.
            let id = id.to_string();
            let mut unless = argv(&["pct", "exec", &id, "--"]);
            unless.extend(guard.iter().cloned());
            plan.push(
                format!("{prefix}-runfile-push"),
                Action::Command(CommandStep {
                    show_output: false,
                    argv: argv(&["pct", "push", &id, host, &tmp, "--perms", "0755"]),
                    unless: Some(unless),
                    only_if: None,
                    desc: format!("CT {id}: push the driver runfile {host} (the host's copy)"),
                    notify: Vec::new(),
                    timeout_s: None,
                }),
            );
            (
                argv(&[
                    "sh",
                    "-c",
                    &format!(r#"sh "$1" {flags}; rc=$?; rm -f "$1"; exit $rc"#),
                    "phx-nvidia-runfile",
                    &tmp,
                ]),
                format!("pushed from the host's {host}"),
            )
        }
        None => (
            argv(&[
                "sh",
                "-c",
                &format!(
                    r#"curl -fsSL -o "$2" "$1" && sh "$2" {flags}; rc=$?; rm -f "$2"; exit $rc"#
                ),
                "phx-nvidia-runfile",
                s.runfile_url,
                &tmp,
            ]),
            format!(
                "fetched inside the guest from {} (the host keeps no copy)",
                s.runfile_url
            ),
        ),
    };
    guest::long_command(
        plan,
        &format!("{prefix}-runfile"),
        ct,
        cmd,
        Some(guard),
        &format!(
            "install the NVIDIA driver {}'s userspace (--no-kernel-module), the runfile {how}{from}",
            s.version
        ),
    );
}

fn cuda(plan: &mut impl StepSink, prefix: &str, ct: Guest, repo: &str, pkg: &str) {
    let repo = if repo.ends_with('/') {
        repo.to_string()
    } else {
        format!("{repo}/")
    };
    guest::command(
        plan,
        &format!("{prefix}-cuda-key"),
        ct,
        argv(&[
            "curl",
            "-fsSL",
            "--create-dirs",
            "-o",
            CUDA_KEY,
            &format!("{repo}{CUDA_KEY_NAME}"),
        ]),
        Some(argv(&["test", "-s", CUDA_KEY])),
        "fetch the CUDA repository's signing key",
    );
    guest::file(
        plan,
        &format!("{prefix}-cuda-pin"),
        ct,
        CUDA_PIN,
        PIN.to_string(),
        &[],
    );
    guest::file(
        plan,
        &format!("{prefix}-cuda-source"),
        ct,
        CUDA_LIST,
        format!("deb [signed-by={CUDA_KEY}] {repo} /\n"),
        &[],
    );
    let missing = installed(&[pkg]);
    guest::command(
        plan,
        &format!("{prefix}-cuda-update"),
        ct,
        argv(&["apt-get", "update"]),
        Some(missing.clone()),
        &format!("apt-get update ({pkg} is missing)"),
    );
    guest::long_command(
        plan,
        &format!("{prefix}-cuda-install"),
        ct,
        guest::apt_get_install(&[pkg]),
        Some(missing),
        &format!("install {pkg}"),
    );
}

/// NVIDIA's container toolkit for Docker: its repository, the package,
/// and in an unprivileged container `no-cgroups = true`. Docker's
/// daemon.json gets the runtime (docker::configure).
pub fn container_toolkit(plan: &mut impl StepSink, prefix: &str, ct: Guest, unprivileged: bool) {
    guest::command(
        plan,
        &format!("{prefix}-toolkit-key"),
        ct,
        argv(&[
            "curl",
            "-fsSL",
            "--create-dirs",
            "-o",
            TOOLKIT_KEY,
            TOOLKIT_KEY_URL,
        ]),
        Some(argv(&["test", "-s", TOOLKIT_KEY])),
        "fetch the NVIDIA container toolkit repository's signing key",
    );
    guest::file(
        plan,
        &format!("{prefix}-toolkit-source"),
        ct,
        TOOLKIT_LIST,
        format!("deb [signed-by={TOOLKIT_KEY}] https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n"),
        &[],
    );
    let missing = installed(&[TOOLKIT_PACKAGE]);
    guest::command(
        plan,
        &format!("{prefix}-toolkit-update"),
        ct,
        argv(&["apt-get", "update"]),
        Some(missing.clone()),
        "apt-get update (nvidia-container-toolkit is missing)",
    );
    guest::command(
        plan,
        &format!("{prefix}-toolkit-install"),
        ct,
        guest::apt_get_install(&[TOOLKIT_PACKAGE]),
        Some(missing),
        "install nvidia-container-toolkit",
    );
    if unprivileged {
        guest::command(
            plan,
            &format!("{prefix}-toolkit-no-cgroups"),
            ct,
            argv(&[
                "sed",
                "-i",
                "-E",
                r"s/^#?[[:space:]]*no-cgroups[[:space:]]*=.*/no-cgroups = true/",
                TOOLKIT_CONFIG,
            ]),
            Some(argv(&["grep", "-qx", "no-cgroups = true", TOOLKIT_CONFIG])),
            "no-cgroups = true in the container toolkit's config.toml (an unprivileged container cannot make device cgroups)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolkit_package_comes_from_the_cuda_version() {
        assert_eq!(toolkit("12.8").as_deref(), Some("cuda-toolkit-12-8"));
        assert_eq!(toolkit("12"), None);
        assert_eq!(toolkit("12.x"), None);
        assert_eq!(
            runfile_name("https://x/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run"),
            "NVIDIA-Linux-x86_64-580.76.05.run"
        );
    }
}
