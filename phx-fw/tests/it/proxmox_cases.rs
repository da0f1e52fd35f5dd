//! Cases shaped like pve-firewall's own test/ directory, where phx-fw once
//! answered differently: multicast corosync with `totem { transport: udp }`
//! (test/corosync.conf, test-default-rules1), a VM with three NICs and
//! ipfilter sets (test-vm-ipfilter1: ipfilter-net0 holding two addresses,
//! an empty ipfilter-net2), and the blacklist and smurf filters, which
//! guard the way into the host or a guest (PVEFW-FWBR-IN) and not a
//! guest's way out. Expected verdicts are read from src/PVE/Firewall.pm and
//! src/PVE/FirewallSimulator.pm; each case names what it follows.

use crate::common;
use common::*;
use std::path::Path;

const CLUSTER_FW: &str = "[OPTIONS]

enable: 1
policy_out: DROP

[IPSET blacklist]

198.51.100.7

[RULES]

IN ACCEPT -p tcp -dport 80 -source 1.2.3.0/24
";

/// test-vm-ipfilter1/100.fw.
const VM100_FW: &str = "[options]

enable: 1

[ipset ipfilter-net0]
1.2.3.4
1.2.3.5

[ipset ipfilter-net2] # empty, allow nothing

[rules]

IN ACCEPT -p tcp -dport 80
";

/// fwtester.pl's VM 100: three NICs with firewall=1 (addresses added so
/// each NIC can be named as a destination).
const VM100_CONF: &str = "name: vm100
net0: e1000=0E:0B:38:B8:B3:21,bridge=vmbr0,firewall=1
net1: e1000=0E:0B:38:B9:B4:21,bridge=vmbr0,firewall=1
net2: e1000=0E:0B:38:BA:B4:21,bridge=vmbr0,firewall=1
ipconfig0: ip=10.9.0.10/24,gw=10.9.0.1
ipconfig1: ip=10.9.1.10/24,gw=10.9.1.1
ipconfig2: ip=10.9.2.10/24,gw=10.9.2.1
";

/// A VM whose NIC has firewall=1 and which has no 101.fw.
const VM101_CONF: &str = "name: vm101
net0: virtio=BC:24:11:00:01:01,bridge=vmbr0,firewall=1
ipconfig0: ip=10.9.0.11/24,gw=10.9.0.1
";

/// test/corosync.conf's shape, with this node (`phoenix`, the example's
/// hostname) and a peer.
const COROSYNC: &str = "nodelist {
  node {
    name: phoenix
    nodeid: 1
    ring0_addr: 10.0.0.13
  }
  node {
    name: pve2
    nodeid: 2
    ring0_addr: 10.0.0.14
  }
}

totem {
  cluster_name: cloud
  config_version: 1
  ip_version: ipv4
  secauth: on
  transport: udp
  version: 2
}
";

