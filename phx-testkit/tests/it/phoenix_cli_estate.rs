//! phoenix-cli's estate verbs (issue 23): `check` lists the flows the
//! estate needs before its diffs, `--allow-blocked-flow` reaches phx-fw
//! alone, and `verify` and `migrate` hand over to their programs.

use crate::phoenix_cli::{cli, repo};
use predicates::prelude::*;
use std::path::Path;

/// The example's three files in `dir`, CT 103's one rule (the CA's ACME
/// port, 9000) moved to 9001: Traefik can no longer reach step-ca.
fn acme_closed(dir: &Path) {
    for f in [
        "phoenix_hypervisor_config.json",
        "phoenix_vm_configs.json",
        "phoenix_lxc_configs.json",
    ] {
        std::fs::copy(repo("examples/etc").join(f), dir.join(f)).unwrap();
    }
    let path = dir.join("phoenix_lxc_configs.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rule = &mut doc["lxc_configs"]["103"]["firewall"]["rules"][0];
    assert_eq!(rule["port"], "9000", "the example's CA rule changed");
    rule["port"] = "9001".into();
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

fn check(config: &Path, root: &Path, more: &[&str]) -> std::process::Output {
    cli()
        .args(["check", "fw", "--config-dir"])
        .arg(config)
        .arg("--root")
        .arg(root)
        .args(more)
        .output()
        .unwrap()
}

#[test]
fn check_lists_every_flow_open_before_the_diffs() {
    let root = tempfile::tempdir().unwrap();
    let out = check(&repo("examples/etc"), root.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acme = stdout
        .lines()
        .find(|l| l.starts_with("traefik->ca:acme "))
        .unwrap_or_else(|| panic!("no ACME flow listed:\n{stdout}"));
    assert!(
        acme.contains("tcp/9000") && acme.ends_with("open"),
        "{acme}"
    );
    let listed = stdout.find("traefik->ca:acme").unwrap();
    let first_diff = stdout.find("+++ ").expect("the firewall files' diffs");
    assert!(
        listed < first_diff,
        "flows come before the diffs:\n{stdout}"
    );
}

#[test]
fn a_blocked_acme_flow_is_listed_refused_and_allowed_only_when_named() {
    let config = tempfile::tempdir().unwrap();
    acme_closed(config.path());
    let root = tempfile::tempdir().unwrap();
    let out = check(config.path(), root.path(), &[]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let acme = stdout
        .lines()
        .find(|l| l.starts_with("traefik->ca:acme "))
        .unwrap_or_else(|| panic!("no ACME flow listed:\n{stdout}"));
    assert!(acme.contains(" BLOCKED (DROP)"), "{acme}");
    assert!(
        stderr.contains("traefik->ca:acme") && stderr.contains("/etc/pve/firewall/103.fw:"),
        "the refusal names the flow and the deciding file and line:\n{stderr}"
    );
    assert!(!stdout.contains("+++ "), "nothing planned:\n{stdout}");

    // Every flow the closed port blocks, accepted by name: the plan goes on,
    // each acceptance said.
    let blocked: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" BLOCKED "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(blocked.contains(&"traefik->ca:acme"), "{blocked:?}");
    let mut allow = Vec::new();
    for name in &blocked {
        allow.extend(["--allow-blocked-flow", name]);
    }
    let out = check(config.path(), root.path(), &allow);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("traefik->ca:acme"),
        "{stderr}"
    );

    // A flag for phx-fw with fw not planned does nothing: refused.
    cli()
        .args(["check", "net", "--allow-blocked-flow", "traefik->ca:acme"])
        .arg("--config-dir")
        .arg(config.path())
        .arg("--root")
        .arg(root.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--allow-blocked-flow is for phx-fw",
        ));
}

#[test]
fn migrate_and_verify_hand_over_to_their_programs() {
    let out = tempfile::tempdir().unwrap();
    cli()
        .args(["migrate", "--from-original"])
        .arg(repo("tests/fixtures/phoenix-upstream"))
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("ca.internal.thinkheads.ai"));
    let hv = std::fs::read_to_string(out.path().join("phoenix_hypervisor_config.json")).unwrap();
    assert!(hv.contains("\"ca.internal.thinkheads.ai\""), "{hv}");

    // Nothing answers DNS on this port: verify fails naming the CA's name.
    cli()
        .args(["verify", "--config-dir"])
        .arg(out.path())
        .args(["--dns-server", "127.0.0.1:9", "--skip", "trust"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ca.internal.thinkheads.ai"));
}

/// A fresh node (examples/state) for the upstream fixture: its pools'
/// disks blank in the disks double, and the cloud image VM 9000 is made
/// from in place (as an operator or `setup` puts it there), a 3 GiB qcow2.
fn fresh_node_for_the_fixture() -> tempfile::TempDir {
    let root = phx_testkit::fresh_node();
    phx_testkit::put_image(root.path(), "noble-server-cloudimg-amd64.img", 3);
    root
}

fn on_fixture(root: &Path, args: &[&str]) -> std::process::Output {
    let out = cli()
        .args(args)
        .arg("--config-dir")
        .arg(phx_testkit::upstream_dir())
        .args(["--root", root.to_str().unwrap(), "--run-commands"])
        .env("PATH", phx_testkit::all_doubles_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "phoenix-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn one_letsgo_converges_a_fresh_node_with_the_fixture() {
    let root = fresh_node_for_the_fixture();
    let r = root.path();
    on_fixture(r, &["setup", "storage"]);
    let first = on_fixture(r, &["LetsGo", "lxc", "vm"]);
    let err = String::from_utf8_lossy(&first.stderr);
    let qm = phx_testkit::double_log(r, "qm");
    // The clones of template 9000, made in this same run, grow at once.
    for (id, size) in [(1001, "32G"), (1002, "64G")] {
        let resize = format!("qm disk resize {id} scsi0 {size}");
        assert!(qm.contains(&resize), "{resize} not in {qm:#?}");
    }
    // 801 and 802 share one volume: 801's, as pct named it on the zfspool.
    let conf = |id: u32| std::fs::read_to_string(r.join(format!("etc/pve/lxc/{id}.conf"))).unwrap();
    let mp0 = |id: u32| {
        conf(id)
            .lines()
            .find_map(|l| l.strip_prefix("mp0: ").map(str::to_string))
            .unwrap()
    };
    assert!(
        mp0(801).starts_with("fastData-shared-bulk-data:subvol-801-disk-0,mp=/vllm_models,"),
        "{}",
        mp0(801)
    );
    assert_eq!(
        mp0(802),
        "fastData-shared-bulk-data:subvol-801-disk-0,mp=/vllm_models"
    );
    assert!(
        err.contains("CT 802: zfs_volumes vllm_models is CT 801's volume"),
        "{err}"
    );

    // The second LetsGo changes nothing and calls nothing that changes.
    for prog in ["pct", "qm"] {
        let _ = std::fs::remove_file(r.join(format!("{prog}.log")));
    }
    let again = on_fixture(r, &["LetsGo", "lxc", "vm"]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("12 container(s), 12 existing")
            && err.contains("0 to change, 0 step(s)")
            && !err.contains(" changed"),
        "{err}"
    );
    for prog in ["pct", "qm"] {
        let log = phx_testkit::double_log(r, prog);
        assert!(phx_testkit::mutating(&log).is_empty(), "{prog}: {log:#?}");
    }
}

/// The workspace's binaries in a directory of their own, `phx-vm` replaced
/// by a stand-in whose plan says what the host had when it planned: one
/// file, `/planned-when`, holding "storage.cfg" once setup wrote
/// `/etc/pve/storage.cfg`, else "fresh".
#[test]
fn all_plans_letsgo_again_once_setup_changed_the_host() {
    // Every phase is planned first (a refusal leaves the host untouched),
    // so LetsGo's first plan predates what setup makes (here storage.cfg;
    // on a fresh node the template and image setup fetches, which a VM
    // clone's disk size depends on). After setup changed the host, LetsGo
    // is planned again; after a setup that changed nothing, it is not.
    let root = fresh_node_for_the_fixture();
    let r = root.path();
    let run = |kept: &Path| {
        let out = cli()
            .args(["all", "storage", "vm", "--config-dir"])
            .arg(phx_testkit::upstream_dir())
            .args(["--root", r.to_str().unwrap(), "--run-commands"])
            .arg("--keep-plans")
            .arg(kept)
            .env("PATH", phx_testkit::all_doubles_path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let first = tempfile::tempdir().unwrap();
    let err = run(first.path());
    // Planned again; the same plan as the first here (the image is in
    // place), so kept without a word. That the new plan, when it differs,
    // is the one applied: the next test (the clones grown in the same run).
    assert!(
        first.path().join("guests-again/1-vm.jsonl").is_file(),
        "LetsGo was not planned again after setup changed the host: {err}"
    );
    // Converged: setup changes nothing, so LetsGo is not planned again.
    let second = tempfile::tempdir().unwrap();
    let err = run(second.path());
    assert!(!err.contains("planned again"), "{err}");
    assert!(
        !second.path().join("guests-again").exists(),
        "planned again although setup changed nothing: {err}"
    );
}

#[test]
fn one_all_from_a_fresh_node_fetches_the_image_and_grows_the_vm_clones() {
    // No cloud image on the host: setup downloads it (from a local server),
    // so when `all` first plans LetsGo template 9000's disk size is unknown;
    // LetsGo, planned again after setup, grows clones 1001 and 1002 in the
    // same run, and a second `all` changes nothing.
    let root = fresh_node_for_the_fixture();
    let r = root.path();
    std::fs::remove_file(r.join("var/lib/vz/template/iso/noble-server-cloudimg-amd64.img"))
        .unwrap();
    let mut image = b"QFI\xfb\0\0\0\x03".to_vec();
    image.extend([0u8; 16]);
    image.extend((3u64 << 30).to_be_bytes());
    let srv = phx_testkit::http::Server::start();
    let url = srv.put("/noble/current/noble-server-cloudimg-amd64.img", &image);
    let cfg = phx_testkit::copy_config(&phx_testkit::upstream_dir());
    phx_testkit::edit_json(&cfg.path().join(phx_testkit::VM), |v| {
        v["vms"][0]["template_image_url"] = url.into();
        v["vms"][0]["template_image_sha256"] = phx_plan::sha256::hex(&image).into();
    });
    let all = || {
        let out = cli()
            .args(["all", "storage", "lxc", "vm", "--config-dir"])
            .arg(cfg.path())
            .args(["--root", r.to_str().unwrap(), "--run-commands"])
            .env("PATH", phx_testkit::all_doubles_path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let err = all();
    assert!(err.contains("phoenix-cli: guests planned again"), "{err}");
    let qm = phx_testkit::double_log(r, "qm");
    for (id, size) in [(1001, "32G"), (1002, "64G")] {
        let resize = format!("qm disk resize {id} scsi0 {size}");
        assert!(qm.contains(&resize), "{resize} not in {qm:#?}");
    }
    for prog in ["pct", "qm"] {
        let _ = std::fs::remove_file(r.join(format!("{prog}.log")));
    }
    all();
    for prog in ["pct", "qm"] {
        let log = phx_testkit::double_log(r, prog);
        assert!(phx_testkit::mutating(&log).is_empty(), "{prog}: {log:#?}");
    }
    assert_eq!(srv.requests().len(), 1, "{:?}", srv.requests());
}

#[test]
fn a_warning_every_planner_gives_is_said_once_per_run() {
    // Every planner loads the three files, and the fixture's unread
    // proxmox_storage_ids keys and mounts of absent containers are warned
    // about by each of setup's four planners; the run says each once.
    let root = fresh_node_for_the_fixture();
    let out = on_fixture(root.path(), &["setup"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for warning in [
        "proxmox_storage_ids.fastdata_iso: not used",
        "shared_volumes.vllm_models.mounts.\"951\": CT 951 has no lxc_configs entry",
        // A guest key no tool acts on (config::unhandled).
        "phoenix_lxc_configs.json: tests (CT 801): not handled, ignored",
        "phoenix_vm_configs.json: docker_stacks (VM 1002): not handled, ignored",
    ] {
        assert_eq!(stderr.matches(warning).count(), 1, "{warning}:\n{stderr}");
    }
}

/// Every guest double's log of what it changed (`var/log/phx-doubles.log`
/// in each container's and VM's root), by guest.
fn guest_double_logs(root: &Path) -> Vec<(String, String)> {
    let mut logs = Vec::new();
    for (kind, dir) in [
        ("CT", "var/lib/pct-double/ct"),
        ("VM", "var/lib/qm-double/vm"),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let log = e.path().join("rootfs/var/log/phx-doubles.log");
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            logs.push((format!("{kind} {}", e.file_name().to_string_lossy()), text));
        }
    }
    logs.sort();
    logs
}

#[test]
fn a_second_whole_letsgo_only_runs_guards_inside_every_guest() {
    let root = fresh_node_for_the_fixture();
    let r = root.path();
    on_fixture(r, &["setup", "storage"]);
    on_fixture(r, &["LetsGo"]);
    let worked: Vec<String> = guest_double_logs(r)
        .into_iter()
        .filter(|(_, log)| !log.is_empty())
        .map(|(g, _)| g)
        .collect();
    // base_setup in the template before its snapshot, and in the running guests.
    for g in ["CT 900", "CT 101", "CT 102", "CT 103"] {
        assert!(worked.iter().any(|w| w == g), "{g} got nothing: {worked:?}");
    }

    for prog in ["pct", "qm"] {
        let _ = std::fs::remove_file(r.join(format!("{prog}.log")));
    }
    for (g, _) in guest_double_logs(r) {
        let (kind, id) = g.split_once(' ').unwrap();
        let dir = if kind == "CT" {
            "var/lib/pct-double/ct"
        } else {
            "var/lib/qm-double/vm"
        };
        let _ = std::fs::remove_file(r.join(dir).join(id).join("rootfs/var/log/phx-doubles.log"));
    }
    let again = on_fixture(r, &["LetsGo"]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!err.contains(" changed "), "{err}");
    for (g, log) in guest_double_logs(r) {
        assert_eq!(log, "", "{g} did more than guard");
    }
    // No pct call but reads and `pct exec`, whose in-guest effects the
    // guest doubles above would have logged: only guards and read-backs.
    let pct = phx_testkit::double_log(r, "pct");
    let calls: Vec<String> = phx_testkit::mutating(&pct)
        .into_iter()
        .filter(|l| !l.starts_with("pct exec "))
        .collect();
    assert!(calls.is_empty(), "{calls:#?}");
    // The guards: each running container is entered (and no template is).
    let entered = |id: u32| {
        pct.iter()
            .filter(|l| l.starts_with(&format!("pct exec {id} ")))
            .count()
    };
    for id in [101, 102, 103] {
        assert!(entered(id) > 0, "CT {id}: {pct:#?}");
    }
    assert_eq!(entered(900), 0, "the template stays stopped: {pct:#?}");
}
