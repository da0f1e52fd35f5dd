//! `docker` in a container or a VM: Docker's apt repository for the
//! guest's distribution, its packages, the storage driver an unprivileged
//! container needs merged into daemon.json, the service enabled and
//! running. The original (phoenix_hypervisor_feature_install_docker.sh, and
//! bin/vm_features/feature_install_docker.sh for VMs) always used the Ubuntu
//! repository and overwrote daemon.json; here the repository follows the
//! container's template or the VM's cloud image, and daemon.json keeps
//! every other key. A VM is a full kernel: overlay2, Docker's default,
//! works there, so its daemon.json is left alone (no storage driver set,
//! no fuse-overlayfs, no nesting to check).

use crate::subject::Subject;
use phx_common::config::{Inventory, Lxc, Problems};
use phx_plan::guest_steps::{self as guest, Named, Service};
use phx_plan::StepSink;
use phx_plan::{argv, Action, Guest, GuestJsonStep, JsonSet};
use serde_json::json;

pub const KEY: &str = "/etc/apt/keyrings/docker.asc";
pub const LIST: &str = "/etc/apt/sources.list.d/docker.list";
pub const DAEMON_JSON: &str = "/etc/docker/daemon.json";
pub const PACKAGES: [&str; 5] = [
    "docker-ce",
    "docker-ce-cli",
    "containerd.io",
    "docker-buildx-plugin",
    "docker-compose-plugin",
];
/// The storage driver an unprivileged container can use (overlay2 needs
/// mounts a user namespace is refused), as the original set it.
pub const FUSE_OVERLAYFS: &str = "fuse-overlayfs";
/// What fetching the key needs inside the guest.
pub const PREREQUISITES: [&str; 2] = ["ca-certificates", "curl"];

/// The distribution Docker's repository is named after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    /// `debian` or `ubuntu`.
    pub name: &'static str,
    pub codename: &'static str,
    pub arch: String,
}

/// Releases Docker publishes packages for, by the version a Proxmox
/// template's name carries (`debian-12-standard_…`, `ubuntu-24.04-standard_…`).
const RELEASES: [(&str, &str, &str); 7] = [
    ("debian", "11", "bullseye"),
    ("debian", "12", "bookworm"),
    ("debian", "13", "trixie"),
    ("ubuntu", "20.04", "focal"),
    ("ubuntu", "22.04", "jammy"),
    ("ubuntu", "24.04", "noble"),
    ("ubuntu", "25.04", "plucky"),
];

/// The distribution a template archive's name says
/// (`local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`).
pub fn distro_of_template(template: &str) -> Option<Distro> {
    let file = template.rsplit(['/', ':']).next()?;
    let mut parts = file.splitn(3, '-');
    let (name, version) = (parts.next()?, parts.next()?);
    let &(name, _, codename) = RELEASES
        .iter()
        .find(|(n, v, _)| *n == name && *v == version)?;
    let stem = file.split(".tar").next().unwrap_or(file);
    let arch = match stem.rsplit('_').next() {
        Some(a) if a != stem && !a.is_empty() => a.to_string(),
        _ => "amd64".to_string(),
    };
    Some(Distro {
        name,
        codename,
        arch,
    })
}

/// The template a container is made from: its own, or its clone source's.
pub fn template<'a>(inv: &'a Inventory, c: &'a Lxc) -> Option<&'a str> {
    let mut cur = c;
    for _ in 0..=inv.lxcs.len() {
        if let Some(t) = &cur.template {
            return Some(t);
        }
        cur = inv.lxcs.get(&cur.clone_from?)?;
    }
    None
}

/// Architectures Docker publishes packages for, as image names spell them.
const ARCHES: [&str; 5] = ["amd64", "arm64", "armhf", "ppc64el", "s390x"];

