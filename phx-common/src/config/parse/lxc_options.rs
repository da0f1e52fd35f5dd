//! `lxc_options`: raw `lxc.*` lines Phoenix writes into a container's conf
//! under `/etc/pve/lxc`. Proxmox reads that conf back through its own key
//! list, so a line is accepted here only as pve-container would keep it;
//! and a line that gives the container's start a root command on the host,
//! or the host's `/`, needs the entry's `allow_dangerous`.

use super::super::raw::{List, Scalar};
use super::super::reader::{At, Reader};
use super::tokens::{is_profile, normal_path};

/// What a raw line's key is to pve-container.
#[derive(Debug, PartialEq)]
enum Verdict {
    Kept,
    /// Kept, but worth a word.
    KeptWarn(&'static str),
    /// Refused, or dropped on the next write of the conf (Phoenix would add
    /// it back on every run); what to write instead.
    Refused(String),
}

/// The keys pve-container keeps, as `is_valid_lxc_conf_key` decides:
/// pve-container src/PVE/LXC/Config.pm:725-795 (`$valid_lxc_conf_keys`),
/// :830-851 (the sub: `lxc.cgroup2.*`, `lxc.prlimit.*`, `lxc.net.*` by
/// prefix), read at commit 94f5585.
pub const KEPT: &[&str] = &[
    "lxc.apparmor.profile",
    "lxc.apparmor.allow_incomplete",
    "lxc.apparmor.allow_nesting",
    "lxc.apparmor.raw",
    "lxc.selinux.context",
    "lxc.include",
    "lxc.arch",
    "lxc.uts.name",
    "lxc.signal.halt",
    "lxc.signal.reboot",
    "lxc.signal.stop",
    "lxc.init.cmd",
    "lxc.init.cwd",
    "lxc.init.uid",
    "lxc.init.gid",
    "lxc.init.groups",
    "lxc.pty.max",
    "lxc.console.logfile",
    "lxc.console.path",
    "lxc.tty.max",
    "lxc.devtty.dir",
    "lxc.hook.autodev",
    "lxc.autodev",
    "lxc.kmsg",
    "lxc.mount.fstab",
    "lxc.mount.entry",
    "lxc.mount.auto",
    "lxc.rootfs.mount",
    "lxc.cap.drop",
    "lxc.cap.keep",
    "lxc.seccomp.profile",
    "lxc.seccomp.notify.proxy",
    "lxc.seccomp.notify.cookie",
    "lxc.idmap",
    "lxc.hook.pre-start",
    "lxc.hook.pre-mount",
    "lxc.hook.mount",
    "lxc.hook.start",
    "lxc.hook.stop",
    "lxc.hook.post-stop",
    "lxc.hook.clone",
    "lxc.hook.destroy",
    "lxc.hook.version",
    "lxc.log.level",
    "lxc.log.file",
    "lxc.start.auto",
    "lxc.start.delay",
    "lxc.start.order",
    "lxc.group",
    "lxc.environment",
    "lxc.environment.runtime",
    "lxc.environment.hooks",
    "lxc.sysctl.fs.mqueue",
    "lxc.sysctl.kernel.msgmax",
    "lxc.sysctl.kernel.msgmnb",
    "lxc.sysctl.kernel.msgmni",
    "lxc.sysctl.kernel.sem",
    "lxc.sysctl.kernel.shmall",
    "lxc.sysctl.kernel.shmmax",
    "lxc.sysctl.kernel.shmmni",
    "lxc.sysctl.kernel.shm_rmid_forced",
];

/// Key families pve-container keeps whole (Config.pm:846-848); with
/// `lxc.cgroup.`, which it keeps with a warning (`verdict`).
pub const KEPT_PREFIXES: &[&str] = &["lxc.cgroup2.", "lxc.prlimit.", "lxc.net.", "lxc.cgroup."];

/// Keys LXC 3.0 removed, and their names since: pve-container
/// src/PVE/LXC/Config.pm:797-828 (`$deprecated_lxc_conf_keys`). Proxmox
/// keeps them with a warning, but LXC >= 3 refuses to start the container,
/// so they are refused here with the new name. `lxc.aa_profile` included:
/// translating it would leave the file naming a key nothing reads and the
/// conf holding another; the file stays the record of what is meant.
const RENAMED: &[(&str, &str)] = &[
    ("lxc.aa_profile", "lxc.apparmor.profile"),
    ("lxc.aa_allow_incomplete", "lxc.apparmor.allow_incomplete"),
    ("lxc.console", "lxc.console.path"),
    ("lxc.devttydir", "lxc.tty.dir"),
    ("lxc.haltsignal", "lxc.signal.halt"),
    ("lxc.rebootsignal", "lxc.signal.reboot"),
    ("lxc.stopsignal", "lxc.signal.stop"),
    ("lxc.id_map", "lxc.idmap"),
    ("lxc.init_cmd", "lxc.init.cmd"),
    ("lxc.loglevel", "lxc.log.level"),
    ("lxc.logfile", "lxc.log.file"),
    ("lxc.mount", "lxc.mount.fstab"),
    ("lxc.network.type", "lxc.net.INDEX.type"),
    ("lxc.network.flags", "lxc.net.INDEX.flags"),
    ("lxc.network.link", "lxc.net.INDEX.link"),
    ("lxc.network.mtu", "lxc.net.INDEX.mtu"),
    ("lxc.network.name", "lxc.net.INDEX.name"),
    ("lxc.network.hwaddr", "lxc.net.INDEX.hwaddr"),
    ("lxc.network.ipv4", "lxc.net.INDEX.ipv4.address"),
    ("lxc.network.ipv4.gateway", "lxc.net.INDEX.ipv4.gateway"),
    ("lxc.network.ipv6", "lxc.net.INDEX.ipv6.address"),
    ("lxc.network.ipv6.gateway", "lxc.net.INDEX.ipv6.gateway"),
    ("lxc.network.script.up", "lxc.net.INDEX.script.up"),
    ("lxc.network.script.down", "lxc.net.INDEX.script.down"),
    ("lxc.pts", "lxc.pty.max"),
    ("lxc.se_context", "lxc.selinux.context"),
    ("lxc.seccomp", "lxc.seccomp.profile"),
    ("lxc.tty", "lxc.tty.max"),
    ("lxc.utsname", "lxc.uts.name"),
];

fn verdict(key: &str) -> Verdict {
    match key {
        // Config.pm:753-755: refused when the conf is parsed.
        "lxc.rootfs.path" => {
            return Verdict::Refused("no lxc.rootfs.path: Proxmox generates it from rootfs".into())
        }
        "lxc.rootfs.options" => return Verdict::Refused(
            "no lxc.rootfs.options: Proxmox does not support it; mount options belong to rootfs"
                .into(),
        ),
        _ => {}
    }
    if let Some((_, new)) = RENAMED.iter().find(|(old, _)| *old == key) {
        return Verdict::Refused(format!(
            "{new} instead: {key} was removed in LXC 3.0, which then refuses to start the container"
        ));
    }
    if let Some(limit) = key.strip_prefix("lxc.limit.") {
        return Verdict::Refused(format!(
            "lxc.prlimit.{limit} instead: lxc.limit.* was renamed"
        ));
    }
    if key.starts_with("lxc.cgroup.") {
        // Config.pm:842-845: kept with "will be a hard error in the future".
        return Verdict::KeptWarn(
            "lxc.cgroup.* is cgroup v1, which Proxmox VE 7 and later do not mount: use lxc.cgroup2.*",
        );
    }
    if KEPT.contains(&key) || KEPT_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return Verdict::Kept;
    }
    Verdict::Refused(
        "a key pve-container keeps (lxc.apparmor.*, lxc.cap.*, lxc.cgroup2.*, lxc.mount.*, lxc.idmap, …): Proxmox drops any other from the conf, and Phoenix would add it back on every run"
            .into(),
    )
}

