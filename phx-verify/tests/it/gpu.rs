//! The GPU estate's health on the original's files: nvidia-smi on the host
//! and in each running GPU container (through the pct double's exec) with
//! the configured driver version, and each model server's list API on its
//! configured port, asked from a network namespace holding the fixture's
//! guest addresses, where small Python servers stand in for vLLM and
//! Ollama. A server that does not listen, a wrong model and a wrong driver
//! each fail naming the container and the port or version.

use phx_testkit::{copy_config, doubles_path, edit_json, upstream_dir, LXC};
use std::path::Path;
use std::process::Command;

const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

fn write_exe(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    let mut p = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
    std::fs::set_permissions(path, p).unwrap();
}

/// A container's nvidia-smi answering `--query-gpu=driver_version
/// --format=csv,noheader` (one line per GPU it sees).
fn smi(version: &str) -> String {
    format!("#!/bin/sh\n[ \"$1\" = --query-gpu=driver_version ] && [ \"$2\" = --format=csv,noheader ] || exit 2\necho {version}\necho {version}\n")
}

/// What the lspci and nvidia-smi doubles read: an RTX 3090 (VGA and its
/// audio function) and an H100 (3D controller), and the loaded driver.
fn host_gpus(root: &Path, driver: Option<&str>) {
    let d = root.join("doubles");
    std::fs::create_dir_all(d.join("lspci")).unwrap();
    std::fs::write(
        d.join("lspci/devices"),
        "01:00.0 \"0300\" \"10de\" \"2204\" -ra1 \"1458\" \"403b\"\n\
         01:00.1 \"0403\" \"10de\" \"1aef\" -ra1 \"1458\" \"403b\"\n\
         02:00.0 \"0302\" \"10de\" \"2330\" -ra1 \"10de\" \"16c1\"\n",
    )
    .unwrap();
    if let Some(v) = driver {
        std::fs::create_dir_all(d.join("nvidia")).unwrap();
        std::fs::write(d.join("nvidia/driver_version"), format!("{v}\n")).unwrap();
    }
}

/// Runs in a new network namespace: the guests' addresses on lo, the
/// stand-in servers started and waited for, then phx-verify.
const NETNS: &str = r#"set -e
ip link set lo up
for a in 10.0.0.141 10.0.0.142 10.0.0.155; do ip addr add $a/32 dev lo; done
python3 "$API" 10.0.0.141 8000 /v1/models '{"object":"list","data":[{"id":"ibm-granite/granite-embedding-english-r2","object":"model"}]}' &
python3 "$API" 10.0.0.142 8000 /v1/models '{"object":"list","data":[{"id":"some-other-model"}]}' &
python3 "$API" 10.0.0.155 11434 /api/tags '{"models":[{"name":"qwen3:8b","model":"qwen3:8b"}]}' &
for hp in 10.0.0.141/8000 10.0.0.142/8000 10.0.0.155/11434; do
    i=0; until (exec 3<>/dev/tcp/${hp%/*}/${hp#*/}) 2>/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 9; sleep 0.05; done
