//! The two generated files: dnsmasq's config (a restart applies it) and the
//! hosts-format records file (a SIGHUP re-reads it).

use crate::records::Records;
use crate::RECORDS_PATH;
use phx_common::config::Inventory;
use phx_common::ip_text::push_ipv4;
use std::fmt::Write;

/// `/etc/dnsmasq.d/phoenix.conf`. Holds nothing that changes with ordinary
/// record edits (except wildcards, which only the config can express), so most
/// changes need a reload, not a restart.
pub fn config(inv: &Inventory, records: &Records) -> String {
    let domain = inv.host.domain.to_ascii_lowercase();
    let bridge_ip = inv.host.network.address.addr();
    let mut s = String::new();
    s.push_str(
        "# Managed by phx-dns (Phoenix): the internal DNS server. Changes here are overwritten.\n",
    );
    s.push_str("# Listen on loopback and the host's bridge address only, so Proxmox SDN and\n");
    s.push_str("# other dnsmasq instances keep their own addresses.\n");
    let _ = writeln!(s, "listen-address=127.0.0.1,{bridge_ip}");
    s.push_str("bind-interfaces\n");
    s.push_str("# Upstreams come from this file only, never from /etc/resolv.conf.\n");
    s.push_str("no-resolv\n");
    s.push_str("domain-needed\n");
    s.push_str("bogus-priv\n");
    s.push_str("# Internal names are answered here or get NXDOMAIN; they never go upstream.\n");
    let _ = writeln!(s, "local=/{domain}/");
    for up in &inv.host.dns_server.upstream_servers {
        let _ = writeln!(s, "server={up}");
    }
    s.push_str("# Exact names (A and PTR); re-read on SIGHUP (systemctl reload dnsmasq).\n");
    let _ = writeln!(s, "addn-hosts={RECORDS_PATH}");
    if !records.wildcards.is_empty() {
        s.push_str("# Wildcard records: the name and every name below it.\n");
        for w in &records.wildcards {
            let _ = writeln!(s, "address=/{}/{}", w.name, w.ip);
        }
    }
    s
}

/// The records file, in hosts format: one `ADDRESS NAME` line per name,
/// grouped by address. dnsmasq answers PTR queries with the first name it
/// reads for an address, so each group starts with its preferred name.
pub fn hosts(records: &Records) -> String {
    let mut s = String::with_capacity(64 + records.hosts.len() * 48);
    s.push_str("# Managed by phx-dns (Phoenix): internal DNS records for dnsmasq (addn-hosts).\n");
    s.push_str("# The first name of each address answers its reverse (PTR) lookup.\n");
    for r in &records.hosts {
        push_ipv4(&mut s, r.ip);
        s.push(' ');
        s.push_str(&r.name);
        s.push('\n');
    }
    s
}
