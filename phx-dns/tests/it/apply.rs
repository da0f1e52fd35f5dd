//! The plan through the real executor (phx_apply) into a temp root:
//! idempotent, and the right handler for each kind of change.

use crate::common;
use common::*;
use phx_apply::{apply, Options, Report, Status};
use std::path::Path;

fn plan_of(dir: &Path) -> Vec<phx_plan::Step> {
    phx_dns::build(&load_dir(dir), &Default::default())
        .unwrap_or_else(|p| panic!("{p}"))
        .plan
        .steps
}

fn run(steps: &[phx_plan::Step], root: &Path) -> Report {
    let opts = Options {
        root: root.to_path_buf(),
        run_commands: false,
        ..Default::default()
    };
    let r = apply(steps, &opts).expect("apply");
    assert!(r.failed().is_none(), "{:?}", r.failed());
    r
}

fn status(r: &Report, id: &str) -> Status {
    r.outcomes
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no outcome {id}"))
        .status
}

fn changed(r: &Report) -> Vec<&str> {
    r.outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| o.id.as_str())
        .collect()
}

#[test]
fn second_apply_changes_nothing() {
    for dir in [example_dir(), upstream_dir()] {
        let root = tempfile::tempdir().unwrap();
        let steps = plan_of(&dir);
        let first = run(&steps, root.path());
        assert_eq!(status(&first, "dns:conf"), Status::Changed);
        assert_eq!(status(&first, "dns:records"), Status::Changed);
        // Both files are new; the restart re-reads the records too, so the
        // reload it supersedes does not run as well.
        assert_eq!(first.handlers_fired(), vec!["dns:restart"]);
        assert_eq!(status(&first, "dns:reload"), Status::Skipped);
        // Commands are only reported under a root.
        assert_eq!(status(&first, "dns:install"), Status::Skipped);

        let conf = std::fs::read_to_string(root.path().join("etc/dnsmasq.d/phoenix.conf")).unwrap();
        assert!(conf.contains("addn-hosts=/etc/phoenix/dns/hosts"));
        assert!(root.path().join("etc/phoenix/dns/hosts").is_file());

        let second = run(&plan_of(&dir), root.path());
        assert!(
            changed(&second).is_empty(),
            "{}: second run changed {:?}",
            dir.display(),
            changed(&second)
        );
        assert!(second.handlers_fired().is_empty());
    }
}

#[test]
fn record_change_reloads_config_change_restarts() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    run(&plan_of(cfg.path()), root.path());

    // A plain record: only the records file changes -> reload, no restart.
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][1]["dns_records"][0]["ip"] = "10.0.0.101".into()
    });
    let r = run(&plan_of(cfg.path()), root.path());
    assert_eq!(changed(&r), vec!["dns:records", "dns:reload"]);
    assert_eq!(r.handlers_fired(), vec!["dns:reload"]);
    let hosts = std::fs::read_to_string(root.path().join("etc/phoenix/dns/hosts")).unwrap();
    assert!(
        hosts_lines(&hosts).contains(&(
            "10.0.0.101".into(),
            "portainer.internal.thinkheads.ai".into()
        )),
        "{hosts}"
    );

    // A wildcard lives in the config -> restart (SIGHUP does not re-read it).
    edit_json(&cfg.path().join(VM), |v| {
        v["vms"][2]["dns_records"][0]["ip"] = "10.0.0.102".into()
    });
    let r = run(&plan_of(cfg.path()), root.path());
    assert_eq!(changed(&r), vec!["dns:conf", "dns:restart"]);

    // An upstream server: config -> restart.
    edit_json(&cfg.path().join(HYP), |v| {
        v["dns_server"]["upstream_servers"] = serde_json::json!(["1.1.1.1"])
    });
    let r = run(&plan_of(cfg.path()), root.path());
    assert_eq!(changed(&r), vec!["dns:conf", "dns:restart"]);
    let conf = std::fs::read_to_string(root.path().join("etc/dnsmasq.d/phoenix.conf")).unwrap();
    assert!(
        conf.contains("\nserver=1.1.1.1\n") && !conf.contains("9.9.9.9"),
        "{conf}"
    );
}

#[test]
fn disabling_removes_our_files_once() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    // Another dnsmasq config file in the same directory must survive.
    let other = root.path().join("etc/dnsmasq.d/sdn-zone.conf");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "interface=vnet0\n").unwrap();
    run(&plan_of(cfg.path()), root.path());

    edit_json(&cfg.path().join(HYP), |v| {
        v["dns_server"]["enabled"] = false.into()
    });
    let r = run(&plan_of(cfg.path()), root.path());
    assert_eq!(changed(&r), vec!["dns:conf", "dns:records", "dns:restart"]);
    assert!(!root.path().join("etc/dnsmasq.d/phoenix.conf").exists());
    assert!(!root.path().join("etc/phoenix/dns/hosts").exists());
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "interface=vnet0\n"
    );

    let r = run(&plan_of(cfg.path()), root.path());
    assert!(changed(&r).is_empty(), "{:?}", changed(&r));
}

#[test]
fn the_config_is_validated_with_the_other_files_the_service_reads() {
    let missing = which("dnsmasq")
        .is_none()
        .then(|| "dnsmasq (apt-get install dnsmasq-base)".into());
    if !phx_testkit::real_component(
        "the_config_is_validated_with_the_other_files_the_service_reads",
        "dnsmasq",
        missing,
    ) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("etc/dnsmasq.d");
    std::fs::create_dir_all(&dir).unwrap();
    // Another package's file that the service would also load, and that
    // clashes with nothing but itself: `port` given twice.
    std::fs::write(dir.join("other.conf"), "port=53\nport=54\n").unwrap();
    // A validator is a command: under a root it runs only with run_commands
    // (the install step before it then meets the package doubles).
    let opts = phx_testkit::apply_opts(
        root.path(),
        phx_testkit::doubles_path(&["apt-get", "dpkg-query", "systemctl"]),
    );
    let r = apply(&plan_of(&example_dir()), &opts).unwrap();
    let failed = r.failed().expect("validation must fail");
    assert_eq!(failed.id, "dns:conf");
    assert!(failed.detail.contains("other.conf"), "{}", failed.detail);
    assert!(
        !dir.join("phoenix.conf").exists(),
        "the new config is not installed"
    );
}
