//! Addresses as text, as their `Display` writes them, without the
//! formatting machinery: every container's net0 holds an address and a
//! gateway, and `Ipv4Addr`'s `Display` (which honours width and padding)
//! cost a tenth of phx-lxc's `desired` at 10,000 guests, and a fifth of
//! phx-dns's planning for its 50,000 hosts lines.

use ipnet::Ipv4Net;
use std::net::{IpAddr, Ipv4Addr};

/// `10.0.0.1`.
pub fn ipv4(a: Ipv4Addr) -> String {
    let mut s = String::with_capacity(15);
    push_ipv4(&mut s, a);
    s
}

/// `10.0.0.1/24`.
pub fn ipv4_net(n: &Ipv4Net) -> String {
    let mut s = String::with_capacity(18);
    push_ipv4(&mut s, n.addr());
    s.push('/');
    push_u8(&mut s, n.prefix_len());
    s
}

/// An IPv4 address as [`ipv4`]; IPv6 by its `Display`.
pub fn ip(a: IpAddr) -> String {
    match a {
        IpAddr::V4(a) => ipv4(a),
        IpAddr::V6(a) => a.to_string(),
    }
}

/// `a` appended to `s` (phx-dns writes 50,000 of them into one file).
pub fn push_ipv4(s: &mut String, a: Ipv4Addr) {
    for (i, octet) in a.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        push_u8(s, octet);
    }
}

fn push_u8(s: &mut String, n: u8) {
    if n >= 100 {
        s.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        s.push(char::from(b'0' + n / 10 % 10));
    }
    s.push(char::from(b'0' + n % 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_and_prefix_reads_as_display_writes_it() {
        for n in 0..=255u8 {
            for a in [
                Ipv4Addr::new(n, 0, 255, 9),
                Ipv4Addr::new(10, n, 100, 99),
                Ipv4Addr::new(1, 255, n, 10),
                Ipv4Addr::new(192, 168, 0, n),
            ] {
                assert_eq!(ipv4(a), a.to_string());
                assert_eq!(ip(IpAddr::V4(a)), a.to_string());
                for len in 0..=32 {
                    let net = Ipv4Net::new(a, len).unwrap();
                    assert_eq!(ipv4_net(&net), net.to_string());
                }
            }
        }
        let v6: IpAddr = "fd00::1".parse().unwrap();
        assert_eq!(ip(v6), "fd00::1");
    }
}
