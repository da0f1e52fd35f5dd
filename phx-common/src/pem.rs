//! Certificates in PEM text and their SHA-256 fingerprints: the digest of
//! the DER bytes, what `step certificate fingerprint` and `openssl x509
//! -fingerprint -sha256` print. phx-ca pins the root with it, phx-verify
//! looks for the root in a guest's bundle with it.

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

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

/// The DER of every certificate in `pem`, in order; a block that does not
/// decode is passed over (a bundle holds hundreds).
pub fn ders(pem: &str) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut rest = pem;
    std::iter::from_fn(move || loop {
        let body = &rest[rest.find(BEGIN)? + BEGIN.len()..];
        let e = body.find(END)?;
        rest = &body[e + END.len()..];
        if let Some(der) = base64(&body[..e]).filter(|d| !d.is_empty()) {
            return Some(der);
        }
    })
}

/// The fingerprint (lower-case hex) of every certificate in `pem`.
pub fn fingerprints(pem: &str) -> Vec<String> {
    ders(pem).map(|der| phx_plan::sha256::hex(&der)).collect()
}

/// The fingerprint of the first certificate in `pem`.
pub fn first_fingerprint(pem: &str) -> Option<String> {
    ders(pem).next().map(|der| phx_plan::sha256::hex(&der))
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
    fn every_certificate_of_a_bundle_and_the_first() {
        // "Man" and "Ma" as DER stand-ins: sha256("Man"), sha256("Ma").
        let bundle = "x\n-----BEGIN CERTIFICATE-----\nT*==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nTWE=\n-----END CERTIFICATE-----\n";
        let (man, ma) = (phx_plan::sha256::hex(b"Man"), phx_plan::sha256::hex(b"Ma"));
        assert_eq!(fingerprints(bundle), vec![man.clone(), ma]);
        assert_eq!(first_fingerprint(bundle), Some(man));
        assert!(first_fingerprint("hello").is_none());
        assert!(fingerprints("-----BEGIN CERTIFICATE-----\nTWFu").is_empty());
    }
}
