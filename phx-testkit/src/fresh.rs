//! A freshly installed node under a temp root: examples/state, the upstream
//! fixture's disks present and blank for the disk doubles, and the
//! guest-program doubles in what the pct double copies into every new
//! container (what its template would bring).

use crate::{doubles_dir, example_state, upstream_dir};
use serde_json::{json, Value};
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// The upstream fixture's pool disks, from its JSON.
pub fn fixture_disks() -> Vec<String> {
    let v = crate::read_json(&upstream_dir().join(crate::HYP));
    v["zfs"]["pools"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["disks"].as_array().unwrap().clone())
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// The disks the wipefs and lsblk doubles see under `root`.
pub fn write_disks(root: &Path, disks: &Value) {
    let p = root.join("var/lib/disks-double/disks.json");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_string_pretty(disks).unwrap()).unwrap();
}

/// examples/state with every fixture disk present and blank, and the
/// guest-program doubles in what a container template brings (a golden
/// template's features run inside it).
pub fn fresh_node() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&example_state(), root.path());
    let disks: serde_json::Map<String, Value> = fixture_disks()
        .into_iter()
        .map(|d| (d, json!({"signatures": [], "partitions": []})))
        .collect();
    write_disks(root.path(), &Value::Object(disks));
    install_guest_doubles(root.path());
    nvidia_nodes(root.path(), &[0, 1]);
    root
}

/// The device nodes a node with the NVIDIA driver loaded has, for `gpus`,
/// under `root`: real character devices (mknod; the tests run as root, as
/// pct does), since pct refuses a `devN` path that is not a device
/// (pve-container src/PVE/LXC/Tools.pm:157). Majors as a real node has them
/// (195 fixed; nvidia-uvm and nvidia-caps dynamic, here 511 and 508).
pub fn nvidia_nodes(root: &Path, gpus: &[u32]) {
    let dev = root.join("dev");
    std::fs::create_dir_all(dev.join("nvidia-caps")).unwrap();
    let mut nodes: Vec<(String, u32, u32)> = gpus
        .iter()
        .map(|&g| (format!("nvidia{g}"), 195, g))
        .collect();
    nodes.extend([
        ("nvidiactl".to_string(), 195, 255),
        ("nvidia-uvm".to_string(), 511, 0),
        ("nvidia-uvm-tools".to_string(), 511, 1),
        ("nvidia-caps/nvidia-cap1".to_string(), 508, 1),
        ("nvidia-caps/nvidia-cap2".to_string(), 508, 2),
    ]);
    for (name, major, minor) in nodes {
        let p = dev.join(&name);
        if p.exists() {
            continue;
        }
        let st = std::process::Command::new("mknod")
            .args(["-m", "666"])
            .arg(&p)
            .args(["c", &major.to_string(), &minor.to_string()])
            .status()
            .expect("mknod");
        assert!(st.success(), "mknod {}", p.display());
    }
}

/// An in-guest program double (`doubles/guest/<name>-double`).
pub fn guest_double(name: &str) -> std::path::PathBuf {
    doubles_dir().join("guest").join(format!("{name}-double"))
}

/// The pct and qm doubles' template roots: every container and VM they
/// create starts with the guest-program doubles in its /usr/local (the
/// package doubles' payloads in /usr/local/share/doubles, where the apt-get
/// and wget doubles take them). A VM's root has NO QEMU guest agent, as the
/// Ubuntu cloud image has none: it arrives at the VM's first boot from
/// phx-vm's vendor snippet (the qm double's qm-cloudinit.py), so a test
/// whose VM agent answers proves the snippet brought it.
pub fn install_guest_doubles(root: &Path) {
    for fs in ["pct-double", "qm-double"] {
        guest_doubles_in(&root.join("var/lib").join(fs).join("template-root"));
    }
}

