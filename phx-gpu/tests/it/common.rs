//! Helpers shared by phx-gpu's integration tests.
#![allow(dead_code)]

use phx_apply::{apply, Report, Status};
use phx_common::lspci::Device;
use phx_gpu::headers::Line;
use phx_gpu::observe::{Gpus, Observed};
use phx_gpu::{Driver, Options, Wanted};
use phx_plan::Step;
pub use phx_testkit::*;
use std::path::Path;

pub const VERSION: &str = "580.76.05";
pub const RELEASE: &str = "6.8.12-4-pve";
/// An RTX 3090 and its HDMI audio function, as `lspci -mm -n` prints them.
pub const NVIDIA_VGA: &str = "01:00.0 \"0300\" \"10de\" \"2204\" -ra1 \"1458\" \"403b\"\n\
01:00.1 \"0403\" \"10de\" \"1aef\" -ra1 \"1458\" \"403b\"\n";
/// The Intel iGPU of a node without an NVIDIA card.
pub const INTEL_ONLY: &str = "00:02.0 \"0300\" \"8086\" \"3e92\" \"1028\" \"0869\"\n";

/// The doubles a GPU host needs (and `reboot`, which must never be called).
pub const GPU_DOUBLES: [&str; 8] = [
    "lspci",
    "modinfo",
    "nvidia-smi",
    "update-initramfs",
    "reboot",
    "apt-get",
    "dpkg-query",
    "systemctl",
];

/// A node under a temp root: its PCI devices (the lspci double's), the
/// running kernel and its installed package (PVE 8's line).
pub fn node(devices: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("doubles");
    std::fs::create_dir_all(d.join("lspci")).unwrap();
    std::fs::create_dir_all(d.join("dpkg")).unwrap();
    std::fs::write(d.join("lspci/devices"), devices).unwrap();
    std::fs::write(
        d.join(format!("dpkg/proxmox-kernel-{RELEASE}-signed")),
        "install ok installed",
    )
    .unwrap();
    let proc = root.path().join("proc/sys/kernel");
    std::fs::create_dir_all(&proc).unwrap();
    std::fs::write(proc.join("osrelease"), format!("{RELEASE}\n")).unwrap();
    root
}

/// The runfile double as NVIDIA would serve driver `version`.
pub fn runfile(version: &str) -> Vec<u8> {
    std::fs::read_to_string(double("nvidia-runfile"))
        .unwrap()
        .replace("__VERSION__", version)
        .into_bytes()
}

pub fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Serves driver `version`'s runfile at NVIDIA's path; its URL and digest.
pub fn serve(srv: &http::Server, version: &str) -> (String, String) {
    let body = runfile(version);
    let url = srv.put(
        &format!("/XFree86/Linux-x86_64/{version}/NVIDIA-Linux-x86_64-{version}.run"),
        &body,
    );
    (url, sha256(&body))
}

pub fn wanted(url: &str, version: &str, sha: Option<String>) -> Wanted {
    Wanted {
        driver: Some(Driver {
            version: version.into(),
            runfile_url: url.into(),
            sha256: sha,
        }),
        source: "/etc/phoenix/phoenix_hypervisor_config.json".into(),
        gpu_guests: vec![],
        highest_gpu: vec![],
    }
}

/// What observe() reads of `node(NVIDIA_VGA)`.
pub fn seen_gpu() -> Observed {
    Observed {
        gpus: Gpus::Found(vec![Device {
            slot: "01:00.0".into(),
            class: "0300".into(),
            vendor: "10de".into(),
            device: "2204".into(),
        }]),
        release: Some(RELEASE.into()),
        line: Some(Line::Proxmox),
        nouveau_loaded: false,
        nvidia_loaded: false,
        notes: vec![],
        calls: 0,
    }
}

/// The guards call the built phx-gpu (cargo builds it for integration tests).
pub fn options() -> Options {
    Options {
        phx_gpu: env!("CARGO_BIN_EXE_phx-gpu").to_string(),
    }
}

pub fn plan(w: &Wanted, seen: &Observed) -> Vec<Step> {
    phx_gpu::build(w, seen, &options()).plan.steps
}

/// Applies `steps` to `root`, commands against the doubles.
pub fn run(steps: &[Step], root: &Path) -> Report {
    apply(steps, &apply_opts(root, doubles_path(&GPU_DOUBLES))).expect("apply")
}

pub fn changed(r: &Report) -> Vec<&str> {
    r.outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| o.id.as_str())
        .collect()
}

pub fn status(r: &Report, id: &str) -> Status {
    r.outcomes
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no outcome {id}"))
        .status
}

pub fn detail<'a>(r: &'a Report, id: &str) -> &'a str {
    &r.outcomes.iter().find(|o| o.id == id).unwrap().detail
}

/// The doubles' call log under `root`.
pub fn calls(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("doubles/calls.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}
