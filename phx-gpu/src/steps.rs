//! The plan: the nouveau blacklist (and the initramfs that carries it), the
//! build dependencies, the runfile fetched and run, the boot unit, and a
//! closing "reboot required" when the kernel module changed. Nothing here
//! reboots: a node runs guests, and when it restarts is the operator's call.

use crate::headers::Line;
use crate::observe::Observed;
use crate::{render, Driver, Options, BLACKLIST_PATH, UNIT, UNIT_PATH};
use phx_common::gpu::runfile_path;
use phx_plan::{argv, Action, Checksum, CommandStep, DownloadStep, FileStep, HandlerStep, Plan};

pub const INITRAMFS: &str = "gpu:initramfs";
pub const DAEMON_RELOAD: &str = "gpu:daemon-reload";
pub const REBOOT_REQUIRED: &str = "gpu:reboot-required";

/// The original's installer flags (hypervisor_feature_install_nvidia.sh),
/// with `--dkms` where it had `--no-dkms`: registered with DKMS, the module
/// is rebuilt by the kernel package's own postinst when Proxmox updates the
/// kernel, so the node comes back from that reboot with its GPUs; built for
/// the running kernel only (the original), every kernel update left the
/// guests without GPUs until the driver was installed again by hand.
pub const INSTALLER_FLAGS: [&str; 6] = [
    "--silent",
    "--no-x-check",
    "--no-nouveau-check",
    "--no-opengl-files",
    "--accept-license",
    "--dkms",
];

/// The first driver whose installer has `--skip-module-load`
/// (nvidia-installer 550.40.07's option_table.h) and
/// `--allow-installation-with-running-driver` (545.23.06's).
const SKIP_LOAD_SINCE: u32 = 550;
const ALLOW_RUNNING_SINCE: u32 = 545;

/// The installer's flags on the node `seen` describes: the original's,
/// and what makes a silent install go through where it would abort.
///
/// - nouveau loaded (a first install): the installer test-loads nvidia.ko,
///   which probes no GPU nouveau holds and fails ("NVRM: No NVIDIA devices
///   probed"), and the install aborts; `--skip-module-load` installs it for
///   the reboot the blacklist needs anyway.
/// - an nvidia module loaded (a version change): it is held (persistence
///   mode, the GPU guests), rmmod fails, and the silent installer's answer
///   to "continue or abort?" is abort;
///   `--allow-installation-with-running-driver` installs the new driver for
///   the next boot.
///
/// Older installers refuse these flags (an unknown option); the `notes`
/// say the install will likely stop there.
pub fn installer_flags(driver: &Driver, seen: &Observed, notes: &mut Vec<String>) -> Vec<String> {
    let mut flags: Vec<String> = INSTALLER_FLAGS.iter().map(|s| s.to_string()).collect();
    let major = driver
        .version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let mut want = |loaded: bool, flag: &str, since: u32, why: &str| {
        if !loaded {
            return;
        }
        if major >= since {
            flags.push(flag.to_string());
        } else {
            notes.push(format!(
                "{why}: NVIDIA's installer before {since} has no {flag}, so driver {} will likely refuse to install until the node is rebooted",
                driver.version
            ));
        }
    };
    want(
        seen.nvidia_loaded,
        "--allow-installation-with-running-driver",
        ALLOW_RUNNING_SINCE,
        "an nvidia module is loaded",
    );
    want(
        seen.nouveau_loaded && !seen.nvidia_loaded,
        "--skip-module-load",
        SKIP_LOAD_SINCE,
        "nouveau is loaded",
    );
    flags
}

