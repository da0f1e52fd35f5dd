//! The lockout guard: before anything is planned, the proposed host rules
//! are evaluated for tcp/22 and tcp/8006 to the host from the admin network
//! and from the operator's own SSH client. Proxmox's implicit management
//! rule (+management = IP set `management` + local_network) is counted, and
//! so are user rules before it: a DROP on 22 blocks management too.

use crate::ipv4set::Ipv4Set;
use crate::sim::{Decider, Ruleset, Verdict};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Ports an operator needs: SSH and the web UI.
pub const MANAGEMENT_PORTS: [u16; 2] = [22, 8006];

/// Who must keep access.
#[derive(Debug, Clone)]
pub enum Who {
    /// `network.default_subnet`.
    AdminNet(Ipv4Net),
    /// The host's own network (`network.address`), when there is no
    /// `default_subnet`: whoever manages the host is at least assumed there.
    HostNet(Ipv4Net),
    /// The address in `SSH_CLIENT`.
    SshClient(Ipv4Addr),
}

impl Who {
    fn set(&self) -> Ipv4Set {
        match self {
            Who::AdminNet(n) | Who::HostNet(n) => Ipv4Set::from_net(n),
            Who::SshClient(ip) => Ipv4Set::single(*ip),
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Who::AdminNet(n) => format!("the admin network {n} (network.default_subnet)"),
            Who::HostNet(n) => {
                format!("the host's own network {n} (network.address; no network.default_subnet)")
            }
            Who::SshClient(ip) => format!("your SSH client {ip} (SSH_CLIENT)"),
        }
    }
}

/// One way the proposed rules would lock someone out.
#[derive(Debug, Clone)]
pub struct Lockout {
    pub who: Who,
    pub port: u16,
    /// The addresses affected (part of `who`).
    pub affected: String,
    pub verdict: Verdict,
    pub decider: Decider,
}

/// Every (who, port) whose packets the host's IN chain would not accept.
pub fn check(rs: &Ruleset, who: &[Who]) -> Vec<Lockout> {
    let mut out = Vec::new();
    for w in who {
        for port in MANAGEMENT_PORTS {
            for (set, verdict, decider) in rs.host_in_partition(port, &w.set()) {
                if verdict != Verdict::Accept {
                    out.push(Lockout {
                        who: w.clone(),
                        port,
                        affected: set.describe(),
                        verdict,
                        decider,
                    });
                }
            }
        }
    }
    out
}

/// `SSH_CLIENT` is `IP CLIENT_PORT SERVER_PORT`; only IPv4 can be evaluated.
pub fn ssh_client(var: Option<&str>) -> Option<Ipv4Addr> {
    var?.split_whitespace().next()?.parse().ok()
}
