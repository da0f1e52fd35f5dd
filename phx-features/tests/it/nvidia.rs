//! `nvidia` in containers, against the pct double and the guest doubles
//! (the runfile records its argv and writes the version the nvidia-smi
//! double reports; apt-get knows cuda-toolkit-* and nvidia-container-toolkit
//! only once their repository's source file is there): the fixture's clone
//! chain 901 → 914, 917, the refusals, Docker's runtime.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;

const RUNFILE: &str = "NVIDIA-Linux-x86_64-580.76.05.run";
const URL: &str =
    "https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run";

/// The fixture's 900 → 901 → `clones` (914, 917), without their application
/// scripts and dependencies (not this test's business); `plain_901`: 901
/// runs as a plain container (its features are phx-features'), else it is
/// the golden template it is in the fixture (phx-lxc's).
fn chain(clones: &[&str], plain_901: bool, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = config_with(&upstream_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| ["900", "901"].contains(&k.as_str()) || clones.contains(&k.as_str()));
        for (_, c) in lxcs.iter_mut() {
            let c = c.as_object_mut().unwrap();
            c.remove("application_script");
            c.remove("dependencies");
            // The chain's nvidia alone (914's ollama: serve.rs).
            if let Some(f) = c.get_mut("features").and_then(|f| f.as_array_mut()) {
                f.retain(|x| x == "nvidia");
            }
        }
        if plain_901 {
            lxcs["901"]["start_at_boot"] = json!(true);
            lxcs["901"]
                .as_object_mut()
                .unwrap()
                .remove("template_snapshot_name");
        }
        edit(d);
    });
    no_vms(dir.path());
    dir
}

fn pct_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("pct.log")).unwrap_or_default()
}

#[test]
fn the_clone_chain_gets_the_userspace_once_and_then_only_guards() {
    let node = node();
    let root = node.path();
    // phx-gpu keeps the host's runfile: it is pushed, not downloaded again.
    host_runfile(root, URL);
    running(root, 901);
    let dir = chain(&[], true, |_| {});
    let steps = plan_on(dir.path(), root);
    let push = steps
        .iter()
        .find(|s| s.id == "features-901-nvidia-runfile-push")
        .expect("a push step");
    match &push.action {
        phx_plan::Action::Command(c) => {
            assert_eq!(
                c.argv,
                [
                    "pct",
                    "push",
                    "901",
                    &format!("{}/{RUNFILE}", phx_common::gpu::RUNFILE_DIR),
                    &format!("/tmp/{RUNFILE}"),
                    "--perms",
                    "0755"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    run(&steps, root);
    let ct = rootfs(root, 901);
    let log = guest_log(root, 901);
    assert!(
        log.contains(&format!("nvidia-runfile {RUNFILE} --silent --no-kernel-module --no-x-check --no-nouveau-check --no-nvidia-modprobe --no-dkms")),
        "{log}"
    );
    assert!(
        !log.contains("curl https://us.download"),
        "pushed, not fetched: {log}"
    );
    assert!(
        !ct.join("tmp").join(RUNFILE).exists(),
        "the runfile is removed"
    );
    assert_eq!(
        read(ct.join("var/lib/phx-doubles/nvidia-version")),
        "580.76.05\n"
    );
    assert_eq!(
        read(ct.join("etc/apt/sources.list.d/cuda.list")),
        "deb [signed-by=/etc/apt/keyrings/cuda-archive-keyring.asc] https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/ /\n"
    );
    assert!(
        read(ct.join("etc/apt/preferences.d/cuda-repository-pin-600"))
            .contains("Pin: release l=NVIDIA CUDA\nPin-Priority: 600\n")
    );
    assert!(installed(root, 901).contains(&"cuda-toolkit-12-8".to_string()));

    // Again: nothing changes, the guest only answers guards.
    clear_guest_log(root, 901);
    let again = run(&steps, root);
    assert_eq!(again.changed(), 0, "{again:?}");
    assert_eq!(guest_log(root, 901), "");
    assert_eq!(pct_log(root).matches("pct push").count(), 1, "pushed once");

    // 914 and 917 are clones of 901's image: inherited, proven by the
    // guards, nothing done (901 is the fixture's golden template again).
    pct(root, &["stop", "901"]);
    for id in ["914", "917"] {
        pct(root, &["clone", "901", id]);
        pct(root, &["start", id]);
        clear_guest_log(root, id.parse().unwrap());
    }
    let dir = chain(&["914", "917"], false, |_| {});
    let steps = plan_on(dir.path(), root);
    let desc: Vec<&str> = steps
        .iter()
        .filter(|s| s.id == "features-917-nvidia-runfile")
        .map(|s| match &s.action {
            phx_plan::Action::GuestCommand(g) => g.command.desc.as_str(),
            _ => "",
        })
        .collect();
    assert!(desc[0].contains("(inherited from CT 901"), "{desc:?}");
    let report = run(&steps, root);
    assert_eq!(report.changed(), 0, "{report:?}");
    for id in [914, 917] {
        assert_eq!(guest_log(root, id), "", "CT {id} did more than guard");
    }
}

#[test]
fn without_the_hosts_copy_the_runfile_is_fetched_inside_the_guest() {
    let node = node();
    let root = node.path();
    running(root, 901);
    let dir = chain(&[], true, |_| {});
    let steps = plan_on(dir.path(), root);
    assert!(!steps.iter().any(|s| s.id.ends_with("-runfile-push")));
    run(&steps, root);
    let log = guest_log(root, 901);
    assert!(log.contains(&format!("curl {URL}")), "{log}");
    assert!(
        log.contains(&format!(
            "nvidia-runfile {RUNFILE} --silent --no-kernel-module"
        )),
        "{log}"
    );
}

#[test]
fn a_userspace_other_than_the_host_driver_is_refused() {
    // Its runfile is 570's too (the loader refuses a runfile named for
    // another version than the one resolved).
    let run570 = "https://us.download.nvidia.com/XFree86/Linux-x86_64/570.86.10/NVIDIA-Linux-x86_64-570.86.10.run";
    let dir = chain(&["917"], true, |d| {
        d["lxc_configs"]["917"]["nvidia_driver_version"] = json!("570.86.10");
        d["lxc_configs"]["917"]["nvidia_runfile_url"] = json!(run570);
    });
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"917\".nvidia_driver_version: \"570.86.10\": the host's driver version \"580.76.05\""),
        "{err}"
    );
    // The file's top, for every container.
    let dir = chain(&[], true, |d| {
        d["nvidia_driver_version"] = json!("570.86.10");
        d["nvidia_runfile_url"] = json!(run570);
    });
    let err = refused(dir.path());
    assert!(
        err.contains("nvidia_driver_version: \"570.86.10\""),
        "{err}"
    );
}

#[test]
fn docker_with_gpus_needs_nvidia_on_itself_or_an_ancestor() {
    let dir = chain(&["917"], true, |d| {
        let c = &mut d["lxc_configs"]["917"];
        c["features"] = json!(["docker"]);
        c["pct_options"] = json!(["nesting=1", "keyctl=1", "fuse=1"]);
        c.as_object_mut().unwrap().remove("clone_from_ctid");
    });
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"917\".features: [\"docker\"]: \"nvidia\" on CT 917 or a container it is cloned from"),
        "{err}"
    );
    // A clone of 901 (which lists nvidia): its image carries it.
    let dir = chain(&["917"], true, |d| {
        let c = &mut d["lxc_configs"]["917"];
        c["features"] = json!(["docker"]);
        c["pct_options"] = json!(["nesting=1", "keyctl=1", "fuse=1"]);
    });
    plan(dir.path());
}

