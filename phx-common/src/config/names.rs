//! DNS names (RFC 1123) and the DNS-safe form of guest names.

/// One RFC 1123 label: 1-63 of `[A-Za-z0-9-]`, not starting or ending with `-`.
pub fn is_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// A host or domain name: dot-separated labels, at most 253 characters, no trailing dot.
pub fn is_dns_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_label)
}

/// A guest name turned into one DNS label: lower-cased, every run of
/// characters outside `[a-z0-9]` becomes one `-` (`Copy-Cuda12.8` → `copy-cuda12-8`).
pub fn dns_label(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    trimmed
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_dns_name("ca.internal.thinkheads.ai"));
        assert!(is_dns_name("Copy-Cuda12.8"));
        assert!(!is_dns_name("bad_name.example"));
        assert!(!is_dns_name("-lead.example"));
        assert!(!is_dns_name("trailing.dot."));
        assert!(!is_dns_name(&"a".repeat(64)));
    }

    #[test]
    fn safe_labels() {
        assert_eq!(dns_label("Copy-Cuda12.8"), "copy-cuda12-8");
        assert_eq!(dns_label("Traefik-Internal"), "traefik-internal");
        assert_eq!(dns_label("--Weird__Name--"), "weird-name");
    }
}
