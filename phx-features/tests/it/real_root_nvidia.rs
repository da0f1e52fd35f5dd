//! The CUDA repository files the nvidia recipe writes, read by the REAL apt
//! of a Debian 12 root (real_root.rs' root and pct double). No network here
//! reaches NVIDIA, so what is proven is what apt decides without one: the
//! source line (its `signed-by=` option included) is parsed into the
//! repository's index URIs (`apt-get update --print-uris`), and the pin file
//! gives a repository labelled as NVIDIA's ("NVIDIA CUDA") priority 600 over
//! the 500 it has without it (a local flat repository of that label, read
//! offline). Not proven: the key (the curl double's stand-in is no key).

use crate::common::*;
use crate::real_root::{debian_root_for, inside, real_node};
use phx_plan::Action;
use std::path::Path;

const CT: u32 = 917;

/// The content of the plan's guest file step `id`.
fn file_of(steps: &[phx_plan::Step], id: &str) -> (String, String) {
    let s = steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"));
    match &s.action {
        Action::GuestFile(f) => (f.path.clone(), f.content.clone().unwrap()),
        other => panic!("{other:?}"),
    }
}

fn put(root: &Path, path: &str, text: &str) {
    let p = rootfs(root, CT).join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn the_real_apt_reads_the_cuda_source_and_pin() {
    let Some(tarball) = debian_root_for("the_real_apt_reads_the_cuda_source_and_pin") else {
        return;
    };
    let node = real_node(&tarball);
    let root = node.path();
    let dir = config_with(&upstream_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| ["900", "901", "917"].contains(&k.as_str()));
        lxcs["917"]
            .as_object_mut()
            .unwrap()
            .remove("application_script");
        lxcs["917"].as_object_mut().unwrap().remove("dependencies");
    });
    no_vms(dir.path());
    running(root, CT);
    let steps = plan_on(dir.path(), root);
    let (pin_path, pin) = file_of(&steps, "features-917-nvidia-cuda-pin");
    let (list_path, list) = file_of(&steps, "features-917-nvidia-cuda-source");
    put(root, &pin_path, &pin);
    put(root, &list_path, &list);
    put(root, phx_recipes::nvidia::CUDA_KEY, "stand-in: no key\n");

    let uris = inside(root, CT, &["apt-get", "update", "--print-uris"]);
    assert!(
        uris.contains("'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/InRelease'"),
        "{uris}"
    );
    assert!(uris.contains("x86_64/Packages.xz'"), "{uris}");

    // A flat repository labelled as NVIDIA's, offline, alone.
    put(
        root,
        "/srv/cuda/Packages",
        "Package: cuda-toolkit-12-8\nVersion: 12.8.1-1\nArchitecture: amd64\nFilename: ./cuda-toolkit-12-8_12.8.1-1_amd64.deb\nSize: 1\nDescription: stand-in\n\n",
    );
    put(
        root,
        "/srv/cuda/Release",
        "Origin: NVIDIA\nLabel: NVIDIA CUDA\nArchitecture: amd64\nDate: Thu, 01 Jan 2026 00:00:00 UTC\n",
    );
    put(
        root,
        "/srv/parts/local.list",
        "deb [trusted=yes] file:/srv/cuda /\n",
    );
    let only_local = [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        "Dir::Etc::SourceParts=/srv/parts",
    ];
    let mut update = vec!["apt-get"];
    update.extend(only_local);
    update.push("update");
    inside(root, CT, &update);
    let policy = |root: &Path| {
        let mut a = vec!["apt-cache"];
        a.extend(only_local);
        a.extend(["policy", "cuda-toolkit-12-8"]);
        inside(root, CT, &a)
    };
    let with_pin = policy(root);
    assert!(with_pin.contains("12.8.1-1 600"), "{with_pin}");
    std::fs::remove_file(rootfs(root, CT).join(pin_path.trim_start_matches('/'))).unwrap();
    let without = policy(root);
    assert!(
        without.contains("12.8.1-1 500"),
        "the pin made the 600: {without}"
    );
}
