//! phx-dns: the internal DNS server. dnsmasq on the Proxmox host answers for
//! every guest and service in the configuration — from the host and from
//! every guest — and forwards everything else to the upstream resolvers.
//!
//! The library turns a validated [`Inventory`] into the generated files and a
//! [`Plan`]; it never touches the machine.

pub mod cli;
pub mod pkg;
pub mod records;
pub mod render;
pub mod steps;
pub mod tool;

use phx_common::config::{Inventory, Problems};
use phx_plan::Plan;

pub const TOOL: &str = "phx-dns";
/// dnsmasq's own config. The Debian service reads every file in /etc/dnsmasq.d.
pub const CONF_PATH: &str = "/etc/dnsmasq.d/phoenix.conf";
/// The records (hosts format). Deliberately outside /etc/dnsmasq.d: the
/// service would read it as config there.
pub const RECORDS_PATH: &str = "/etc/phoenix/dns/hosts";

/// What phx-dns generates from one inventory.
#[derive(Debug)]
pub struct Output {
    /// `(path, content)`: the config, then the records.
    pub files: Vec<(String, String)>,
    /// Printed on stderr; legal configurations that are probably not meant.
    pub warnings: Vec<String>,
    /// Notes about what the plan does (e.g. the DNS server being switched off).
    pub notes: Vec<String>,
    pub plan: Plan,
}

/// How the plan refers to things outside the inventory.
#[derive(Debug, Clone)]
pub struct Options {
    /// How the install guard calls this program (`phx-dns pkg-installed dnsmasq`):
    /// the binary passes its own absolute path, so the guard works when phx-dns
    /// is not on phx-apply's PATH (e.g. run from a build directory).
    pub phx_dns: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            phx_dns: TOOL.to_string(),
        }
    }
}

/// Builds the files and the plan. `Err` holds every problem found, and then
/// nothing must be planned or written.
pub fn build(inv: &Inventory, opts: &Options) -> Result<Output, Problems> {
    let mut problems = upstream_loops(inv);
    let records = match records::collect(inv) {
        Ok(r) if problems.is_empty() => r,
        Ok(_) => return Err(problems),
        Err(p) => {
            problems.extend(p);
            return Err(problems);
        }
    };
    let conf = render::config(inv, &records);
    let hosts = render::hosts(&records);
    let files = vec![
        (CONF_PATH.to_string(), conf.clone()),
        (RECORDS_PATH.to_string(), hosts.clone()),
    ];
    let (plan, notes) = if inv.host.dns_server.enabled {
        (steps::enabled(conf, hosts, &opts.phx_dns), Vec::new())
    } else {
        (
            steps::disabled(),
            vec![format!(
                "dns_server.enabled is false in {}: the plan removes {CONF_PATH} and {RECORDS_PATH} and restarts dnsmasq if it runs; \
                 dnsmasq stays installed (run `systemctl disable --now dnsmasq` if nothing else needs it)",
                inv.sources.hypervisor
            )],
        )
    };
    Ok(Output {
        files,
        warnings: records.warnings,
        notes,
        plan,
    })
}

/// An upstream that is one of dnsmasq's own listen addresses makes it forward
/// to itself: every outside query would loop until it times out.
fn upstream_loops(inv: &Inventory) -> Problems {
    let mut p = Problems::default();
    let own = [
        std::net::IpAddr::from([127, 0, 0, 1]),
        std::net::IpAddr::V4(inv.host.network.address.addr()),
    ];
    for (i, up) in inv.host.dns_server.upstream_servers.iter().enumerate() {
        if own.contains(up) {
            p.push(
                &inv.sources.hypervisor,
                &format!("dns_server.upstream_servers[{i}]"),
                format!("\"{up}\""),
                format!("an upstream resolver other than this DNS server itself (it listens on {} and {})", own[0], own[1]),
            );
        }
    }
    p
}
