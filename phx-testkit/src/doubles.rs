//! The test doubles (`phx-testkit/doubles/<prog>-double`): stand-ins for
//! programs that exist only on Proxmox (`pct`, `pve-firewall`) or that a test
//! must not run for real (`apt-get`, `systemctl`, `dpkg-query`). Each models
//! the real program as Proxmox's public sources define it (cited in each
//! double's header) and keeps its state under `$PHX_ROOT`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every double, by the name of the program it stands in for.
pub const DOUBLES: [&str; 21] = [
    "pct",
    "qm",
    "pvesm",
    "pve-firewall",
    "apt-get",
    "systemctl",
    "dpkg-query",
    "systemd-run",
    "zpool",
    "zfs",
    "wipefs",
    "lsblk",
    "exportfs",
    "ifreload",
    "hostnamectl",
    "pveam",
    "lspci",
    "nvidia-smi",
    "update-initramfs",
    "reboot",
    "modinfo",
];

pub fn doubles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("doubles")
}

/// The double standing in for `prog`.
pub fn double(prog: &str) -> PathBuf {
    doubles_dir().join(format!("{prog}-double"))
}

/// A directory holding one link per double, named like the real program.
/// Made once per test process and kept, since commands may outlive a test.
pub fn doubles_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("phx-doubles-bin")
            .tempdir()
            .unwrap()
            .keep();
        for prog in DOUBLES {
            std::os::unix::fs::symlink(double(prog), dir.join(prog)).unwrap();
        }
        dir
    })
}

/// PATH with only the named doubles in front of the process's PATH, so
/// other programs (`sh`, `dnsmasq`) are the real ones.
pub fn doubles_path(progs: &[&str]) -> OsString {
    let dir = tempfile::Builder::new()
        .prefix("phx-doubles-some")
        .tempdir()
        .unwrap()
        .keep();
    for prog in progs {
        std::os::unix::fs::symlink(double(prog), dir.join(prog)).unwrap();
    }
    prepend(&dir)
}

/// Writes `dir/pct`: the pct double run by a direct interpreter (a
/// version-manager shim on PATH costs a third of a second per call, and a
/// plan calls pct a few hundred times).
pub fn direct_pct(dir: &Path) {
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("python3");
    let pct = dir.join("pct");
    let script = format!(
        "#!/bin/sh\nexec {python} {} \"$@\"\n",
        double("pct").display()
    );
    std::fs::write(&pct, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pct, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// PATH with every double in front.
pub fn all_doubles_path() -> OsString {
    prepend(doubles_bin())
}

/// `dir` in front of the process's PATH.
pub fn prepend(dir: &Path) -> OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&inherited));
    std::env::join_paths(dirs).unwrap()
}

/// Executor options for a temp root whose commands run against the doubles.
pub fn apply_opts(root: &Path, path: OsString) -> phx_apply::Options {
    phx_apply::Options {
        root: root.to_path_buf(),
        run_commands: true,
        path: Some(path),
        // The qm double's boot is done when `qm start` returns: its agent
        // answers at once or not at all.
        agent_wait: std::time::Duration::ZERO,
        ..Default::default()
    }
}

/// `key: value` of a Proxmox guest conf's main section (up to the first `[`
/// line), the last occurrence winning as in pct and qm.
pub fn conf_main_key(text: &str, key: &str) -> Option<String> {
    text.lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| *k == key)
        .last()
        .map(|(_, v)| v.to_string())
}

/// The guest IDs a double (`pct-double`, `qm-double`) has running under `root`.
pub fn running_ids(root: &Path, double_state: &str) -> Vec<u32> {
    std::fs::read_to_string(root.join("var/lib").join(double_state).join("running"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect()
}
