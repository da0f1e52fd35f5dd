//! The root's SHA-256 fingerprint as clients pin it: the digest of the
//! certificate's DER bytes (what `step certificate fingerprint` prints).

/// Standard base64 (RFC 4648), whitespace ignored; `None` on anything else.
fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The first certificate of a PEM text, as DER.
pub fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = pem.find(begin)? + begin.len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    base64(&pem[start..end]).filter(|d| !d.is_empty())
}

/// Lower-case hex SHA-256 of the first certificate's DER.
pub fn sha256(pem: &str) -> Option<String> {
    pem_der(pem).map(|der| phx_plan::sha256::hex(&der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(base64("TWFu").unwrap(), b"Man");
        assert_eq!(base64("TWE=").unwrap(), b"Ma");
        assert_eq!(base64("TQ==\n").unwrap(), b"M");
        assert!(base64("T*==").is_none());
    }

    #[test]
    fn not_a_certificate() {
        assert!(sha256("hello").is_none());
    }
}
