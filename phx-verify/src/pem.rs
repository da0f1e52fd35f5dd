//! Certificates in PEM text and their SHA-256 fingerprints (the digest of
//! the DER bytes: what `step certificate fingerprint` and
//! `openssl x509 -fingerprint -sha256` print).

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

/// The fingerprint of every certificate in `pem` (a bundle holds hundreds).
pub fn fingerprints(pem: &str) -> Vec<String> {
    let (begin, end) = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(s) = rest.find(begin) {
        let body = &rest[s + begin.len()..];
        let Some(e) = body.find(end) else { break };
        if let Some(der) = base64(&body[..e]).filter(|d| !d.is_empty()) {
            out.push(phx_plan::sha256::hex(&der));
        }
        rest = &body[e + end.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_certificate_of_a_bundle() {
        // "Man" and "Ma" as DER stand-ins: sha256("Man"), sha256("Ma").
        let bundle = "x\n-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nTWE=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            fingerprints(bundle),
            vec![phx_plan::sha256::hex(b"Man"), phx_plan::sha256::hex(b"Ma")]
        );
        assert!(
            fingerprints("-----BEGIN CERTIFICATE-----\nT*==\n-----END CERTIFICATE-----").is_empty()
        );
    }
}