fn tree(corosync: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let put = |path: &str, text: &str| {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put("etc/pve/firewall/cluster.fw", CLUSTER_FW);
    put("etc/pve/firewall/100.fw", VM100_FW);
    put("etc/pve/qemu-server/100.conf", VM100_CONF);
    put("etc/pve/qemu-server/101.conf", VM101_CONF);
    put("etc/pve/corosync.conf", corosync);
    root
}

/// (query, verdict, start of "decided by", what it follows)
type Case = (&'static str, &'static str, &'static str, &'static str);

fn check(root: &Path, cases: &[Case]) {
    let batch: String = cases.iter().map(|c| format!("{}\n", c.0)).collect();
    let out = phx_fw()
        .args(["simulate", "--config-dir"])
        .arg(example_dir())
        .arg("--state-root")
        .arg(root)
        .args(["--batch", "-"])
        .write_stdin(batch)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), cases.len(), "{stderr}");
    let wrong: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter(|((_, v, by, _), a)| {
            let (verdict, decided) = a.split_once('\t').unwrap();
            verdict != *v || !decided.starts_with(by)
        })
        .map(|((q, v, by, f), a)| format!("{q}: expected {v} by {by}… ({f}), got {a}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

const CLUSTER: &str = "/etc/pve/firewall/cluster.fw";
const VM100: &str = "/etc/pve/firewall/100.fw";

#[test]
fn multicast_corosync_is_accepted_with_totem_transport_udp() {
    let root = tree(COROSYNC);
    check(
        root.path(),
        &[
            (
                "outside host udp 5404 source=172.16.1.3 dest=239.192.158.83 dsttype=multicast",
                "ACCEPT",
                "implicit: host IN accepts multicast corosync",
                "enable_host_firewall: --dst-type MULTICAST, any source (test-default-rules1 line 34)",
            ),
            (
                "outside host udp 5405 source=172.16.1.3 dest=239.192.158.83 dsttype=unicast",
                "DROP",
                "/etc/pve/firewall/cluster.fw: policy_in",
                "not multicast: no corosync rule for a stranger (test-default-rules1 line 33)",
            ),
            (
                "host outside udp 5404 dest=239.192.158.83 dsttype=multicast",
                "ACCEPT",
                "implicit: host OUT accepts multicast corosync",
                "enable_host_firewall: host OUT's multicast rule (test-default-rules1 line 16)",
            ),
            (
                "host outside udp 5404 dest=239.192.158.83 dsttype=unicast",
                "DROP",
                "/etc/pve/firewall/cluster.fw: policy_out",
                "test-default-rules1 line 15",
            ),
            (
                "10.0.0.14 host udp 5404",
                "ACCEPT",
                "implicit: host IN accepts corosync",
                "the peer rule, as before",
            ),
        ],
    );
}

#[test]
fn without_totem_transport_udp_multicast_corosync_is_dropped() {
    let root = tree(&COROSYNC.replace("  transport: udp\n", "  transport: knet\n"));
    check(
        root.path(),
        &[(
            "outside host udp 5404 source=172.16.1.3 dest=239.192.158.83 dsttype=multicast",
            "DROP",
            "implicit: policy DROP",
            "$multicast_enabled is false: no multicast rule",
        )],
    );
}

#[test]
fn a_packet_between_two_nics_of_one_vm_crosses_both_nics_chains() {
    let root = tree(COROSYNC);
    check(
        root.path(),
        &[
            (
                "vm100i2 vm100 tcp 80 source=1.2.3.4",
                "DROP",
                "implicit: guest 100 ipfilter: source 1.2.3.4 is not in ipfilter-net2",
                "test-vm-ipfilter1: from vm100i2 to vm100, the empty set drops it",
            ),
            (
                "vm100i1 vm100 tcp 80 source=1.2.3.3",
                "ACCEPT",
                VM100,
                "test-vm-ipfilter1: net1 has no set; net0 IN accepts tcp 80",
            ),
            (
                "vm100 vm100i1 tcp 80 source=1.2.3.3",
                "DROP",
                "implicit: guest 100 ipfilter: source 1.2.3.3 is not in ipfilter-net0",
                "test-vm-ipfilter1: from vm100, 1.2.3.3 is not in ipfilter-net0",
            ),
            (
                "vm100 vm100i2 tcp 80 source=1.2.3.5",
                "ACCEPT",
                VM100,
                "in ipfilter-net0; net2 IN accepts tcp 80 (the set filters only OUT)",
            ),
            (
                "vm100i1 vm100i1 tcp 80",
                "ACCEPT",
                "local:",
                "one NIC: the packet never leaves the guest",
            ),
            (
                "vm100 host tcp 80 source=1.2.3.4",
                "ACCEPT",
                CLUSTER,
                "test-vm-ipfilter1: in ipfilter-net0, cluster.fw accepts 1.2.3.0/24",
            ),
            (
                "vm100i2 host tcp 80 source=1.2.3.4",
                "DROP",
                "implicit: guest 100 ipfilter",
                "test-vm-ipfilter1: vm100i2 sends nothing",
            ),
        ],
    );
}

#[test]
fn blacklist_and_smurfs_guard_the_way_in_not_a_guests_way_out() {
    let root = tree(COROSYNC);
    check(
        root.path(),
        &[
            (
                "198.51.100.7 vm100 tcp 80",
                "DROP",
                "implicit: source is in the cluster's +blacklist set",
                "PVEFW-FWBR-IN: ruleset_chain_add_input_filters",
            ),
            (
                "vm100i1 outside tcp 80 source=198.51.100.7",
                "ACCEPT",
                "/etc/pve/firewall/100.fw: policy_out",
                "PVEFW-FWBR-OUT has no blacklist",
            ),
            (
                "vm100i1 outside udp 5000 source=224.0.0.5",
                "ACCEPT",
                "/etc/pve/firewall/100.fw: policy_out",
                "PVEFW-FWBR-OUT has no smurf filter",
            ),
            (
                "198.51.100.7 vm101 tcp 80",
                "DROP",
                "implicit: source is in the cluster's +blacklist set",
                "firewall=1 puts net0 behind PVEFW-FWBR-IN even without 101.fw",
            ),
            (
                "outside vm101 udp 5000 source=224.0.0.5",
                "DROP",
                "implicit: source is a broadcast or multicast address",
                "PVEFW-FWBR-IN's smurf filter (host.fw's nosmurfs)",
            ),
            (
                "10.0.0.99 vm101 tcp 80",
                "ACCEPT",
                "implicit: no firewall chain",
                "no 101.fw: no tap chain",
            ),
            (
                "vm100i1 vm101 tcp 80 source=198.51.100.7",
                "DROP",
                "implicit: source is in the cluster's +blacklist set",
                "into vm101's firewall bridge",
            ),
        ],
    );
}
