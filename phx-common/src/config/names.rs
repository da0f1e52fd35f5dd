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

/// `name` as a fully qualified name under `domain`, lower-cased: left
/// alone when it already ends in the domain. How phx-dns names a service
/// and phx-verify asks for it: one rule, or verify checks names dnsmasq
/// does not serve.
pub fn qualify(name: &str, domain: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name == domain || name.ends_with(&format!(".{domain}")) {
        name
    } else {
        format!("{name}.{domain}")
    }
}

/// `name` and each parent domain of it, nearest first
/// (`a.b.c`, `b.c`, `c`): where a wildcard record covering it may sit.
pub fn self_and_parents(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |n| n.split_once('.').map(|(_, rest)| rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_and_its_parents_nearest_first() {
        let all: Vec<&str> = self_and_parents("a.b.c").collect();
        assert_eq!(all, ["a.b.c", "b.c", "c"]);
        assert_eq!(qualify("Git", "internal.x"), "git.internal.x");
        assert_eq!(qualify("git.internal.x", "internal.x"), "git.internal.x");
    }

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
