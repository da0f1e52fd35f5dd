//! The tables' lookups (tables.rs).

use super::*;

#[test]
fn names_resolve_like_pve_firewall() {
    assert_eq!(protocol("tcp"), Some(6));
    assert_eq!(protocol("TCP"), Some(6));
    assert_eq!(protocol("17"), Some(17));
    assert_eq!(protocol("icmpv6"), Some(58));
    assert_eq!(protocol("ipv6-icmp"), Some(58));
    assert_eq!(protocol("256"), None);
    assert_eq!(protocol("tcp6"), None);
    assert_eq!(service("https"), Some(443));
    assert_eq!(service("HTTPS"), None);
    assert_eq!(lookup_macro("ssh").map(|m| m.0), Some("SSH"));
    assert_eq!(lookup_macro("Web").unwrap().1.len(), 2);
    assert!(lookup_macro("Nope").is_none());
    assert!(!LOG_LEVELS.contains(&"warn"));
    assert_eq!(icmp_type(false, "host-unreachable"), Some((3, Some(1))));
    assert_eq!(icmp_type(false, "time-exceeded"), Some((11, None)));
    assert_eq!(icmp_type(true, "echo-request"), Some((128, None)));
    assert_eq!(icmp_type(false, "neighbor-solicitation"), None);
}

/// `protocol` answers the common names first and `service` is hashed:
/// both must answer as walking the tables in order does.
#[test]
fn lookups_answer_as_the_tables_read_in_order() {
    for (name, _, aliases) in PROTOCOLS {
        for k in std::iter::once(name).chain(aliases.iter()) {
            let first = PROTOCOLS
                .iter()
                .find(|(n, _, a)| n == k || a.contains(k))
                .map(|(_, n, _)| *n);
            assert_eq!(protocol(k), first, "{k}");
        }
    }
    for (name, _) in SERVICES {
        let first = SERVICES.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
        assert_eq!(service(name), first, "{name}");
    }
    assert_eq!((protocol("Tcp"), service("nosuch")), (None, None));
}