#[test]
fn docker_gets_nvidia_s_runtime_merged_into_daemon_json() {
    let node = node();
    let root = node.path();
    host_runfile(root, URL);
    running(root, 917);
    let daemon = rootfs(root, 917).join("etc/docker/daemon.json");
    std::fs::create_dir_all(daemon.parent().unwrap()).unwrap();
    std::fs::write(
        &daemon,
        "{\"log-driver\": \"journald\", \"runtimes\": {\"crun\": {\"path\": \"/usr/bin/crun\"}}}\n",
    )
    .unwrap();
    let dir = chain(&["917"], true, |d| {
        let c = &mut d["lxc_configs"]["917"];
        c["features"] = json!(["docker", "nvidia"]);
        c["pct_options"] = json!(["nesting=1", "keyctl=1", "fuse=1"]);
        c["unprivileged"] = json!(true);
        d["lxc_configs"]["901"]["template_snapshot_name"] = json!("final-form");
        d["lxc_configs"]["901"]["start_at_boot"] = json!(false);
    });
    let steps = plan_on(dir.path(), root);
    run(&steps, root);
    let merged: Value = serde_json::from_str(&read(daemon.clone())).unwrap();
    assert_eq!(
        merged,
        json!({
            "log-driver": "journald",
            "storage-driver": "fuse-overlayfs",
            "default-runtime": "nvidia",
            "runtimes": {
                "crun": {"path": "/usr/bin/crun"},
                "nvidia": {"path": "nvidia-container-runtime", "args": []}
            }
        })
    );
    let ct = rootfs(root, 917);
    assert!(installed(root, 917).contains(&"nvidia-container-toolkit".to_string()));
    let toml = read(ct.join("etc/nvidia-container-runtime/config.toml"));
    assert!(toml.lines().any(|l| l == "no-cgroups = true"), "{toml}");
    assert!(
        read(ct.join("etc/apt/sources.list.d/nvidia-container-toolkit.list"))
            .starts_with("deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit-keyring.asc] ")
    );
    assert!(guest_log(root, 917).contains("systemctl start docker"));

    clear_guest_log(root, 917);
    let again = run(&steps, root);
    assert_eq!(again.changed(), 0, "{again:?}");
    assert_eq!(
        guest_log(root, 917),
        "",
        "no restart when daemon.json is as wanted"
    );

    // Someone dropped the default runtime: put back, Docker restarted once.
    let mut edited = merged.clone();
    edited.as_object_mut().unwrap().remove("default-runtime");
    std::fs::write(&daemon, edited.to_string()).unwrap();
    run(&steps, root);
    let merged_again: Value = serde_json::from_str(&read(daemon.clone())).unwrap();
    assert_eq!(merged_again, merged);
    assert_eq!(guest_log(root, 917), "systemctl restart docker\n");
}

