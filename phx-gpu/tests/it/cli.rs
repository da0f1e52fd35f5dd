//! phx-gpu as a program on the upstream fixture (`nvidia_driver` as the
//! original's file has it, the runfile served locally), the node's devices
//! from the lspci double; and `phoenix-cli setup gpu` alone, through the real
//! phx-apply binary.

use crate::common::*;
use std::path::Path;
use std::process::Output;

const HYP_FILE: &str = "phoenix_hypervisor_config.json";

/// The upstream fixture with its runfile at `url` (and `sha`, when given).
fn fixture(url: &str, sha: Option<&str>) -> tempfile::TempDir {
    let cfg = copy_config(&upstream_dir());
    edit_json(&cfg.path().join(HYP_FILE), |v| {
        let d = &mut v["nvidia_driver"];
        d["runfile_url"] = url.into();
        if let Some(s) = sha {
            d["runfile_sha256"] = s.into();
        }
    });
    cfg
}

fn phx_gpu(cfg: &Path, root: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("phx-gpu")
        .unwrap()
        .args(args)
        .arg("--config-dir")
        .arg(cfg)
        .arg("--state-root")
        .arg(root)
        .env("PATH", doubles_path(&GPU_DOUBLES))
        .output()
        .unwrap()
}

fn ids(plan: &str) -> Vec<String> {
    phx_plan::read_jsonl(plan.as_bytes())
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn the_fixture_on_a_node_with_an_nvidia_gpu_plans_the_driver() {
    let root = node(NVIDIA_VGA);
    let cfg = fixture("https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run", None);
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let plan = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        ids(&plan),
        [
            "gpu:blacklist",
            "gpu:initramfs",
            "gpu:build-deps",
            "gpu:runfile",
            "gpu:driver",
            "gpu:unit",
            "gpu:daemon-reload",
            "gpu:enable",
            "gpu:reboot-required",
        ]
    );
    assert!(plan.contains("/var/cache/phoenix/nvidia/NVIDIA-Linux-x86_64-580.76.05.run"));
    assert!(plan.contains("\"driver-is\",\"580.76.05\""), "{plan}");
    assert!(
        plan.contains(&format!("proxmox-headers-{RELEASE}")),
        "{plan}"
    );
    // The fixture gives no checksum: said, not silent.
    assert!(
        err.contains("phx-gpu: warning: nvidia_driver.runfile_sha256 is not set"),
        "{err}"
    );
    // lspci was asked once, as the double logs it.
    assert_eq!(calls(root.path()), ["lspci -mm -n"]);
}

#[test]
fn a_pve7_node_gets_the_headers_of_its_kernel_line() {
    let root = node(NVIDIA_VGA);
    let dpkg = root.path().join("doubles/dpkg");
    std::fs::remove_file(dpkg.join(format!("proxmox-kernel-{RELEASE}-signed"))).unwrap();
    std::fs::write(
        dpkg.join(format!("pve-kernel-{RELEASE}")),
        "install ok installed",
    )
    .unwrap();
    let cfg = fixture("https://h/NVIDIA-Linux-x86_64-580.76.05.run", None);
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains(&format!("\"pve-headers-{RELEASE}\"")),
        "{plan}"
    );
    assert!(!plan.contains("proxmox-headers"), "{plan}");
    // Removed, its config files left: not the installed line (dpkg's status word).
    std::fs::write(
        dpkg.join(format!("pve-kernel-{RELEASE}")),
        "deinstall ok config-files",
    )
    .unwrap();
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).contains("proxmox-headers"));
    assert!(
        err.contains("dpkg lists no Proxmox kernel package of the running kernel"),
        "{err}"
    );
}

#[test]
fn nouveau_still_loaded_is_said() {
    let root = node(NVIDIA_VGA);
    let cfg = fixture("https://h/NVIDIA-Linux-x86_64-580.76.05.run", None);
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("nouveau is loaded"));
    std::fs::create_dir_all(root.path().join("sys/module/nouveau")).unwrap();
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("phx-gpu: note: nouveau is loaded on this node"),
        "{err}"
    );
}

#[test]
fn a_node_without_an_nvidia_gpu_gets_nothing_and_a_note() {
    let root = node(INTEL_ONLY);
    let cfg = fixture("https://h/NVIDIA-Linux-x86_64-580.76.05.run", None);
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(ids(&String::from_utf8_lossy(&out.stdout)).is_empty());
    assert!(
        err.contains("phx-gpu: note: nvidia_driver.install is true in")
            && err.contains("lspci shows no NVIDIA GPU"),
        "{err}"
    );
    assert!(!err.contains("runfile_sha256"), "{err}");
}

