//! A fresh node (examples/state, blank disks) with the upstream fixture, its
//! cloud image served by a local HTTP server: one `phoenix-cli all storage
//! lxc vm --run-commands` plans the guests before phx-storage has fetched
//! their template and image (phx-lxc and phx-vm accept them missing because
//! phx_common::fetch says phx-storage fetches them), then applies storage
//! first and the guests are made from what it fetched. A second run fetches
//! nothing: no pveam call, no request.

use crate::phoenix_cli::cli;
use phx_testkit::http::Server;
use serde_json::json;

const IMAGE: &str = "noble-server-cloudimg-amd64.img";

fn lines_of(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn storage_fetches_what_the_guests_are_made_from_in_the_same_run() {
    // A qcow2 header (virtual size 2 GiB), all qm reads of an image.
    let mut image = b"QFI\xfb\0\0\0\x03".to_vec();
    image.extend([0u8; 16]);
    image.extend((2u64 << 30).to_be_bytes());
    let srv = Server::start();
    let url = srv.put(&format!("/noble/current/{IMAGE}"), &image);
    let sums = srv.put(
        "/noble/current/SHA256SUMS",
        format!("{} *{IMAGE}\n", phx_plan::sha256::hex(&image)).as_bytes(),
    );
    let cfg = phx_testkit::copy_config(&phx_testkit::upstream_dir());
    phx_testkit::edit_json(&cfg.path().join("phoenix_vm_configs.json"), |v| {
        v["vms"][0]["template_image_url"] = json!(url);
        v["vms"][0]["template_image_checksum_url"] = json!(sums);
    });
    // The fixture's pool disks, blank: the edited copy keeps them.
    let root = phx_testkit::fresh_node();

    let run = || {
        cli()
            .args([
                "all",
                "storage",
                "lxc",
                "vm",
                "--run-commands",
                "--config-dir",
            ])
            .arg(cfg.path())
            .args(["--root", root.path().to_str().unwrap()])
            .env("PATH", phx_testkit::all_doubles_path())
            .output()
            .unwrap()
    };
    let first = run();
    let err = lines_of(&first.stderr);
    assert!(first.status.success(), "{err:#?}");
    for said in [
        "phx-lxc: note: template /fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst (CT 900) is not on the host yet",
        "phx-vm: note: image noble-server-cloudimg-amd64.img (VM 9000) is not on the host yet",
    ] {
        assert!(err.iter().any(|l| l.starts_with(said)), "{said}: {err:#?}");
    }
    assert!(root
        .path()
        .join("fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst")
        .is_file());
    assert_eq!(
        std::fs::read(root.path().join("var/lib/vz/template/iso").join(IMAGE)).unwrap(),
        image
    );
    let conf = std::fs::read_to_string(root.path().join("etc/pve/qemu-server/9000.conf")).unwrap();
    assert!(conf.contains("template: 1"), "VM 9000 made: {conf}");
    assert!(
        root.path().join("etc/pve/lxc/900.conf").is_file(),
        "CT 900 made"
    );
    let requests = srv.requests().len();

    let _ = std::fs::remove_file(root.path().join("pveam.log"));
    let second = run();
    let err = lines_of(&second.stderr);
    assert!(second.status.success(), "{err:#?}");
    assert!(
        err.iter()
            .any(|l| l.starts_with("phx-storage: ") && l.contains(" ok, 0 changed, ")),
        "{err:#?}"
    );
    assert!(!root.path().join("pveam.log").exists(), "no pveam call");
    assert_eq!(srv.requests().len(), requests, "nothing fetched again");
}
