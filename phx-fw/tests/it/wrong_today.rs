//! The three verdicts issue 13 found wrong, each against a tree of real-format
//! files under a temp root, read the way `simulate --state-root` reads them.
//! Expected behaviour from Proxmox's src/PVE/Firewall.pm (function named per case).

use crate::common;
use common::*;
use std::path::Path;

const CLUSTER: &str = "[OPTIONS]\n\nenable: 1\npolicy_in: DROP\n\n[RULES]\n\n";

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = d.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

/// `phx-fw simulate --state-root ROOT` with the example's topology (host 10.0.0.13).
fn simulate(root: &Path, args: &[&str]) -> (String, String) {
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lint(root: &Path) -> (bool, String) {
    let out = phx_fw()
        .args(["lint", "--state-root"])
        .arg(root)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// parse_port_name_number_or_range accepts ICMP type names in -dport, and
/// ipt_rule_to_cmds compiles `-p icmp -dport NAME` to `--icmp-type NAME`.
#[test]
fn icmp_type_names_in_dport_are_accepted_and_matched() {
    let root = tree(&[(
        "/etc/pve/firewall/cluster.fw",
        &format!("{CLUSTER}IN ACCEPT -source 192.168.1.0/24 -p icmp -dport host-unreachable\n"),
    )]);
    let (ok, err) = lint(root.path());
    assert!(ok, "lint refused a rule pve-firewall accepts: {err}");
    let base = ["--from", "192.168.1.5", "--to", "host", "--proto", "icmp"];
    let (out, err) = simulate(
        root.path(),
        &[&base[..], &["--icmp-type", "host-unreachable"]].concat(),
    );
    assert!(out.contains("ACTION: ACCEPT"), "{out}{err}");
    assert!(out.contains("cluster.fw:8"), "{out}");
    // Another type is not matched: policy_in DROP.
    let (out, _) = simulate(
        root.path(),
        &[&base[..], &["--icmp-type", "echo-request"]].concat(),
    );
    assert!(out.contains("ACTION: DROP"), "{out}");
}

/// verify_rule: `-dport` without `-p` is an error ("missing property -
/// 'dport' requires this property"), and enable_host_firewall skips rules
/// with errors: the packet meets policy_in, not the rule.
#[test]
fn a_port_without_a_protocol_is_not_compiled() {
    let root = tree(&[(
        "/etc/pve/firewall/cluster.fw",
        &format!("{CLUSTER}IN ACCEPT -dport 9100\nIN ACCEPT -sport 53\n"),
    )]);
    let (ok, err) = lint(root.path());
    assert!(
        !ok && err.contains("line 8") && err.contains("line 9"),
        "{err}"
    );
    for args in [
        &["--dport", "9100"][..],
        &["--proto", "udp", "--dport", "9100", "--sport", "53"][..],
    ] {
        let (out, err) = simulate(
            root.path(),
            &[&["--from", "192.168.1.5", "--to", "host"][..], args].concat(),
        );
        assert!(out.contains("ACTION: DROP"), "{args:?}: {out}{err}");
        assert!(out.contains("policy_in"), "{out}");
    }
}

/// enable_host_firewall: host.fw rules (from /etc/pve/nodes/<node>/host.fw,
/// `$hostfw_conf_filename`) come before cluster.fw rules in PVEFW-HOST-IN.
#[test]
fn host_fw_rules_decide_before_cluster_rules() {
    let root = tree(&[
        (
            "/etc/pve/firewall/cluster.fw",
            &format!("{CLUSTER}IN DROP -p tcp -dport 9100\n"),
        ),
        (
            "/etc/pve/nodes/phoenix/host.fw",
            "[OPTIONS]\n\ntcpflags: 1\n\n[RULES]\n\nIN ACCEPT -source 192.168.1.0/24 -p tcp -dport 9100\n",
        ),
    ]);
    let (ok, err) = lint(root.path());
    assert!(ok, "{err}");
    let (out, err) = simulate(
        root.path(),
        &["--from", "192.168.1.5", "--to", "host", "--dport", "9100"],
    );
    assert!(out.contains("ACTION: ACCEPT"), "{out}{err}");
    assert!(out.contains("/etc/pve/nodes/phoenix/host.fw:7"), "{out}");
    // From elsewhere the host rule does not match; the cluster rule drops.
    let (out, _) = simulate(
        root.path(),
        &["--from", "172.16.0.5", "--to", "host", "--dport", "9100"],
    );
    assert!(
        out.contains("ACTION: DROP") && out.contains("cluster.fw:8"),
        "{out}"
    );
}

/// pve-firewall reads host.fw only at /etc/pve/nodes/<node>/host.fw
/// (`/etc/pve/local/host.fw`); one in /etc/pve/firewall is never read, and
/// Phoenix says so instead of ignoring it silently.
#[test]
fn a_host_fw_in_the_firewall_directory_is_named_not_ignored() {
    let root = tree(&[
        ("/etc/pve/firewall/cluster.fw", CLUSTER),
        (
            "/etc/pve/firewall/host.fw",
            "[RULES]\n\nIN ACCEPT -p tcp -dport 9100\n",
        ),
    ]);
    let (_, err) = lint(root.path());
    assert!(
        err.contains("/etc/pve/firewall/host.fw") && err.contains("/etc/pve/nodes/"),
        "{err}"
    );
    let (out, err) = simulate(
        root.path(),
        &["--from", "192.168.1.5", "--to", "host", "--dport", "9100"],
    );
    assert!(out.contains("ACTION: DROP"), "{out}");
    assert!(err.contains("/etc/pve/firewall/host.fw"), "{err}");
}
