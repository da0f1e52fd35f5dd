//! What the simulator learns from the node's own files under a state root,
//! as pve-firewall does: every NIC of every guest (`netN` in
//! `/etc/pve/lxc/<id>.conf` and `/etc/pve/qemu-server/<id>.conf`), the
//! corosync ring addresses of every node (`/etc/pve/corosync.conf`), and the
//! node's own addresses (`address` lines of `/etc/network/interfaces`).

use super::values::{GuestInfo, Nic, Topology};
use phx_plan::fsutil::under_root;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// A guest's NICs from its conf's main section, by index: address,
/// `firewall=1`, MAC (a CT's `hwaddr=`, a VM's `MODEL=MAC`) and bridge.
pub fn conf_nics(text: &str, is_ct: bool) -> BTreeMap<u8, Nic> {
    let mut nics = BTreeMap::new();
    let mut ipconfig = BTreeMap::new();
    for line in text.lines() {
        // Snapshots and pending changes follow the main section.
        if line.starts_with('[') {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let props: Vec<(&str, &str)> = value
            .trim()
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let get = |k: &str| props.iter().find(|(x, _)| *x == k).map(|(_, v)| *v);
        let ip = || {
            get("ip")
                .and_then(|ip| ip.split('/').next())
                .and_then(|ip| ip.parse().ok())
        };
        if let Some(n) = key.strip_prefix("net").and_then(|n| n.parse::<u8>().ok()) {
            // A VM's MAC is the value of its model key (`virtio=MAC`).
            let mac = if is_ct {
                get("hwaddr")
            } else {
                props.first().map(|(_, v)| *v).filter(|v| v.len() == 17)
            };
            nics.insert(
                n,
                Nic {
                    index: n,
                    // A CT's address is in its netN line; a VM's in cloud-init's ipconfigN.
                    ip: if is_ct { ip() } else { None },
                    firewall: get("firewall") == Some("1"),
                    mac: mac.map(str::to_ascii_uppercase),
                    bridge: get("bridge").map(str::to_string),
                },
            );
        } else if let Some(n) = key
            .strip_prefix("ipconfig")
            .and_then(|n| n.parse::<u8>().ok())
        {
            ipconfig.insert(n, ip());
        }
    }
    for (n, ip) in ipconfig {
        if let Some(nic) = nics.get_mut(&n) {
            nic.ip = nic.ip.or(ip);
        }
    }
    nics
}

/// `ringN_addr` / `linkN_addr` of every node in corosync.conf's nodelist:
/// (node name, link, address). Hostnames are skipped (returned as warnings).
pub fn corosync_rings(text: &str) -> (Vec<(String, u8, Ipv4Addr)>, Vec<String>) {
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    let mut node: Option<String> = None;
    let mut addrs: Vec<(u8, String)> = Vec::new();
    let mut flush = |node: &Option<String>, addrs: &mut Vec<(u8, String)>| {
        for (link, a) in addrs.drain(..) {
            match a.parse() {
                Ok(ip) => out.push((node.clone().unwrap_or_default(), link, ip)),
                Err(_) => skipped.push(a),
            }
        }
    };
    for line in text.lines().map(str::trim) {
        if line.starts_with("node {") || line == "node{" {
            flush(&node, &mut addrs);
            node = None;
        } else if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim(), v.trim());
            if k == "name" {
                node = Some(v.to_string());
            } else if let Some(n) = k
                .strip_prefix("ring")
                .and_then(|r| r.strip_suffix("_addr"))
                .and_then(|n| n.parse().ok())
            {
                addrs.push((n, v.to_string()));
            }
        }
    }
    flush(&node, &mut addrs);
    (out, skipped)
}

/// Whether corosync.conf's top-level `totem` section says `transport: udp`
/// (multicast), the one case in which pve-firewall accepts multicast
/// corosync (src/PVE/Firewall.pm:2896 enable_host_firewall:
/// `$corosync_conf->{main}->{totem}->{transport} eq 'udp'`).
pub fn corosync_multicast(text: &str) -> bool {
    let mut sections: Vec<&str> = Vec::new();
    let mut udp = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_suffix('{') {
            sections.push(name.trim());
        } else if line == "}" {
            sections.pop();
        } else if let Some((k, v)) = line.split_once(':') {
            if sections == ["totem"] && k.trim() == "transport" {
                udp = v.trim() == "udp";
            }
        }
    }
    udp
}

/// The IPv4 `address` lines of an interfaces file (`address A/N` or `address A`).
pub fn interface_addresses(text: &str) -> Vec<Ipv4Addr> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("address"))
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .filter_map(|rest| rest.trim().split('/').next()?.parse().ok())
        .collect()
}

