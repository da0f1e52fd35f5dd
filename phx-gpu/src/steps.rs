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

/// What the runfile builds with: the running kernel's headers, a compiler
/// and make, DKMS (`--dkms`), and pkg-config, which the installer uses to
/// find libraries (the original's list, without its wget: phx-apply fetches).
pub fn build_deps(headers: &str) -> Vec<String> {
    [headers, "build-essential", "dkms", "pkg-config"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

pub fn plan(driver: &Driver, seen: &Observed, opts: &Options) -> Plan {
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
            argv: argv(&["update-initramfs", "-u"]),
            desc: "rebuild the initramfs so the early boot sees the nouveau blacklist".into(),
            ..Default::default()
        }),
    );
    if let Some(release) = &seen.release {
        let headers = seen.line.unwrap_or(Line::Proxmox).headers(release);
        let deps = build_deps(&headers);
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
    install.extend(INSTALLER_FLAGS.iter().map(|s| s.to_string()));
    p.push(
        "gpu:driver",
        Action::Command(CommandStep {
            argv: install,
            unless: Some(argv(&[&opts.phx_gpu, "driver-is", &driver.version])),
            desc: format!(
                "install the NVIDIA driver {} (nvidia-smi reports another version or none)",
                driver.version
            ),
            notify: vec![REBOOT_REQUIRED.into()],
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