#[test]
fn a_container_without_a_gpu_gets_no_userspace_and_a_warning() {
    let dir = chain(&["917"], true, |d| {
        d["lxc_configs"]["917"]["gpu_assignment"] = json!("none");
    });
    let out = phx_features::build(&load_dir(dir.path()), Path::new("/nonexistent")).unwrap();
    assert!(
        out.warnings.iter().any(|w| w.contains(
            "lxc_configs.\"917\".gpu_assignment: CT 917 lists \"nvidia\" but has no GPU: nothing is installed for it"
        )),
        "{:#?}",
        out.warnings
    );
    assert!(!out
        .plan
        .steps
        .iter()
        .any(|s| s.id.starts_with("features-917-nvidia")));
    assert!(out
        .plan
        .steps
        .iter()
        .any(|s| s.id.starts_with("features-901-nvidia")));
}

/// `nvidia-smi` in container `ct`: its exit code and stdout.
fn smi(root: &Path, ct: u32) -> (Option<i32>, String) {
    let out = std::process::Command::new("pct")
        .args(["exec", &ct.to_string(), "--"])
        .args([
            "nvidia-smi",
            "--query-gpu=driver_version",
            "--format=csv,noheader",
        ])
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_userspace_guard_holds_while_the_container_has_no_gpu_nodes() {
    // The node's driver is not there yet (or its reboot is pending):
    // phx-lxc planned no devN entries, so nvidia-smi cannot answer in the
    // guest. The installed userspace must still be seen as installed, or
    // every LetsGo runs the runfile again.
    let node = node();
    let root = node.path();
    host_runfile(root, URL);
    running(root, 901);
    let dir = chain(&[], true, |_| {});
    let steps = plan_on(dir.path(), root);
    run(&steps, root);
    assert_eq!(
        read(rootfs(root, 901).join("var/lib/nvidia/log"))
            .lines()
            .next(),
        Some("1.0-5807605 (580.76.05)"),
        "the installer's record"
    );
    assert_eq!(smi(root, 901).0, Some(9), "no GPU nodes: nvidia-smi fails");
    clear_guest_log(root, 901);
    let again = run(&steps, root);
    assert_eq!(again.changed(), 0, "{again:?}");
    assert_eq!(guest_log(root, 901), "", "the runfile did not run again");

    // With the GPU's nodes passed through, nvidia-smi answers (the double
    // is not simply broken), and a new version installs again.
    phx_testkit::nvidia_nodes(root, &[0]);
    pct(root, &["stop", "901"]);
    pct(
        root,
        &[
            "set",
            "901",
            "--dev0",
            "/dev/nvidia0,mode=0666",
            "--dev1",
            "/dev/nvidiactl,mode=0666",
        ],
    );
    pct(root, &["start", "901"]);
    assert_eq!(smi(root, 901), (Some(0), "580.76.05\n".to_string()));
}

#[test]
fn a_new_driver_version_installs_the_userspace_again() {
    let node = node();
    let root = node.path();
    running(root, 901);
    run(&plan_on(chain(&[], true, |_| {}).path(), root), root);
    let v2 = "https://us.download.nvidia.com/XFree86/Linux-x86_64/580.95.05/NVIDIA-Linux-x86_64-580.95.05.run";
    let dir = chain(&[], true, |d| {
        d["nvidia_driver_version"] = json!("580.95.05");
        d["nvidia_runfile_url"] = json!(v2);
    });
    // The host's driver too, or the container's version is refused.
    let hv = dir.path().join(HYP);
    let mut h: Value = serde_json::from_str(&std::fs::read_to_string(&hv).unwrap()).unwrap();
    h["nvidia_driver"]["version"] = json!("580.95.05");
    h["nvidia_driver"]["runfile_url"] = json!(v2);
    std::fs::write(&hv, serde_json::to_string_pretty(&h).unwrap()).unwrap();
    clear_guest_log(root, 901);
    run(&plan_on(dir.path(), root), root);
    assert!(
        guest_log(root, 901).contains(
            "nvidia-runfile NVIDIA-Linux-x86_64-580.95.05.run --silent --no-kernel-module"
        ),
        "{}",
        guest_log(root, 901)
    );
    assert_eq!(
        read(rootfs(root, 901).join("var/lib/nvidia/log"))
            .lines()
            .next(),
        Some("1.0-5809505 (580.95.05)")
    );
}
