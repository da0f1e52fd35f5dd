//! Which rules pve-firewall compiles, case by case, each citing the Perl it follows.
use super::*;

fn rule(dir: &str, action: &str, fields: &[(&str, &str)]) -> FwRule {
    let mut r = FwRule {
        direction: dir.into(),
        action: action.into(),
        enabled: true,
        ..Default::default()
    };
    for (k, v) in fields {
        let slot = match *k {
            "proto" => &mut r.proto,
            "dport" => &mut r.dport,
            "sport" => &mut r.sport,
            "source" => &mut r.source,
            "icmp_type" => &mut r.icmp_type,
            _ => unreachable!("{k}"),
        };
        *slot = Some((*v).into());
    }
    r
}

/// Which rules pve-firewall compiles, each case with the Perl function
/// (src/PVE/Firewall.pm) that decides it.
#[test]
fn compiled_or_not_as_pve_firewall_decides() {
    // (direction, action, fields, compiled, the Perl that decides)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], bool, &'a str);
    let cases: &[Case] = &[
        (
            "in",
            "ACCEPT",
            &[("proto", "tcp"), ("dport", "22")],
            true,
            "verify_rule",
        ),
        (
            "in",
            "ACCEPT",
            &[("dport", "22")],
            false,
            "verify_rule: 'dport' requires proto",
        ),
        (
            "in",
            "ACCEPT",
            &[("sport", "53")],
            false,
            "verify_rule: 'sport' requires proto",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "gre"), ("dport", "1")],
            false,
            "verify_rule: protocol does not support ports",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "icmp"), ("dport", "host-unreachable")],
            true,
            "parse_port_name_number_or_range: ICMP type names in dport",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "icmp"), ("dport", "8")],
            true,
            "ipt_rule_to_cmds: --icmp-type N",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "icmpv6"), ("dport", "neighbor-solicitation")],
            true,
            "ipt_rule_to_cmds: --icmpv6-type",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "icmp"), ("dport", "ssh")],
            false,
            "ipt_rule_to_cmds: unknown icmp-type",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "1"), ("dport", "8")],
            false,
            "ipt_rule_to_cmds: only 'icmp' carries a type in dport",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "tcp"), ("dport", "99999")],
            false,
            "parse_port_name_number_or_range: invalid port",
        ),
        (
            "in",
            "ACCEPT",
            &[
                ("proto", "tcp"),
                ("dport", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"),
            ],
            false,
            "parse_port_name_number_or_range: > 15 numbers",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "udp"), ("dport", "domain")],
            true,
            "parse_port_name_number_or_range: /etc/services names",
        ),
        ("in", "SSH(ACCEPT)", &[], true, "$apply_macro"),
        (
            "in",
            "SSH(ACCEPT)",
            &[("proto", "tcp"), ("dport", "22")],
            true,
            "$apply_macro: a value equal to the macro's",
        ),
        (
            "in",
            "SSH(ACCEPT)",
            &[("dport", "2222")],
            false,
            "$apply_macro: parameter already defined in macro",
        ),
        (
            "in",
            "Nope(ACCEPT)",
            &[],
            false,
            "verify_rule: unknown macro",
        ),
        ("in", "ACCEPTED", &[], false, "verify_rule: unknown action"),
        (
            "in",
            "ACCEPT",
            &[("source", "10.1.1.5/24")],
            false,
            "parse_address_list: host bits",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "icmp"), ("icmp_type", "echo-request")],
            true,
            "icmp-type",
        ),
        (
            "in",
            "ACCEPT",
            &[("proto", "tcp"), ("icmp_type", "echo-request")],
            false,
            "icmp-type needs icmp",
        ),
    ];
    for (dir, action, fields, compiled, follows) in cases {
        let got = Rule::parse(&rule(dir, action, fields));
        assert_eq!(
            got.is_ok(),
            *compiled,
            "{action} {fields:?} ({follows}): {got:?}"
        );
    }
}

/// iptables' --icmp-type: a type name matches every code, a code name one.
#[test]
fn icmp_types_match_by_type_and_code() {
    let host_unreachable = IcmpMatch::parse(false, "host-unreachable").unwrap();
    assert!(host_unreachable.matches(3, 1));
    assert!(!host_unreachable.matches(3, 0));
    let unreachable = IcmpMatch::parse(false, "destination-unreachable").unwrap();
    assert!(unreachable.matches(3, 1) && unreachable.matches(3, 13));
    assert!(IcmpMatch::parse(false, "any").unwrap().matches(8, 0));
    assert_eq!(
        IcmpMatch::parse(false, "3/1"),
        Ok(IcmpMatch::TypeCode(3, 1))
    );
    assert!(IcmpMatch::parse(false, "neighbor-solicitation").is_err());
    assert_eq!(packet_icmp("echo-request"), Some((8, 0)));
    assert_eq!(packet_icmp("ttl-zero-during-reassembly"), Some((11, 1)));
}