done
set +e
"$@"
echo "exit=$?"
kill $(jobs -p)
"#;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn drivers_and_model_servers_are_checked_and_each_failure_named() {
    let missing = ["unshare", "ip", "python3"]
        .into_iter()
        .filter(|t| phx_testkit::which(t).is_none())
        .map(String::from)
        .chain((!is_root()).then(|| "root (for a network namespace)".into()))
        .collect::<Vec<_>>();
    let missing = (!missing.is_empty()).then(|| missing.join(", "));
    if !phx_testkit::real_component("gpu_health", "netns", missing) {
        return;
    }
    let cfg = copy_config(&upstream_dir());
    // 914's Ollama on the guest side of its ports.
    edit_json(&cfg.path().join(LXC), |d| {
        d["lxc_configs"]["914"]["ports"] = serde_json::json!(["21434:11434"]);
    });
    let root = tempfile::tempdir().unwrap();
    // The host: two GPUs, the driver phx-gpu's runfile installed.
    host_gpus(root.path(), Some("580.76.05"));
    let path = doubles_path(&["pct", "lspci", "nvidia-smi"]);
    let pct = |args: &[&str]| {
        let st = Command::new("pct")
            .args(args)
            .env("PATH", &path)
            .env("PHX_ROOT", root.path())
            .status()
            .unwrap();
        assert!(st.success(), "pct {args:?}");
    };
    for id in ["901", "910", "911", "912", "801", "802", "914", "917"] {
        pct(&["create", id, TEMPLATE]);
    }
    for id in ["801", "802", "914", "917"] {
        pct(&["start", id]);
    }
    let guest_bin = |id: &str| {
        root.path().join(format!(
            "var/lib/pct-double/ct/{id}/rootfs/usr/local/bin/nvidia-smi"
        ))
    };
    write_exe(&guest_bin("801"), &smi("580.76.05"));
    write_exe(&guest_bin("914"), &smi("580.76.05"));
    write_exe(&guest_bin("917"), &smi("575.64.03"));
    // 802 has none: its userspace is missing.

    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/model_api.py");
    let out = Command::new("unshare")
        .args(["--net", "--", "bash", "-c", NETNS, "netns"])
        .arg(assert_cmd::cargo::cargo_bin("phx-verify"))
        .arg("--config-dir")
        .arg(cfg.path())
        .args(["--skip", "dns", "--skip", "ca", "--skip", "routes"])
        .args(["--skip", "trust", "--skip", "flows"])
        .env("API", &api)
        .env("PATH", &path)
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("exit=1\n"), "{all}");
    let line = |start: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?}:\n{all}"))
            .to_string()
    };
    assert!(line("ok    gpu    host driver: ").contains("driver 580.76.05, 2 GPU(s)"));
    assert!(line("ok    gpu    CT 801 ").contains("nvidia-smi in CT 801: driver 580.76.05"));
    assert!(line("ok    gpu    CT 914 ").contains("driver 580.76.05"));
    assert!(
        line("FAIL  gpu    CT 917 ")
            .ends_with("nvidia-smi in CT 917 reports driver 575.64.03; 580.76.05 is configured"),
        "{all}"
    );
    assert!(
        line("FAIL  gpu    CT 802 ").contains("nvidia-smi in CT 802 failed (exit "),
        "{all}"
    );
    for stopped in ["901", "910", "911", "912"] {
        assert!(line(&format!("skip  gpu    CT {stopped} ")).ends_with("not running"));
    }
    assert!(
        line("ok    model  CT 801 vLLM granite-embedding:8000: ").contains(
            "http://10.0.0.141:8000/v1/models: HTTP 200, models [\"ibm-granite/granite-embedding-english-r2\"]"
        ),
        "{all}"
    );
    assert!(
        line("FAIL  model  CT 802 vLLM granite-3.3-8b-fp8:8000: ").ends_with(
            "http://10.0.0.142:8000/v1/models lists [\"some-other-model\"]; \"Qwen3-4B-FP8\" is configured"
        ),
        "{all}"
    );
    assert!(
        line("ok    model  CT 914 Ollama ollama-gpu0:11434: ")
            .contains("http://10.0.0.155:11434/api/tags: HTTP 200, models [\"qwen3:8b\"]"),
        "{all}"
    );
    for template in ["910", "911", "912"] {
        assert!(line(&format!("skip  model  CT {template} vLLM "))
            .ends_with("a template: its clones serve, it does not"));
    }

    // Nothing listens: the failure names the container and the port.
    let out = Command::new("unshare")
        .args([
            "--net",
            "--",
            "bash",
            "-c",
            "ip link set lo up; ip addr add 10.0.0.155/32 dev lo; \"$@\"",
            "netns",
        ])
        .arg(assert_cmd::cargo::cargo_bin("phx-verify"))
        .arg("--config-dir")
        .arg(cfg.path())
        .args(["--skip", "dns", "--skip", "ca", "--skip", "routes"])
        .args(["--skip", "trust", "--skip", "flows", "--skip", "gpu"])
        .env("PATH", &path)
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let refused = stdout
        .lines()
        .find(|l| l.starts_with("FAIL  model  CT 914 Ollama ollama-gpu0:11434: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        refused.contains("CT 914: connect to 10.0.0.155:11434: Connection refused"),
        "{refused}"
    );
}

/// The host's driver alone (no namespace needed): a GPU without the driver
/// fails with nvidia-smi's own words, a driver at another version fails
/// naming both, a host without an NVIDIA GPU is skipped.
#[test]
fn the_host_driver_is_checked_where_lspci_shows_a_gpu() {
    let cfg = copy_config(&upstream_dir());
    let run = |root: &Path| {
        let out = Command::new(assert_cmd::cargo::cargo_bin("phx-verify"))
            .arg("--config-dir")
            .arg(cfg.path())
            .args(["--skip", "dns", "--skip", "ca", "--skip", "routes"])
            .args(["--skip", "trust", "--skip", "flows", "--skip", "models"])
            .env("PATH", doubles_path(&["pct", "lspci", "nvidia-smi"]))
            .env("PHX_ROOT", root)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let host = stdout
            .lines()
            .find(|l| l.contains(" gpu    host driver: "))
            .unwrap_or_else(|| panic!("{stdout}"))
            .to_string();
        (out.status.code(), host)
    };
    let bare = tempfile::tempdir().unwrap();
    host_gpus(bare.path(), None);
    let (_, host) = run(bare.path());
    assert!(host.starts_with("FAIL "), "{host}");
    assert!(
        host.contains("nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")
            && host.ends_with("(driver 580.76.05 configured: phoenix-cli setup gpu, then reboot)"),
        "{host}"
    );
    let old = tempfile::tempdir().unwrap();
    host_gpus(old.path(), Some("575.64.03"));
    let (_, host) = run(old.path());
    assert!(
        host.ends_with("nvidia-smi on the host reports driver 575.64.03; 580.76.05 is configured"),
        "{host}"
    );
    let none = tempfile::tempdir().unwrap();
    let (_, host) = run(none.path());
    assert!(
        host.starts_with("skip ") && host.ends_with("no NVIDIA GPU on this host (lspci -mm -n)"),
        "{host}"
    );
}
