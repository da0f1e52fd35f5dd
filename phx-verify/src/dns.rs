//! One DNS question (A, class IN) over UDP and its answer's addresses
//! (RFC 1035 §4). Written here rather than calling `dig`: a Proxmox host
//! does not install bind9-dnsutils, and an A query is a few dozen bytes.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// What the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// RCODE 0: the A records of the answer section (maybe none).
    Addresses(Vec<Ipv4Addr>),
    /// Any other RCODE (3: NXDOMAIN, 5: REFUSED…).
    Rcode(u8),
}

pub fn rcode_name(code: u8) -> String {
    match code {
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("RCODE {n}"),
    }
}

/// The query message: header (ID, RD set, one question), then the name as
/// labels, QTYPE A (1), QCLASS IN (1).
pub fn query(id: u16, name: &str) -> Option<Vec<u8>> {
    let mut m = Vec::with_capacity(18 + name.len());
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    Some(m)
}

/// Skips a (possibly compressed) name; returns the offset after it.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xC0 == 0xC0 => return Some(at + 2),
            l if l < 64 => at += 1 + l as usize,
            _ => return None,
        }
    }
}

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// Parses a reply to the query with `id`; `None` if it is not one.
pub fn parse(msg: &[u8], id: u16) -> Option<Answer> {
    if msg.len() < 12 || u16_at(msg, 0)? != id || msg[2] & 0x80 == 0 {
        return None;
    }
    let rcode = msg[3] & 0x0F;
    if rcode != 0 {
        return Some(Answer::Rcode(rcode));
    }
    let (qd, an) = (u16_at(msg, 4)?, u16_at(msg, 6)?);
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(msg, at)? + 4;
    }
    let mut addrs = Vec::new();
    for _ in 0..an {
        at = skip_name(msg, at)?;
        let (rtype, class) = (u16_at(msg, at)?, u16_at(msg, at + 2)?);
        let len = u16_at(msg, at + 8)? as usize;
        let data = msg.get(at + 10..at + 10 + len)?;
        if rtype == 1 && class == 1 && len == 4 {
            addrs.push(Ipv4Addr::new(data[0], data[1], data[2], data[3]));
        }
        at += 10 + len;
    }
    Some(Answer::Addresses(addrs))
}

/// Asks `server` for `name`'s A records: three tries, one second each. The
/// socket is connected, so a port nobody listens on is reported at once
/// (ICMP port unreachable) rather than after the timeouts.
pub fn ask(server: SocketAddr, name: &str) -> Result<Answer, String> {
    let sock = UdpSocket::bind(if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .and_then(|s| s.connect(server).map(|_| s))
    .map_err(|e| format!("no UDP socket to {server}: {e}"))?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    let id = (std::process::id() as u16) ^ (name.len() as u16).rotate_left(8);
    let q = query(id, name).ok_or_else(|| format!("{name:?} is not a DNS name"))?;
    let mut buf = [0u8; 1500];
    for _ in 0..3 {
        sock.send(&q)
            .map_err(|e| format!("cannot send to {server}: {e}"))?;
        loop {
            match sock.recv(&mut buf) {
                Ok(n) => {
                    if let Some(a) = parse(&buf[..n], id) {
                        return Ok(a);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(format!(
                        "{server} refused the query: no DNS server listens there"
                    ));
                }
                Err(_) => break,
            }
        }
    }
    Err(format!("no answer from {server} in 3 tries of 1 s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply as dnsmasq sends it: the question echoed, then an answer
    /// whose name is a compression pointer to offset 12.
    fn reply(id: u16, rcode: u8, answers: &[[u8; 4]]) -> Vec<u8> {
        let q = query(id, "ca.internal.example").unwrap();
        let mut m = q.clone();
        m[2] |= 0x80;
        m[3] = 0x80 | rcode;
        m[7] = answers.len() as u8;
        for a in answers {
            m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]);
            m.extend_from_slice(a);
        }
        m
    }

    #[test]
    fn query_bytes() {
        let q = query(0x1234, "ca.x").unwrap();
        assert_eq!(
            q,
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, b'c', b'a', 1, b'x', 0, 0, 1, 0, 1]
        );
        assert!(query(1, "a..b").is_none());
    }

    #[test]
    fn replies() {
        let two = reply(7, 0, &[[10, 0, 0, 10], [10, 0, 0, 11]]);
        assert_eq!(
            parse(&two, 7),
            Some(Answer::Addresses(vec![
                Ipv4Addr::new(10, 0, 0, 10),
                Ipv4Addr::new(10, 0, 0, 11)
            ]))
        );
        assert_eq!(parse(&reply(7, 3, &[]), 7), Some(Answer::Rcode(3)));
        assert_eq!(parse(&two, 8), None, "another query's reply");
        assert_eq!(parse(&two[..two.len() - 2], 7), None, "truncated");
    }
}