/// The distribution a VM's cloud image name says: Ubuntu's
/// `<codename>-server-cloudimg-<arch>.img` (or `ubuntu-<version>-server-cloudimg-…`),
/// Debian's `debian-<version>-<variant>-<arch>[-<date>].<ext>`
/// (`debian-12-genericcloud-amd64.qcow2`). A path is read by its file name.
pub fn distro_of_image(image: &str) -> Option<Distro> {
    let file = image.rsplit('/').next()?;
    let found = |name: &str, by: &dyn Fn(&(&str, &str, &str)) -> bool| {
        RELEASES
            .iter()
            .find(|r| r.0 == name && by(r))
            .map(|&(n, _, c)| (n, c))
    };
    let ((name, codename), arch) = if let Some((rel, rest)) = file.split_once("-server-cloudimg-") {
        let arch = rest.split(['.', '-']).next()?;
        let release = match rel.strip_prefix("ubuntu-") {
            Some(v) => found("ubuntu", &|r| r.1 == v)?,
            None => found("ubuntu", &|r| r.2 == rel)?,
        };
        (release, arch)
    } else {
        let rest = file.strip_prefix("debian-")?;
        let stem = rest.split('.').next()?;
        let mut parts = stem.split('-');
        let version = parts.next()?;
        let arch = parts.find(|p| ARCHES.contains(p))?;
        (found("debian", &|r| r.1 == version)?, arch)
    };
    ARCHES.contains(&arch).then(|| Distro {
        name,
        codename,
        arch: arch.to_string(),
    })
}

/// The cloud image a VM is made from: its own, or its clone source's.
pub fn image<'a>(inv: &'a Inventory, s: Subject<'a>) -> Option<&'a str> {
    let mut cur = s;
    for _ in 0..=inv.vms.len() {
        if let Some(i) = cur.as_vm().and_then(|v| v.template_image.as_deref()) {
            return Some(i);
        }
        cur = cur.parent(inv)?;
    }
    None
}

/// The cloud-init user of a VM (`user_config.username`, its own or its
/// clone source's: a clone keeps the template's `ciuser` unless it names
/// one), whom the original's VM docker feature added to the `docker` group.
pub fn vm_user<'a>(inv: &'a Inventory, s: Subject<'a>) -> Option<&'a str> {
    let mut cur = s;
    for _ in 0..=inv.vms.len() {
        if let Some(u) = cur.as_vm().and_then(|v| v.user.as_deref()) {
            return Some(u);
        }
        cur = cur.parent(inv)?;
    }
    None
}

/// `user` in the `docker` group (docker-ce's postinst makes the group), so
/// it can reach the daemon without sudo, as the original's VM feature did
/// (`usermod -aG docker`), guarded by the user's groups.
pub fn group(plan: &mut impl StepSink, prefix: &str, g: Guest, user: &str) {
    guest::command(
        plan,
        &format!("{prefix}-group"),
        g,
        argv(&["usermod", "-aG", "docker", user]),
        Some(argv(&[
            "sh",
            "-c",
            r#"id -nG -- "$1" | tr ' ' '\n' | grep -qx docker"#,
            "phx-in-docker-group",
            user,
        ])),
        &format!("add {user} to the docker group"),
    );
}

/// A VM's distribution, from its cloud image: an unknown one is a problem
/// (exit 2) at its `template_image`, as a container's template is.
pub fn check_vm(inv: &Inventory, s: Subject, p: &mut Problems) -> Option<Distro> {
    let i = image(inv, s);
    let d = i.and_then(distro_of_image);
    if d.is_none() {
        let known: Vec<String> = RELEASES
            .iter()
            .map(|(n, v, c)| match *n {
                "ubuntu" => format!("{c}-server-cloudimg-<arch>.img"),
                _ => format!("{n}-{v}-<variant>-<arch>.<ext>"),
            })
            .collect();
        p.push(
            s.file,
            &format!("{}.template_image", s.path()),
            i.map(|t| format!("{t:?}"))
                .unwrap_or_else(|| "(none)".into()),
            format!(
                "a cloud image of a release Docker publishes for the \"docker\" feature of {} (its own or its clone source's: {})",
                s.label(),
                known.join(", ")
            ),
        );
    }
    d
}

