//! ipnet's IPv4 CIDR grammar (`Ipv4Net::from_str`), read in one pass.
//! ipnet's parser is general (backtracking, shared with IPv6) and was half
//! of checking an address; a rule's `-source 10.1.2.0/24` is this form.
//! The grammar, as ipnet 2 reads it: four octets of one to three decimal
//! digits each below 256 (leading zeros allowed), separated by '.', then
//! '/' and a prefix of one or two digits below 33, then the end.

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Digits from `*at` as one number: at most `max_digits` of them, the
/// value below `upto` (ipnet's `read_number`).
fn number(s: &[u8], at: &mut usize, max_digits: usize, upto: u32) -> Option<u32> {
    let start = *at;
    let mut n = 0u32;
    while let Some(d) = s.get(*at).filter(|b| b.is_ascii_digit()) {
        n = n * 10 + u32::from(d - b'0');
        *at += 1;
        if *at - start > max_digits || n >= upto {
            return None;
        }
    }
    (*at > start).then_some(n)
}

/// `a.b.c.d/len`, exactly as `s.parse::<Ipv4Net>()` accepts it.
pub fn parse(s: &str) -> Option<Ipv4Net> {
    let s = s.as_bytes();
    let mut at = 0;
    let mut octets = [0u8; 4];
    for (i, o) in octets.iter_mut().enumerate() {
        if i > 0 {
            (s.get(at) == Some(&b'.')).then_some(())?;
            at += 1;
        }
        *o = number(s, &mut at, 3, 0x100)? as u8;
    }
    (s.get(at) == Some(&b'/')).then_some(())?;
    at += 1;
    let len = number(s, &mut at, 2, 33)? as u8;
    (at == s.len()).then_some(())?;
    Ipv4Net::new(Ipv4Addr::from(octets), len).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text ipnet accepts or refuses, this does too, with the same
    /// network: hand-picked edges, then every string of up to six bytes
    /// over the grammar's alphabet around a valid CIDR's shape.
    #[test]
    fn reads_what_ipnet_reads() {
        let ipnet = |s: &str| s.parse::<Ipv4Net>().ok();
        for s in [
            "10.1.2.0/24",
            "0.0.0.0/0",
            "255.255.255.255/32",
            "256.0.0.0/8",
            "1.2.3.4/33",
            "1.2.3.4/032",
            "01.2.3.4/8",
            "001.002.003.004/08",
            "0001.2.3.4/8",
            "1.2.3/8",
            "1.2.3.4.5/8",
            "1.2.3.4/",
            "1.2.3.4",
            "1.2.3.4/8/8",
            "1.2.3.4/8 ",
            " 1.2.3.4/8",
            "+1.2.3.4/8",
            "1..3.4/8",
            "1.2.3.4/+8",
            "1.2.3.4/-1",
            "",
            "/",
            "١.2.3.4/8",
        ] {
            assert_eq!(parse(s), ipnet(s), "{s:?}");
        }
        let mut checked = 0;
        for text in super::super::every_text::every_text("1.2.", b"0129./", 6) {
            assert_eq!(parse(&text), ipnet(&text), "{text:?}");
            checked += 1;
        }
        assert!(checked > 50_000);
    }
}