/// Why a line is dangerous, when it is: a hook runs a command as root on
/// the host at every start; a bind mount of the host's `/` hands the whole
/// host to the container.
fn danger(key: &str, value: &str) -> Option<&'static str> {
    if key.starts_with("lxc.hook.") {
        return Some("runs a command as root on the host");
    }
    let source = value.split_whitespace().next().unwrap_or_default();
    (key == "lxc.mount.entry" && source.starts_with('/') && normal_path(source) == "/")
        .then_some("mounts the host's / into the container")
}

/// A line or a mount the entry may have only with `"allow_dangerous": true`:
/// with it, a warning on every run; without it, a problem.
pub fn dangerous(r: &mut Reader, at: &At, shown: &str, why: &str, allowed: bool) {
    if allowed {
        r.problems.warn(format!(
            "{}: {}: {shown} {why} (allowed by allow_dangerous)",
            r.file,
            at.path()
        ));
    } else {
        r.push(
            at,
            shown,
            format!("nothing that {why}, unless the entry says \"allow_dangerous\": true"),
        );
    }
}

/// Raw `lxc.*` lines, each as pve-container keeps it. One that sets another
/// AppArmor profile than `apparmor_profile` is refused: the conf would get
/// two contradicting lines.
pub fn lxc_options(
    r: &mut Reader,
    at: &At,
    v: List<Scalar>,
    apparmor: Option<&str>,
    allow_dangerous: bool,
) -> Vec<String> {
    r.str_items(at, v, &[], |r, at, s| {
        let shown = format!("{s:?}");
        let Some((key, value)) = super::super::raw_lxc_key(&s) else {
            r.push(
                at,
                shown,
                "a raw LXC option \"lxc.key=value\" or \"lxc.key: value\"",
            );
            return None;
        };
        match verdict(key) {
            Verdict::Kept => {}
            Verdict::KeptWarn(why) => r
                .problems
                .warn(format!("{}: {}: {shown}: {why}", r.file, at.path())),
            Verdict::Refused(expected) => {
                r.push(at, shown, expected);
                return None;
            }
        }
        if key == "lxc.apparmor.profile" {
            if !is_profile(value) {
                r.push(at, shown, "lxc.apparmor.profile set to unconfined, generated or a profile name (letters, digits, '-', '_', '.')");
                return None;
            }
            if let Some(a) = apparmor.filter(|a| *a != value) {
                let expected = format!(
                    "no lxc.apparmor.profile other than apparmor_profile ({a:?}): give the profile once"
                );
                r.push(at, shown, expected);
                return None;
            }
        }
        if let Some(why) = danger(key, value) {
            let before = r.problems.count();
            dangerous(r, at, &shown, why, allow_dangerous);
            if r.problems.count() > before {
                return None;
            }
        }
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_pve_container_keeps_them() {
        for kept in [
            "lxc.apparmor.profile",
            "lxc.cgroup2.devices.allow",
            "lxc.prlimit.nofile",
            "lxc.net.0.type",
            "lxc.mount.entry",
            "lxc.idmap",
        ] {
            assert_eq!(verdict(kept), Verdict::Kept, "{kept}");
        }
        assert!(matches!(
            verdict("lxc.cgroup.devices.allow"),
            Verdict::KeptWarn(_)
        ));
        for refused in [
            "lxc.foo.bar",
            "lxc.rootfs.path",
            "lxc.rootfs.options",
            "lxc.aa_profile",
            "lxc.limit.nofile",
            "lxc.tty",
            "lxc.apparmor",
        ] {
            assert!(matches!(verdict(refused), Verdict::Refused(_)), "{refused}");
        }
    }

    #[test]
    fn hooks_and_mounts_of_the_hosts_root_are_dangerous() {
        assert!(danger("lxc.hook.pre-start", "/usr/local/bin/x").is_some());
        assert!(danger("lxc.hook.autodev", "/x").is_some());
        for root in [
            "/ mnt/host none bind 0 0",
            "// mnt none rbind",
            "/. mnt none bind",
        ] {
            assert!(danger("lxc.mount.entry", root).is_some(), "{root}");
        }
        assert!(danger(
            "lxc.mount.entry",
            "/dev/fuse dev/fuse none bind,create=file"
        )
        .is_none());
        assert!(danger("lxc.mount.entry", "proc proc proc nodev 0 0").is_none());
        assert!(danger("lxc.apparmor.profile", "unconfined").is_none());
    }
}