/// What Docker needs of the container, and its distribution: missing pct
/// features or an unknown release are problems (exit 2), nothing planned.
pub fn check(
    inv: &Inventory,
    c: &Lxc,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<Distro> {
    let file = &inv.sources.lxc;
    let has = |f: &str| c.pct_options.iter().any(|o| o == f);
    // pve-container src/PVE/LXC/Config.pm, $features_desc: nesting exposes
    // /proc and /sys as Docker's runtime needs them, and keyctl "is required
    // to use docker inside a container" (unprivileged only; a privileged
    // container has it anyway).
    let mut need = vec!["nesting=1"];
    if c.unprivileged {
        need.push("keyctl=1");
    }
    let missing: Vec<&str> = need.into_iter().filter(|f| !has(f)).collect();
    if !missing.is_empty() {
        p.push(
            file,
            &format!("{}.pct_options", c.path),
            format!("{:?}", c.pct_options),
            format!(
                "{} in pct_options for the \"docker\" feature of CT {} (pve-container's LXC/Config.pm: Docker inside a container needs nesting{})",
                missing.join(" and "),
                c.id,
                if c.unprivileged { ", and keyctl when unprivileged" } else { "" }
            ),
        );
    }
    if c.unprivileged && !has("fuse=1") {
        warnings.push(format!(
            "{file}: {}.pct_options: CT {} runs Docker on fuse-overlayfs (unprivileged), which needs /dev/fuse: add fuse=1, or Docker will not start",
            c.path, c.id
        ));
    }
    let t = template(inv, c);
    let d = t.and_then(distro_of_template);
    if d.is_none() {
        let known: Vec<String> = RELEASES
            .iter()
            .map(|(n, v, _)| format!("{n}-{v}"))
            .collect();
        p.push(
            file,
            &format!("{}.template", c.path),
            t.map(|t| format!("{t:?}"))
                .unwrap_or_else(|| "(none)".into()),
            format!(
                "a template of a release Docker publishes for the \"docker\" feature of CT {} ({})",
                c.id,
                known.join(", ")
            ),
        );
    }
    d
}

/// The apt source line (Docker's documented form, with the keyring).
pub fn apt_source(d: &Distro) -> String {
    format!(
        "deb [arch={} signed-by={KEY}] https://download.docker.com/linux/{} {} stable\n",
        d.arch, d.name, d.codename
    )
}

pub fn packages(unprivileged: bool) -> Vec<&'static str> {
    let mut p = PACKAGES.to_vec();
    if unprivileged {
        p.push(FUSE_OVERLAYFS);
    }
    p
}

/// The repository: curl and CA certificates to fetch the key (refreshing
/// the index only while they are missing), the key (once: the file is its
/// guard), the source file.
pub fn repository(plan: &mut impl StepSink, prefix: &str, ct: Guest, d: &Distro) {
    guest::apt_install(
        plan,
        ct,
        &PREREQUISITES,
        Named {
            id: &format!("{prefix}-prereq-update"),
            desc: "apt-get update (ca-certificates/curl missing, needed to fetch Docker's key)",
        },
        Named {
            id: &format!("{prefix}-prereq-install"),
            desc: "install ca-certificates and curl",
        },
    );
    let url = format!("https://download.docker.com/linux/{}/gpg", d.name);
    guest::command(
        plan,
        &format!("{prefix}-key"),
        ct,
        argv(&["curl", "-fsSL", "--create-dirs", "-o", KEY, &url]),
        Some(argv(&["test", "-s", KEY])),
        "fetch Docker's apt signing key",
    );
    guest::file(
        plan,
        &format!("{prefix}-source"),
        ct,
        LIST,
        apt_source(d),
        &[],
    );
}

