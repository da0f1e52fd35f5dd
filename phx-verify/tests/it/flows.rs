//! The declared flows, each tried from its source: from the host a real TCP
//! connect (a listener on a loopback address the JSON gives a guest), from a
//! container through the pct double's `pct exec` (whose commands run in an
//! empty network namespace, so every connection fails there), and the ones
//! verify cannot originate — UDP, a VM, a stopped container — skipped with why.

use assert_cmd::Command;
use phx_testkit::{copy_config, double, edit_json, example_dir, HYP, LXC};
use serde_json::json;
use std::net::TcpListener;

#[test]
fn each_declared_flow_is_connected_from_its_source_or_skipped_with_why() {
    // Guest 110 (gitea) on a loopback address, so the host can reach it here.
    let listener = TcpListener::bind("127.0.0.110:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = TcpListener::bind("127.0.0.110:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // dropped at once: nothing listens there any more
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(LXC), |doc| {
        let net = &mut doc["lxc_configs"]["110"]["network_config"];
        net["ip"] = "127.0.0.110/24".into();
        net.as_object_mut().unwrap().remove("gw");
    });
    edit_json(&cfg.path().join(HYP), |doc| {
        doc["flows"] = json!([
            {"from": "host", "to": 110, "proto": "tcp", "port": open, "why": "backups"},
            {"from": "host", "to": "Gitea", "proto": "tcp", "port": closed, "why": "ssh"},
            {"from": "host", "to": 111, "proto": "udp", "port": 161, "why": "snmp"},
            {"from": 110, "to": 111, "proto": "tcp", "port": 9090, "why": "metrics"},
            {"from": 111, "to": 110, "proto": "tcp", "port": 3000, "why": "webhooks"},
            {"from": 1001, "to": 110, "proto": "tcp", "port": 22, "why": "deploys"},
        ]);
    });

    let root = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(double("pct"), bin.path().join("pct")).unwrap();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin.path().to_path_buf()];
    dirs.extend(std::env::split_paths(&inherited));
    let path = std::env::join_paths(dirs).unwrap();
    let template = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    for args in [
        &["create", "110", template][..],
        &["create", "111", template],
        &["start", "110"],
    ] {
        let st = std::process::Command::new("pct")
            .args(args)
            .env("PATH", &path)
            .env("PHX_ROOT", root.path())
            .status()
            .unwrap();
        assert!(st.success(), "pct {args:?}");
    }

    let out = Command::cargo_bin("phx-verify")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg.path())
        .args(["--skip", "dns", "--skip", "ca", "--skip", "routes"])
        .args(["--skip", "trust"])
        .env("PATH", &path)
        .env("PHX_ROOT", root.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |start: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?}:\n{stdout}"))
            .to_string()
    };
    let hyp = cfg.path().join(HYP);
    let open_line = line(&format!("ok    flow   host->gitea:tcp/{open} "));
    assert!(
        open_line.contains(&format!("{}: flows[0]", hyp.display()))
            && open_line.contains(&format!("tcp connect to 127.0.0.110:{open} from the host")),
        "{open_line}"
    );
    let refused = line(&format!("FAIL  flow   host->gitea:tcp/{closed} "));
    assert!(refused.contains("Connection refused"), "{refused}");
    assert!(
        line("skip  flow   host->monitoring:udp/161 ").contains("udp: "),
        "{stdout}"
    );
    let from_ct = line("FAIL  flow   gitea->monitoring:tcp/9090 ");
    assert!(
        from_ct.contains("tcp connect to 10.0.0.111:9090 from CT 110 failed"),
        "{from_ct}"
    );
    assert!(
        line("skip  flow   monitoring->gitea:tcp/3000 ")
            .ends_with("CT 111 is not running: nothing to connect from"),
        "{stdout}"
    );
    assert!(
        line("skip  flow   portainer->gitea:tcp/22 ")
            .contains("VM 1001: verify can run nothing inside a VM"),
        "{stdout}"
    );
    drop(listener);
}