#[test]
fn gpu_guests_while_the_driver_is_off_are_one_warning_and_no_lspci() {
    let root = node(NVIDIA_VGA);
    let cfg = fixture("https://h/NVIDIA-Linux-x86_64-580.76.05.run", None);
    edit_json(&cfg.path().join(HYP_FILE), |v| {
        v["nvidia_driver"]["install"] = false.into();
    });
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(ids(&String::from_utf8_lossy(&out.stdout)).is_empty());
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("gpu_assignment"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    // The fixture's GPU containers, each named.
    for ct in ["CT 901 ", "CT 910 ", "CT 914 "] {
        assert!(warnings[0].contains(ct), "{ct} in {}", warnings[0]);
    }
    assert!(calls(root.path()).is_empty(), "{:?}", calls(root.path()));
}

#[test]
fn install_without_a_version_is_exit_2_at_its_path() {
    let root = node(NVIDIA_VGA);
    let cfg = fixture("https://h/NVIDIA-Linux-x86_64-580.76.05.run", None);
    edit_json(&cfg.path().join(HYP_FILE), |v| {
        v["nvidia_driver"]
            .as_object_mut()
            .unwrap()
            .remove("version");
    });
    let out = phx_gpu(cfg.path(), root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("nvidia_driver.version") && err.contains(HYP_FILE),
        "{err}"
    );
}

#[test]
fn driver_is_answers_from_nvidia_smi() {
    let root = node(NVIDIA_VGA);
    let run = |v: &str| {
        assert_cmd::Command::cargo_bin("phx-gpu")
            .unwrap()
            .args(["driver-is", v])
            .env("PATH", doubles_path(&GPU_DOUBLES))
            .env("PHX_ROOT", root.path())
            .output()
            .unwrap()
            .status
            .code()
    };
    // No driver: nvidia-smi fails, the guard says no.
    assert_eq!(run(VERSION), Some(1));
    std::fs::create_dir_all(root.path().join("doubles/nvidia")).unwrap();
    std::fs::write(
        root.path().join("doubles/nvidia/driver_version"),
        format!("{VERSION}\n"),
    )
    .unwrap();
    assert_eq!(run(VERSION), Some(0));
    assert_eq!(run("570.133.07"), Some(1));
    // A new driver installed, the old one still loaded until the reboot:
    // nvidia-smi fails (version mismatch), modinfo names the installed one.
    std::fs::write(
        root.path().join("doubles/nvidia/installed_version"),
        "580.82.07\n",
    )
    .unwrap();
    assert_eq!(run("580.82.07"), Some(0));
    assert_eq!(run(VERSION), Some(1));
}

/// `phoenix-cli ARGS` through scripts/phoenix-cli with the workspace's
/// debug binaries, the GPU doubles on PATH.
fn phoenix_cli(args: &[&str]) -> Output {
    let bins = Path::new(env!("CARGO_BIN_EXE_phx-gpu"))
        .parent()
        .unwrap()
        .to_path_buf();
    for b in ["phoenix-cli", "phx-apply"] {
        assert!(
            bins.join(b).exists(),
            "{b} is not built beside phx-gpu: run `cargo build --workspace --bins`"
        );
    }
    assert_cmd::Command::new("bash")
        .arg(workspace().join("scripts/phoenix-cli"))
        .args(args)
        .env("PHX_BIN_DIR", bins)
        .env("PATH", doubles_path(&GPU_DOUBLES))
        .output()
        .unwrap()
}

#[test]
fn phoenix_cli_setup_gpu_alone_installs_then_converges() {
    let srv = http::Server::start();
    let (url, sha) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    let cfg = fixture(&url, Some(&sha));
    let args = [
        "setup",
        "gpu",
        "--config-dir",
        cfg.path().to_str().unwrap(),
        "--root",
        root.path().to_str().unwrap(),
        "--run-commands",
    ];
    let first = phoenix_cli(&args);
    let err = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{err}");
    assert!(err.contains("reboot required"), "{err}");
    // Only phx-gpu ran: no other planner's recap.
    for other in ["phx-net:", "phx-storage:", "phx-dns:", "phx-fw:"] {
        assert!(!err.contains(other), "{other} in {err}");
    }
    let log = calls(root.path());
    assert!(
        log.iter()
            .any(|c| c.starts_with(&format!("runfile {VERSION} "))),
        "{log:?}"
    );
    assert!(!log.iter().any(|c| c.starts_with("reboot")), "{log:?}");

    let before = log.len();
    let again = phoenix_cli(&args);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{err}");
    assert!(err.contains(" 0 changed"), "{err}");
    assert!(!err.contains("reboot required"), "{err}");
    // lspci while planning, nvidia-smi as the guard: nothing that changes.
    assert_eq!(
        calls(root.path())[before..],
        [
            "lspci -mm -n".to_string(),
            "nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string(),
        ]
    );
}