/// Adds what the node's files say to a topology built from the configuration.
/// Returns warnings.
pub fn read_into(topo: &mut Topology, root: &Path, node: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for (dir, is_ct) in [("/etc/pve/lxc", true), ("/etc/pve/qemu-server", false)] {
        let Ok(entries) = std::fs::read_dir(under_root(root, dir)) else {
            continue;
        };
        let mut confs: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        confs.sort();
        for path in confs {
            let id = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".conf"))
                .and_then(|n| n.parse::<u32>().ok());
            let (Some(id), Ok(text)) = (id, std::fs::read_to_string(&path)) else {
                continue;
            };
            merge_guest(topo, id, is_ct, conf_nics(&text, is_ct));
        }
    }
    // A packet to any of the node's addresses is the host's.
    if let Ok(text) = std::fs::read_to_string(under_root(root, "/etc/network/interfaces")) {
        for ip in interface_addresses(&text) {
            if ip != topo.host_ip && !topo.more_host_ips.contains(&ip) {
                topo.more_host_ips.push(ip);
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(under_root(root, "/etc/pve/corosync.conf")) {
        topo.corosync_multicast = corosync_multicast(&text);
        let (rings, skipped) = corosync_rings(&text);
        for a in skipped {
            notes.push(format!("/etc/pve/corosync.conf: ring address {a:?} is not an IPv4 address; its corosync traffic is not simulated"));
        }
        for (name, link, ip) in rings {
            let local = name == node;
            if local && ip != topo.host_ip && !topo.more_host_ips.contains(&ip) {
                topo.more_host_ips.push(ip);
            }
            if local && link == 0 {
                topo.cluster_ip = Some(ip);
            }
            topo.corosync.push((link, local, ip));
        }
    }
    notes
}

/// The conf is what pve-firewall sees: its NICs replace the configuration's
/// (an address only the configuration knows is kept).
fn merge_guest(topo: &mut Topology, id: u32, is_ct: bool, nics: BTreeMap<u8, Nic>) {
    let pos = match topo.guests.iter().position(|g| g.id == id) {
        Some(i) => i,
        None => {
            topo.guests.push(GuestInfo {
                id,
                is_ct,
                nics: Vec::new(),
            });
            topo.guests.len() - 1
        }
    };
    let g = &mut topo.guests[pos];
    let old = std::mem::take(&mut g.nics);
    g.nics = nics
        .into_values()
        .map(|mut n| {
            let known = old.iter().find(|o| o.index == n.index);
            n.ip = n.ip.or(known.and_then(|o| o.ip));
            n
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pct's and qm's net lines (pve-container's LXC/Config.pm, write_pct_config), snapshots ignored.
    #[test]
    fn nics_from_confs() {
        let ct = "arch: amd64\nnet0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:00:00:01,ip=10.0.0.21/24,type=veth\nnet1: name=eth1,bridge=vmbr1,hwaddr=BC:24:11:00:00:02,ip=192.168.50.21/24,type=veth\n[snap]\nnet2: name=eth2,bridge=vmbr0,ip=1.2.3.4/24\n";
        let n = conf_nics(ct, true);
        assert_eq!(n.len(), 2);
        assert_eq!(
            n[&0],
            Nic {
                index: 0,
                ip: Some(Ipv4Addr::new(10, 0, 0, 21)),
                firewall: true,
                mac: Some("BC:24:11:00:00:01".into()),
                bridge: Some("vmbr0".into()),
            }
        );
        assert_eq!(n[&1].ip, Some(Ipv4Addr::new(192, 168, 50, 21)));
        assert!(!n[&1].firewall);
        assert_eq!(n[&1].bridge.as_deref(), Some("vmbr1"));
        let vm = "net0: virtio=BC:24:11:00:00:03,bridge=vmbr0,firewall=1\nipconfig0: ip=10.0.0.31/24,gw=10.0.0.1\nnet1: virtio=BC:24:11:00:00:04,bridge=vmbr0\n";
        let n = conf_nics(vm, false);
        assert_eq!(n[&0].ip, Some(Ipv4Addr::new(10, 0, 0, 31)));
        assert!(n[&0].firewall);
        assert_eq!(n[&0].mac.as_deref(), Some("BC:24:11:00:00:03"));
        assert_eq!((n[&1].ip, n[&1].firewall), (None, false));
        assert_eq!(n[&1].mac.as_deref(), Some("BC:24:11:00:00:04"));
    }

    #[test]
    fn node_addresses_from_interfaces() {
        let text = "auto lo\niface lo inet loopback\n\nauto vmbr0\niface vmbr0 inet static\n\taddress 10.0.0.13/24\n\tgateway 10.0.0.1\n\nauto vmbr1\niface vmbr1 inet static\n    address 192.168.50.1\n    netmask 255.255.255.0\niface vmbr0 inet6 static\n\taddress fd00::13/64\n";
        assert_eq!(
            interface_addresses(text),
            [Ipv4Addr::new(10, 0, 0, 13), Ipv4Addr::new(192, 168, 50, 1)]
        );
    }

    #[test]
    fn corosync_ring_addresses() {
        let conf = "totem {\n  version: 2\n}\nnodelist {\n  node {\n    name: pve1\n    nodeid: 1\n    ring0_addr: 10.0.0.13\n    ring1_addr: 10.99.0.13\n  }\n  node {\n    name: pve2\n    nodeid: 2\n    ring0_addr: 10.0.0.14\n    ring1_addr: pve2-ring1\n  }\n}\n";
        let (rings, skipped) = corosync_rings(conf);
        assert_eq!(
            rings,
            vec![
                ("pve1".to_string(), 0, Ipv4Addr::new(10, 0, 0, 13)),
                ("pve1".to_string(), 1, Ipv4Addr::new(10, 99, 0, 13)),
                ("pve2".to_string(), 0, Ipv4Addr::new(10, 0, 0, 14)),
            ]
        );
        assert_eq!(skipped, ["pve2-ring1"]);
    }
}