/// What the runfile builds with: the running kernel's headers, a compiler
/// and make, DKMS (`--dkms`), and pkg-config, which the installer uses to
/// find libraries (the original's list, without its wget: phx-apply
/// fetches), and the line's headers meta package, so DKMS finds the
/// headers of the next kernel Proxmox installs and rebuilds the module for
/// it ([`Line::meta_headers`]).
pub fn build_deps(line: Line, release: &str) -> Vec<String> {
    [
        line.headers(release).as_str(),
        line.meta_headers(),
        "build-essential",
        "dkms",
        "pkg-config",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn plan(driver: &Driver, seen: &Observed, opts: &Options, notes: &mut Vec<String>) -> Plan {
    let mut p = Plan::new(crate::TOOL);
    p.push(
        "gpu:blacklist",
        Action::File(FileStep {
            path: BLACKLIST_PATH.into(),
            content: render::blacklist(),
            mode: Some("0644".into()),
            notify: vec![INITRAMFS.into(), REBOOT_REQUIRED.into()],
            ..Default::default()
        }),
    );
    p.push(
        INITRAMFS,
        Action::Handler(HandlerStep {
            // nouveau is loaded from the initramfs, before /etc/modprobe.d
            // on the root file system is read: the blacklist must be in it.
            // Every kernel's (`-k all`): plain `-u` updates only the newest
            // (update-initramfs(8): "The default is the latest kernel
            // version"), and a node booting a pinned older kernel
            // (proxmox-boot-tool kernel pin) would still load nouveau.
            argv: argv(&["update-initramfs", "-u", "-k", "all"]),
            desc: "rebuild the initramfs so the early boot sees the nouveau blacklist".into(),
            ..Default::default()
        }),
    );
    if let Some(release) = &seen.release {
        let deps = build_deps(seen.line.unwrap_or(Line::Proxmox), release);
        let mut install = argv(&["apt-get", "install", "-y"]);
        install.extend(deps.iter().cloned());
        let mut guard = argv(&[&opts.phx_gpu, "pkg-installed"]);
        guard.extend(deps.iter().cloned());
        p.push(
            "gpu:build-deps",
            Action::Command(CommandStep {
                argv: install,
                unless: Some(guard),
                desc: format!(
                    "install what the NVIDIA driver builds with: {} (the running kernel {release})",
                    deps.join(", ")
                ),
                // Headers, a compiler and DKMS: hundreds of megabytes.
                timeout_s: Some(phx_plan::LONG_STEP_S),
                ..Default::default()
            }),
        );
    }
    let path = runfile_path(&driver.runfile_url);
    let checksum = match &driver.sha256 {
        Some(h) => Checksum::Sha256(h.clone()),
        None => Checksum::Unverified,
    };
    p.push(
        "gpu:runfile",
        Action::Download(DownloadStep {
            desc: format!("download the NVIDIA driver {} to {path}", driver.version),
            path: path.clone(),
            url: driver.runfile_url.clone(),
            checksum,
        }),
    );
    // A makeself archive is a shell script (NVIDIA's README: `sh
    // ./NVIDIA-Linux-….run`), so it needs no exec bit. PHX_ROOT: set by
    // phx-apply when --root is not `/` (test trees), empty on the host.
    let mut install = argv(&[
        "sh",
        "-c",
        "f=$1; shift; exec sh \"${PHX_ROOT:-}$f\" \"$@\"",
        "phx-gpu",
        &path,
    ]);
    install.extend(installer_flags(driver, seen, notes));
    p.push(
        "gpu:driver",
        Action::Command(CommandStep {
            argv: install,
            unless: Some(argv(&[&opts.phx_gpu, "driver-is", &driver.version])),
            desc: format!(
                "install the NVIDIA driver {} (nvidia-smi reports another version or none, and the nvidia module installed is not it)",
                driver.version
            ),
            notify: vec![REBOOT_REQUIRED.into()],
            // The module is built for the running kernel (DKMS): minutes.
            timeout_s: Some(phx_plan::LONG_STEP_S),
            ..Default::default()
        }),
    );
    p.push(
        "gpu:unit",
        Action::File(FileStep {
            path: UNIT_PATH.into(),
            content: render::unit(),
            mode: Some("0644".into()),
            notify: vec![DAEMON_RELOAD.into()],
            ..Default::default()
        }),
    );
    p.push(
        DAEMON_RELOAD,
        Action::Handler(HandlerStep {
            argv: argv(&["systemctl", "daemon-reload"]),
            desc: format!("make systemd read {UNIT}"),
            ..Default::default()
        }),
    );
    p.push(
        "gpu:enable",
        Action::Command(CommandStep {
            argv: argv(&["systemctl", "enable", UNIT]),
            unless: Some(argv(&["systemctl", "is-enabled", "--quiet", UNIT])),
            // Not started now: it readies a loaded driver at boot, and the
            // driver a first run installs is loaded by the reboot it needs.
            desc: format!("run {UNIT} at boot, before the guests start"),
            ..Default::default()
        }),
    );
    p.push(
        REBOOT_REQUIRED,
        Action::Handler(HandlerStep {
            // Said, never done: the report shows this argv as what ran.
            argv: argv(&["echo", REBOOT_MESSAGE]),
            desc: REBOOT_MESSAGE.into(),
            ..Default::default()
        }),
    );
    p
}

pub const REBOOT_MESSAGE: &str = "reboot required: the NVIDIA kernel module changed (nouveau blacklisted or the driver installed); \
phx-gpu never reboots: reboot this node when its guests may stop";

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(version: &str) -> Driver {
        Driver {
            version: version.into(),
            runfile_url: format!("https://example.org/NVIDIA-Linux-x86_64-{version}.run"),
            sha256: None,
        }
    }

    #[test]
    fn the_flags_follow_what_is_loaded_and_what_the_installer_knows() {
        let mut notes = Vec::new();
        let clean = Observed::default();
        assert_eq!(
            installer_flags(&driver("580.76.05"), &clean, &mut notes),
            INSTALLER_FLAGS
        );
        let nouveau = Observed {
            nouveau_loaded: true,
            ..Observed::default()
        };
        let f = installer_flags(&driver("580.76.05"), &nouveau, &mut notes);
        assert_eq!(f.last().map(String::as_str), Some("--skip-module-load"));
        let nvidia = Observed {
            nvidia_loaded: true,
            ..Observed::default()
        };
        let f = installer_flags(&driver("580.76.05"), &nvidia, &mut notes);
        assert_eq!(
            f.last().map(String::as_str),
            Some("--allow-installation-with-running-driver")
        );
        assert!(notes.is_empty(), "{notes:?}");
        // 535's installer has neither flag: it would refuse them.
        let f = installer_flags(&driver("535.183.01"), &nouveau, &mut notes);
        assert_eq!(f, INSTALLER_FLAGS);
        assert!(
            notes[0].contains("before 550 has no --skip-module-load"),
            "{notes:?}"
        );
    }
}
