//! The plan's commands and handlers actually executed (phx_apply with
//! run_commands) against TEST DOUBLES of apt-get, dpkg-query and systemctl
//! (phx-testkit/doubles/*-double; state under the temp root). This checks the plan's
//! guards and handler wiring — install once, enable once, start only when
//! stopped, restart only for config, reload only for records — not that
//! dnsmasq works on a real host (live_dnsmasq.rs checks the files with a real
//! dnsmasq).

use crate::common;
use common::*;
use phx_apply::{apply, Report, Status};
use std::path::Path;

fn calls(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("doubles/calls.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn run(cfg: &Path, root: &Path) -> Report {
    let opts = phx_dns::Options {
        phx_dns: assert_cmd::cargo::cargo_bin("phx-dns")
            .to_str()
            .unwrap()
            .to_string(),
    };
    let plan = phx_dns::build(&load_dir(cfg), &opts)
        .unwrap_or_else(|p| panic!("{p}"))
        .plan;
    let path = doubles_path(&["apt-get", "dpkg-query", "systemctl"]);
    let r = apply(&plan.steps, &apply_opts(root, path)).unwrap();
    assert!(r.failed().is_none(), "{:?}", r.failed());
    r
}

fn ran(r: &Report) -> Vec<&str> {
    r.outcomes
        .iter()
        .filter(|o| o.ran)
        .map(|o| o.id.as_str())
        .collect()
}

#[test]
fn commands_and_handlers_run_once_and_only_when_needed() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    let r = run(cfg.path(), root.path());
    assert_eq!(ran(&r), ["dns:install", "dns:restart", "dns:enable"]);
    // The restart started the stopped service, so the start step's guard holds;
    // the reload is superseded by the restart.
    assert!(r
        .outcomes
        .iter()
        .any(|o| o.id == "dns:start" && o.status == Status::Ok));
    assert_eq!(
        calls(root.path()),
        [
            "apt-get install -y dnsmasq",
            "systemctl restart dnsmasq",
            "systemctl enable dnsmasq"
        ]
    );

    // Converged: nothing runs, nothing changes.
    let r = run(cfg.path(), root.path());
    assert!(ran(&r).is_empty(), "{:?}", ran(&r));
    assert_eq!(r.changed(), 0);
    assert_eq!(calls(root.path()).len(), 3);

    // A record: reload only.
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["dns_records"][0]["ip"] = "10.0.0.101".into()
    });
    let r = run(cfg.path(), root.path());
    assert_eq!(ran(&r), ["dns:reload"]);
    assert_eq!(
        calls(root.path())[3..],
        ["systemctl reload-or-restart dnsmasq"]
    );

    // Someone stopped dnsmasq: it is started, nothing else.
    std::fs::remove_file(root.path().join("doubles/units/dnsmasq.active")).unwrap();
    let r = run(cfg.path(), root.path());
    assert_eq!(ran(&r), ["dns:start"]);

    // Switched off: our files go, a running dnsmasq restarts without them.
    edit_json(&cfg.path().join(HYP), |v| {
        v["dns_server"]["enabled"] = false.into()
    });
    let r = run(cfg.path(), root.path());
    assert_eq!(ran(&r), ["dns:restart"]);
    assert_eq!(
        calls(root.path()).last().unwrap(),
        "systemctl try-restart dnsmasq"
    );
    let r = run(cfg.path(), root.path());
    assert!(ran(&r).is_empty());
}
