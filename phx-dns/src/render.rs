//! The two generated files: dnsmasq's config (a restart applies it) and the
//! hosts-format records file (a SIGHUP re-reads it).

use crate::records::Records;
use crate::RECORDS_PATH;
use phx_common::config::Inventory;
use std::fmt::Write;
use std::net::Ipv4Addr;

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

/// `ip` in dotted-quad form. `Ipv4Addr`'s `Display` goes through the
/// formatter's width and padding handling: at 50,000 lines that was a fifth
/// of phx-dns's planning.
fn push_ipv4(s: &mut String, ip: Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if octet >= 100 {
            s.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            s.push(char::from(b'0' + octet / 10 % 10));
        }
        s.push(char::from(b'0' + octet % 10));
    }
}

#[cfg(test)]
mod tests {
    use super::push_ipv4;
    use std::net::Ipv4Addr;

    #[test]
    fn dotted_quads_as_display_writes_them() {
        for octet in 0..=255u8 {
            for ip in [
                Ipv4Addr::new(octet, 0, 9, 255),
                Ipv4Addr::new(10, octet, 100, 99),
            ] {
                let mut s = String::new();
                push_ipv4(&mut s, ip);
                assert_eq!(s, ip.to_string());
            }
        }
    }
}
