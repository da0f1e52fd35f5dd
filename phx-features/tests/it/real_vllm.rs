//! vLLM in a REAL Debian 12 root (scripts/build-debian-root's, as
//! real_root.rs uses it): Debian's own apt-get installs python3-venv from
//! Debian's mirror, the REAL `python3 -m venv /opt/vllm` makes the venv,
//! and the venv's REAL pip installs vllm==0.10.2 from a local index (PyPI's
//! vLLM and its CUDA wheels are gigabytes and out of this machine's reach:
//! the index holds a stand-in wheel of that name and version, so pip's
//! resolution, installation and `pip show`, the recipe's guard, are real).
//! The REAL systemd-analyze verifies the unit in that root, where its
//! ExecStart interpreter is the venv's. A second run changes nothing and
//! only guards. systemctl is the double (a chroot has no systemd).

use crate::common::*;
use crate::real_root::{apply, changed, debian_root_for, inside, plan_into, real_node};
use crate::serve::{local_index, upstream_with};
use std::path::Path;

const CT: u32 = 801;

fn put_systemctl(rootfs: &Path) {
    let to = rootfs.join("usr/local/bin/systemctl");
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(&to, read(guest_double("systemctl"))).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn vllm_s_venv_and_pip_are_real_in_a_debian_12_root() {
    let Some(tarball) = debian_root_for("vllm_s_venv_and_pip_are_real_in_a_debian_12_root") else {
        return;
    };
    let node = real_node(&tarball);
    let root = node.path();
    let dir = upstream_with(&["900", "901", "911", "801"], |_| {});
    running(root, CT);
    let r = rootfs(root, CT);
    assert!(
        !r.join("usr/bin/python3").exists(),
        "the minbase root has no Python before the recipe"
    );
    local_index(&r);
    put_systemctl(&r);

    let plan_file = plan_into(dir.path(), root);
    let first = apply(root, &plan_file);
    let done = changed(&first);
    for id in ["install", "venv", "pip", "unit"] {
        let id = format!("features-{CT}-vllm-{id}");
        assert!(done.contains(&id), "{id} not in {done:?}");
    }
    // Debian's python3-venv, the real venv, vLLM as pip reports it.
    let status = inside(
        root,
        CT,
        &["dpkg-query", "-W", "-f=${Status}", "python3-venv"],
    );
    assert_eq!(status, "install ok installed");
    assert!(read(r.join("opt/vllm/pyvenv.cfg")).contains("home = /usr/bin"));
    let show = inside(root, CT, &["/opt/vllm/bin/pip", "show", "vllm"]);
    assert!(show.lines().any(|l| l == "Version: 0.10.2"), "{show}");
    let v = inside(
        root,
        CT,
        &[
            "/opt/vllm/bin/python",
            "-c",
            "import vllm; print(vllm.__version__)",
        ],
    );
    assert_eq!(v.trim(), "0.10.2");
    // systemd resolves the unit's interpreter in this root: the venv's.
    systemd_verify(&r, "vllm_model_server.service");

    // Again: nothing changes, only guards run (no apt-get, no venv, no pip install).
    std::fs::write(root.join("pct.log"), "").unwrap();
    let _ = std::fs::remove_file(r.join("var/log/phx-doubles.log"));
    let second = apply(root, &plan_file);
    assert_eq!(changed(&second), Vec::<String>::new());
    let log = read(root.join("pct.log"));
    assert!(log.contains("phx-vllm-installed"), "the guard ran:\n{log}");
    for line in log.lines() {
        assert!(
            !line.contains("apt-get") && !line.contains("-m venv") && !line.contains("pip install"),
            "the second run did more than guard: {line}"
        );
    }
    assert_eq!(guest_log(root, CT), "", "systemctl changed something");
}