fn guest_doubles_in(fs: &Path) {
    for (double, dir) in [
        ("apt-get", "usr/local/bin"),
        ("systemctl", "usr/local/bin"),
        ("update-ca-certificates", "usr/local/sbin"),
        ("curl", "usr/local/bin"),
        ("wget", "usr/local/bin"),
        ("step", "usr/local/share/doubles"),
        ("step-ca", "usr/local/share/doubles"),
        ("traefik", "usr/local/share/doubles"),
        ("locale", "usr/local/bin"),
        ("locale-gen", "usr/local/share/doubles"),
        ("cloud-init", "usr/local/bin"),
        ("docker", "usr/local/share/doubles"),
        ("mount", "usr/local/share/doubles"),
        ("umount", "usr/local/share/doubles"),
        ("mountpoint", "usr/local/share/doubles"),
        ("nvidia-runfile", "usr/local/share/doubles"),
        ("nvidia-smi", "usr/local/share/doubles"),
        // The curl double serves the install script, which puts ollama in place.
        ("ollama-install.sh", "usr/local/share/doubles"),
        ("ollama", "usr/local/share/doubles"),
        // The apt-get double installs python3 (python3-venv), whose venvs get pip.
        ("python3", "usr/local/share/doubles"),
        ("pip", "usr/local/share/doubles"),
    ] {
        std::fs::create_dir_all(fs.join(dir)).unwrap();
        std::fs::copy(guest_double(double), fs.join(dir).join(double)).unwrap();
    }
}

/// PATH for a whole node: every double, and the host's
/// update-ca-certificates (phx-ca trusts the root CA on the host too), in
/// front of the process's PATH.
pub fn node_path() -> std::ffi::OsString {
    let dir = tempfile::Builder::new()
        .prefix("phx-node-bin")
        .tempdir()
        .unwrap()
        .keep();
    for prog in crate::DOUBLES {
        std::os::unix::fs::symlink(crate::double(prog), dir.join(prog)).unwrap();
    }
    std::os::unix::fs::symlink(
        guest_double("update-ca-certificates"),
        dir.join("update-ca-certificates"),
    )
    .unwrap();
    crate::doubles::prepend(&dir)
}

/// What phx-vm gives a node before its VMs first boot, for tests that make
/// VMs with the qm double directly: `local` allowing snippets (its `pvesm
/// set`; storage.cfg written when absent) and the vendor snippet bringing
/// the QEMU guest agent. Make the VMs with [`VM_AGENT_ARGS`].
pub fn vm_agent_snippet(root: &Path) {
    let cfg = root.join("etc/pve/storage.cfg");
    match std::fs::read_to_string(&cfg) {
        Ok(text) => assert!(
            text.contains("snippets"),
            "{}: local must allow snippets for the agent's vendor data",
            cfg.display()
        ),
        Err(_) => {
            std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
            std::fs::write(
                &cfg,
                "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets\n",
            )
            .unwrap();
        }
    }
    let snippet = root.join(phx_common::vm_agent::PATH.trim_start_matches('/'));
    std::fs::create_dir_all(snippet.parent().unwrap()).unwrap();
    std::fs::write(snippet, phx_common::vm_agent::vendor_data()).unwrap();
}

/// `qm create` options making a VM as phx-vm does for its agent: the agent
/// device, a cloud-init drive, and the vendor data of [`vm_agent_snippet`]:
/// its first `qm start` installs the agent.
pub const VM_AGENT_ARGS: [&str; 6] = [
    "--agent",
    "1",
    "--ide2",
    "local-lvm:cloudinit",
    "--cicustom",
    "vendor=local:snippets/phoenix-vendor.yaml",
];

/// The host's copy of the NVIDIA runfile of `url` (phx_common::gpu::runfile_path,
/// where phx-gpu keeps it) under `root`: the runfile double of the
/// version the URL names, which installs the host's driver when phx-gpu
/// runs it and the userspace when a container runs the copy pushed there.
pub fn host_runfile(root: &Path, url: &str) {
    let p = root.join(phx_common::gpu::runfile_path(url).trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let version = phx_common::gpu::runfile_version(url).expect("a runfile URL naming its version");
    let text = std::fs::read_to_string(crate::double("nvidia-runfile")).unwrap();
    std::fs::write(&p, text.replace("__VERSION__", version)).unwrap();
}
