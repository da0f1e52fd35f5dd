//! The phx-dns binary: plan and render output, bad input (exit 2, precise
//! message, nothing on stdout, nothing written), the install guard.

use crate::common;
use assert_cmd::Command;
use common::*;
use serde_json::{json, Value};

fn phx_dns() -> Command {
    Command::cargo_bin("phx-dns").unwrap()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn plan_is_json_lines_in_execution_order() {
    let out = phx_dns()
        .arg("--config-dir")
        .arg(example_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let mut steps: Vec<Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The stream ends with its trailer: the tool and how many steps precede it.
    let trailer = steps.pop().unwrap();
    assert_eq!(trailer["kind"], "end");
    assert_eq!(trailer["steps"].as_u64(), Some(steps.len() as u64));
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "dns:install",
            "dns:conf",
            "dns:records",
            "dns:reload",
            "dns:restart",
            "dns:enable",
            "dns:start"
        ]
    );
    for s in &steps {
        assert_eq!(s["v"], 1);
        assert_eq!(s["tool"], "phx-dns");
    }
    assert_eq!(
        steps[0]["argv"],
        json!(["apt-get", "install", "-y", "dnsmasq"])
    );
    // The guard calls this very binary by its absolute path: phx-apply may not have it on PATH.
    let exe = assert_cmd::cargo::cargo_bin("phx-dns");
    assert_eq!(
        steps[0]["unless"],
        json!([exe.to_str().unwrap(), "pkg-installed", "dnsmasq"])
    );
    assert_eq!(steps[1]["path"], "/etc/dnsmasq.d/phoenix.conf");
    assert_eq!(steps[1]["validate"][0], "dnsmasq");
    assert_eq!(steps[1]["notify"], json!(["dns:restart"]));
    assert_eq!(steps[2]["path"], "/etc/phoenix/dns/hosts");
    assert_eq!(steps[2]["notify"], json!(["dns:reload"]));
    assert_eq!(steps[3]["kind"], "handler");
    assert_eq!(steps[4]["argv"], json!(["systemctl", "restart", "dnsmasq"]));
    assert_eq!(steps[5]["argv"], json!(["systemctl", "enable", "dnsmasq"]));
    assert_eq!(steps[5]["unless"][1], "is-enabled");
    // The explicit record that overrides Portainer's own name is reported.
    assert!(
        stderr_of(&out).contains("warning:")
            && stderr_of(&out).contains("portainer.internal.thinkheads.ai"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn plan_subcommand_files_and_stdin_agree() {
    let by_dir = phx_dns()
        .arg("--config-dir")
        .arg(upstream_dir())
        .output()
        .unwrap();
    let files: Vec<_> = [HYP, LXC, VM]
        .iter()
        .map(|f| upstream_dir().join(f))
        .collect();
    let by_files = phx_dns().arg("plan").args(&files).output().unwrap();
    let mut all = Vec::new();
    for f in &files {
        all.extend(std::fs::read(f).unwrap());
    }
    let by_stdin = phx_dns().arg("-").write_stdin(all).output().unwrap();
    assert!(by_dir.status.success() && by_files.status.success() && by_stdin.status.success());
    assert_eq!(by_dir.stdout, by_files.stdout);
    assert_eq!(by_dir.stdout, by_stdin.stdout);
}

#[test]
fn render_prints_and_writes_both_files() {
    let out = phx_dns()
        .arg("render")
        .arg("--config-dir")
        .arg(example_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    assert!(text.contains("==> /etc/dnsmasq.d/phoenix.conf <==\n"));
    assert!(text.contains("==> /etc/phoenix/dns/hosts <==\n"));
    assert!(text.contains("\n10.0.0.10 ca.internal.thinkheads.ai\n"));

    let dir = tempfile::tempdir().unwrap();
    let out = phx_dns()
        .arg("render")
        .arg("--config-dir")
        .arg(example_dir())
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let conf = std::fs::read_to_string(dir.path().join("etc/dnsmasq.d/phoenix.conf")).unwrap();
    let hosts = std::fs::read_to_string(dir.path().join("etc/phoenix/dns/hosts")).unwrap();
    assert!(conf.contains("\nlocal=/internal.thinkheads.ai/\n"));
    assert!(
        hosts_lines(&hosts).contains(&("10.0.0.12".into(), "git.internal.thinkheads.ai".into()))
    );
}

/// Runs plan and `render --out` on a bad configuration: both must exit 2 with
/// nothing on stdout and nothing written. Returns stderr.
fn rejected(lxcs: Value) -> String {
    let cfg = write_config(
        &small_hypervisor(),
        &json!({ "lxc_configs": lxcs }),
        Some(&json!({ "vms": [] })),
    );
    let out = phx_dns()
        .arg("--config-dir")
        .arg(cfg.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout_of(&out));
    let dest = tempfile::tempdir().unwrap();
    let r = phx_dns()
        .arg("render")
        .arg("--config-dir")
        .arg(cfg.path())
        .arg("--out")
        .arg(dest.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(r.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(dest.path()).unwrap().count(),
        0,
        "render wrote files for a bad configuration"
    );
    let err = stderr_of(&out);
    assert!(err.contains(LXC), "message names the file: {err}");
    err
}

#[test]
fn invalid_hostname_is_rejected_precisely() {
    let mut a = lxc("a", "10.0.0.20");
    a["dns_records"] = json!([{"hostname": "bad_name.t.example", "ip": "10.0.0.5"}]);
    let err = rejected(json!({"200": a}));
    assert!(
        err.contains(
            "lxc_configs.\"200\".dns_records[0].hostname: \"bad_name.t.example\": a DNS name"
        ),
        "{err}"
    );
}

#[test]
fn name_with_a_newline_is_rejected_precisely() {
    let mut a = lxc("a", "10.0.0.20");
    a["dns_records"] =
        json!([{"hostname": "evil.t.example\naddress=/#/6.6.6.6", "ip": "10.0.0.5"}]);
    let err = rejected(json!({"200": a}));
    assert!(
        err.contains(
            "lxc_configs.\"200\".dns_records[0].hostname: \"evil.t.example\\naddress=/#/6.6.6.6\""
        ),
        "{err}"
    );
}

#[test]
fn conflicting_records_name_both_places() {
    let mut a = lxc("a", "10.0.0.20");
    a["dns_records"] = json!([{"hostname": "dup.t.example", "ip": "10.0.0.7"}]);
    let mut b = lxc("b", "10.0.0.21");
    b["dns_records"] = json!([{"hostname": "dup.t.example", "ip": "10.0.0.8"}]);
    let err = rejected(json!({"200": a, "201": b}));
    assert!(
        err.contains("lxc_configs.\"201\".dns_records[0]")
            && err.contains("lxc_configs.\"200\".dns_records[0]"),
        "{err}"
    );
    assert!(
        err.contains("10.0.0.7") && err.contains("10.0.0.8"),
        "{err}"
    );
}

#[test]
fn dns_specific_problem_is_rejected_the_same_way() {
    let mut a = lxc("a", "10.0.0.20");
    a["traefik_service"] = json!({"name": "git", "port": 3000});
    let err = rejected(json!({"200": a}));
    assert!(
        err.contains(
            "lxc_configs.\"200\".traefik_service: \"git\": a guest with the \"traefik\" feature"
        ),
        "{err}"
    );
}

#[test]
fn disabled_says_so_on_stderr() {
    let cfg = copy_config(&example_dir());
    edit_json(&cfg.path().join(HYP), |v| {
        v["dns_server"]["enabled"] = false.into()
    });
    let out = phx_dns()
        .arg("--config-dir")
        .arg(cfg.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr_of(&out).contains("note: dns_server.enabled is false"),
        "{}",
        stderr_of(&out)
    );
    let kinds: Vec<String> = stdout_of(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds, ["absent", "absent", "handler", "end"]);
}

#[test]
fn pkg_installed_reads_dpkg_status() {
    let missing = which("dpkg-query").is_none().then(|| "dpkg-query".into());
    if !phx_testkit::real_component("pkg_installed_reads_dpkg_status", "dpkg", missing) {
        return;
    }
    // dpkg itself is installed wherever dpkg-query is.
    phx_dns().args(["pkg-installed", "dpkg"]).assert().code(0);
    phx_dns()
        .args(["pkg-installed", "phx-no-such-package-xyz"])
        .assert()
        .code(1);
}

#[test]
fn help_teaches() {
    let out = phx_dns().arg("--help").output().unwrap();
    let text = stdout_of(&out);
    for needle in [
        "render",
        "Examples:",
        "phx-apply",
        "dns_records",
        "/etc/dnsmasq.d/phoenix.conf",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
}