/// After the packages: the storage driver (an unprivileged container's),
/// NVIDIA's runtime as the default one (`nvidia_runtime`: the container
/// also has `nvidia`, whose toolkit brings nvidia-container-runtime), the
/// service. daemon.json keeps every other key, and Docker restarts only
/// when it changed.
pub fn configure(
    plan: &mut impl StepSink,
    prefix: &str,
    g: Guest,
    unprivileged: bool,
    nvidia_runtime: bool,
) {
    let svc = Service {
        prefix,
        guest: g,
        unit: "docker",
    };
    let mut set = Vec::new();
    if unprivileged {
        set.push(JsonSet {
            pointer: "/storage-driver".into(),
            value: json!(FUSE_OVERLAYFS),
        });
    }
    if nvidia_runtime {
        set.extend(runtime_keys());
    }
    if !set.is_empty() {
        guest::command(
            plan,
            &format!("{prefix}-daemon-json-new"),
            g,
            argv(&[
                "sh",
                "-c",
                r#"mkdir -p "$(dirname "$1")" && printf '{}\n' > "$1""#,
                "phx-json-new",
                DAEMON_JSON,
            ]),
            Some(argv(&["test", "-e", DAEMON_JSON])),
            "create an empty /etc/docker/daemon.json",
        );
        plan.push(
            format!("{prefix}-daemon-json"),
            Action::GuestJson(GuestJsonStep {
                guest: g,
                path: DAEMON_JSON.into(),
                set,
                upsert: Vec::new(),
                notify: vec![svc.restart_id()],
            }),
        );
    }
    svc.finish(plan);
}

/// NVIDIA's runtime in daemon.json, as `nvidia-ctk runtime configure
/// --runtime=docker --set-as-default` writes it.
pub fn runtime_keys() -> Vec<JsonSet> {
    vec![
        JsonSet {
            pointer: "/runtimes/nvidia".into(),
            value: json!({"path": "nvidia-container-runtime", "args": []}),
        },
        JsonSet {
            pointer: "/default-runtime".into(),
            value: json!("nvidia"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_comes_from_the_template_name() {
        let d = distro_of_template("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst").unwrap();
        assert_eq!(
            (d.name, d.codename, d.arch.as_str()),
            ("debian", "bookworm", "amd64")
        );
        let u = distro_of_template(
            "/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
        )
        .unwrap();
        assert_eq!((u.name, u.codename), ("ubuntu", "noble"));
        assert_eq!(
            apt_source(&u),
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n"
        );
        assert!(
            distro_of_template("local:vztmpl/alpine-3.19-default_20240207_amd64.tar.xz").is_none()
        );
        assert!(
            distro_of_template("local:vztmpl/debian-10-standard_10.7-1_amd64.tar.gz").is_none()
        );
    }

    #[test]
    fn a_vm_s_release_comes_from_its_cloud_image_name() {
        let d = |i: &str| distro_of_image(i).map(|d| (d.name, d.codename, d.arch));
        assert_eq!(
            d("noble-server-cloudimg-amd64.img"),
            Some(("ubuntu", "noble", "amd64".to_string()))
        );
        assert_eq!(
            d("/var/lib/vz/import/jammy-server-cloudimg-arm64.img"),
            Some(("ubuntu", "jammy", "arm64".to_string()))
        );
        assert_eq!(
            d("ubuntu-24.04-server-cloudimg-amd64.img"),
            Some(("ubuntu", "noble", "amd64".to_string()))
        );
        assert_eq!(
            d("debian-12-genericcloud-amd64-20240211-1657.qcow2"),
            Some(("debian", "bookworm", "amd64".to_string()))
        );
        for unknown in [
            "bionic-server-cloudimg-amd64.img",
            "debian-10-genericcloud-amd64.qcow2",
            "debian-12-genericcloud.qcow2",
            "Fedora-Cloud-Base-40.x86_64.qcow2",
            "noble-server-cloudimg-i386.img",
        ] {
            assert_eq!(d(unknown), None, "{unknown}");
        }
    }
}
