//! What pve-firewall knows by name: protocols (/etc/protocols), services
//! (/etc/services), macros, ICMP types and log levels. Embedded so planning
//! and linting give the same answer on every machine, not whatever the
//! planning machine's /etc happens to hold.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `/etc/protocols` (Debian netbase): name, number, aliases.
pub const PROTOCOLS: &[(&str, u8, &[&str])] = &[
    ("ip", 0, &["IP"]),
    ("hopopt", 0, &["HOPOPT"]),
    ("icmp", 1, &["ICMP"]),
    ("igmp", 2, &["IGMP"]),
    ("ggp", 3, &["GGP"]),
    ("ipencap", 4, &["IP-ENCAP"]),
    ("st", 5, &["ST"]),
    ("tcp", 6, &["TCP"]),
    ("egp", 8, &["EGP"]),
    ("igp", 9, &["IGP"]),
    ("pup", 12, &["PUP"]),
    ("udp", 17, &["UDP"]),
    ("hmp", 20, &["HMP"]),
    ("xns-idp", 22, &["XNS-IDP"]),
    ("rdp", 27, &["RDP"]),
    ("iso-tp4", 29, &["ISO-TP4"]),
    ("dccp", 33, &["DCCP"]),
    ("xtp", 36, &["XTP"]),
    ("ddp", 37, &["DDP"]),
    ("idpr-cmtp", 38, &["IDPR-CMTP"]),
    ("ipv6", 41, &["IPv6"]),
    ("ipv6-route", 43, &["IPv6-Route"]),
    ("ipv6-frag", 44, &["IPv6-Frag"]),
    ("idrp", 45, &["IDRP"]),
    ("rsvp", 46, &["RSVP"]),
    ("gre", 47, &["GRE"]),
    ("esp", 50, &["IPSEC-ESP"]),
    ("ah", 51, &["IPSEC-AH"]),
    ("skip", 57, &["SKIP"]),
    ("ipv6-icmp", 58, &["IPv6-ICMP"]),
    ("ipv6-nonxt", 59, &["IPv6-NoNxt"]),
    ("ipv6-opts", 60, &["IPv6-Opts"]),
    ("rspf", 73, &["RSPF", "CPHB"]),
    ("vmtp", 81, &["VMTP"]),
    ("eigrp", 88, &["EIGRP"]),
    ("ospf", 89, &["OSPFIGP"]),
    ("ax.25", 93, &["AX.25"]),
    ("ipip", 94, &["IPIP"]),
    ("etherip", 97, &["ETHERIP"]),
    ("encap", 98, &["ENCAP"]),
    ("pim", 103, &["PIM"]),
    ("ipcomp", 108, &["IPCOMP"]),
    ("vrrp", 112, &["VRRP"]),
    ("l2tp", 115, &["L2TP"]),
    ("isis", 124, &["ISIS"]),
    ("sctp", 132, &["SCTP"]),
    ("fc", 133, &["FC"]),
    ("mobility-header", 135, &["Mobility-Header"]),
    ("udplite", 136, &["UDPLite"]),
    ("mpls-in-ip", 137, &["MPLS-in-IP"]),
    ("manet", 138, &[]),
    ("hip", 139, &["HIP"]),
    ("shim6", 140, &["Shim6"]),
    ("wesp", 141, &["WESP"]),
    ("rohc", 142, &["ROHC"]),
    ("ethernet", 143, &["Ethernet"]),
];

pub const ICMP: u8 = 1;
pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const IGMP: u8 = 2;
pub const ICMPV6: u8 = 58;

/// Protocols whose packets carry ports: tcp, udp, dccp, sctp, udplite.
pub const PROTOCOLS_WITH_PORTS: &[u8] = &[6, 17, 33, 132, 136];

/// A protocol as pve-firewall resolves it: a name or alias from
/// /etc/protocols, a number, or `icmpv6`.
pub fn protocol(s: &str) -> Option<u8> {
    if s == "icmpv6" {
        return Some(ICMPV6);
    }
    if !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u16>().ok().filter(|n| *n <= 255).map(|n| n as u8);
    }
    // Nearly every rule says tcp, udp or icmp: answered without walking
    // the table's names and aliases (the walk's answers; a test checks).
    match s {
        "tcp" => return Some(TCP),
        "udp" => return Some(UDP),
        "icmp" => return Some(ICMP),
        _ => {}
    }
    PROTOCOLS
        .iter()
        .find(|(name, _, aliases)| *name == s || aliases.contains(&s))
        .map(|(_, n, _)| *n)
}

/// `/etc/services` names for tcp/udp (Debian netbase, the ones operators use).
pub const SERVICES: &[(&str, u16)] = &[
    ("tcpmux", 1),
    ("echo", 7),
    ("discard", 9),
    ("systat", 11),
    ("daytime", 13),
    ("netstat", 15),
    ("qotd", 17),
    ("chargen", 19),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("tacacs", 49),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("iso-tsap", 102),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("epmap", 135),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap2", 143),
    ("imap", 143),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("xdmcp", 177),
    ("bgp", 179),
    ("irc", 194),
    ("ldap", 389),
    ("https", 443),
    ("snpp", 444),
    ("microsoft-ds", 445),
    ("kpasswd", 464),
    ("submissions", 465),
    ("ssmtp", 465),
    ("smtps", 465),
    ("isakmp", 500),
    ("syslog", 514),
    ("printer", 515),
    ("talk", 517),
    ("ntalk", 518),
    ("route", 520),
    ("rtsp", 554),
    ("submission", 587),
    ("ipp", 631),
    ("ldaps", 636),
    ("rsync", 873),
    ("domain-s", 853),
    ("ftps-data", 989),
    ("ftps", 990),
    ("telnets", 992),
    ("imaps", 993),
    ("pop3s", 995),
    ("socks", 1080),
    ("openvpn", 1194),
    ("ms-sql-s", 1433),
    ("ms-sql-m", 1434),
    ("l2f", 1701),
    ("l2tp", 1701),
    ("pptp", 1723),
    ("radius", 1812),
    ("radius-acct", 1813),
    ("nfs", 2049),
    ("cvspserver", 2401),
    ("iscsi-target", 3260),
    ("mysql", 3306),
    ("nut", 3493),
    ("svn", 3690),
    ("sieve", 4190),
    ("ipsec-nat-t", 4500),
    ("sip", 5060),
    ("sip-tls", 5061),
    ("xmpp-client", 5222),
    ("xmpp-server", 5269),
    ("mdns", 5353),
    ("postgresql", 5432),
    ("amqp", 5672),
    ("x11", 6000),
    ("redis", 6379),
    ("git", 9418),
    ("webmin", 10000),
    ("zabbix-agent", 10050),
    ("zabbix-trapper", 10051),
    ("memcache", 11211),
    ("hkp", 11371),
];

pub fn service(s: &str) -> Option<u16> {
    // Hashed once: a walk of the table per named port costs more than the
    // rest of checking the rule.
    static BY_NAME: OnceLock<HashMap<&str, u16>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut m = HashMap::new();
        for (name, port) in SERVICES {
            m.entry(*name).or_insert(*port);
        }
        m
    });
    by_name.get(s).copied()
}

pub const LOG_LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog",
];

/// iptables `--icmp-type` names (IPv4): type, and the code when the name
/// stands for one code only (`host-unreachable` is 3/1; `destination-unreachable`
/// is type 3, any code).
pub const ICMP_TYPES: &[(&str, u8, Option<u8>)] = &[
    ("echo-reply", 0, None),
    ("destination-unreachable", 3, None),
    ("network-unreachable", 3, Some(0)),
    ("host-unreachable", 3, Some(1)),
    ("protocol-unreachable", 3, Some(2)),
    ("port-unreachable", 3, Some(3)),
    ("fragmentation-needed", 3, Some(4)),
    ("source-route-failed", 3, Some(5)),
    ("network-unknown", 3, Some(6)),
    ("host-unknown", 3, Some(7)),
    ("network-prohibited", 3, Some(9)),
    ("host-prohibited", 3, Some(10)),
    ("TOS-network-unreachable", 3, Some(11)),
    ("TOS-host-unreachable", 3, Some(12)),
    ("communication-prohibited", 3, Some(13)),
    ("host-precedence-violation", 3, Some(14)),
    ("precedence-cutoff", 3, Some(15)),
    ("source-quench", 4, None),
    ("redirect", 5, None),
    ("network-redirect", 5, Some(0)),
    ("host-redirect", 5, Some(1)),
    ("TOS-network-redirect", 5, Some(2)),
    ("TOS-host-redirect", 5, Some(3)),
    ("echo-request", 8, None),
    ("router-advertisement", 9, None),
    ("router-solicitation", 10, None),
    ("time-exceeded", 11, None),
    ("ttl-zero-during-transit", 11, Some(0)),
    ("ttl-zero-during-reassembly", 11, Some(1)),
    ("parameter-problem", 12, None),
    ("ip-header-bad", 12, Some(0)),
    ("required-option-missing", 12, Some(1)),
    ("timestamp-request", 13, None),
    ("timestamp-reply", 14, None),
    ("address-mask-request", 17, None),
    ("address-mask-reply", 18, None),
];

/// ip6tables `--icmpv6-type` names, as ICMP_TYPES.
pub const ICMPV6_TYPES: &[(&str, u8, Option<u8>)] = &[
    ("destination-unreachable", 1, None),
    ("no-route", 1, Some(0)),
    ("communication-prohibited", 1, Some(1)),
    ("beyond-scope", 1, Some(2)),
    ("address-unreachable", 1, Some(3)),
    ("port-unreachable", 1, Some(4)),
    ("failed-policy", 1, Some(5)),
    ("reject-route", 1, Some(6)),
    ("packet-too-big", 2, None),
    ("time-exceeded", 3, None),
    ("ttl-zero-during-transit", 3, Some(0)),
    ("ttl-zero-during-reassembly", 3, Some(1)),
    ("parameter-problem", 4, None),
    ("bad-header", 4, Some(0)),
    ("unknown-header-type", 4, Some(1)),
    ("unknown-option", 4, Some(2)),
    ("echo-request", 128, None),
    ("echo-reply", 129, None),
    ("router-solicitation", 133, None),
    ("router-advertisement", 134, None),
    ("neighbour-solicitation", 135, None),
    ("neighbor-solicitation", 135, None),
    ("neighbour-advertisement", 136, None),
    ("neighbor-advertisement", 136, None),
    ("redirect", 137, None),
];

/// An ICMP type by name in one family's table: (type, code if fixed).
pub fn icmp_type(v6: bool, name: &str) -> Option<(u8, Option<u8>)> {
    let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
    table
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, t, c)| (*t, *c))
}

/// One line of a macro: what it matches. Ports as pve-firewall writes them.
#[derive(Debug, Clone, Copy)]
pub struct MacroLine {
    pub proto: &'static str,
    pub dport: Option<&'static str>,
    pub sport: Option<&'static str>,
}

const fn t(dport: &'static str) -> MacroLine {
    MacroLine {
        proto: "tcp",
        dport: Some(dport),
        sport: None,
    }
}
const fn u(dport: &'static str) -> MacroLine {
    MacroLine {
        proto: "udp",
        dport: Some(dport),
        sport: None,
    }
}
const fn p(proto: &'static str) -> MacroLine {
    MacroLine {
        proto,
        dport: None,
        sport: None,
    }
}
const fn icmp(kind: &'static str) -> MacroLine {
    // icmp types travel in `dport` in pve-firewall's macro table.
    MacroLine {
        proto: "icmp",
        dport: Some(kind),
        sport: None,
    }
}

/// pve-firewall's macros (PVE::Firewall `$pve_fw_macros`), canonical spelling.
pub const MACROS: &[(&str, &[MacroLine])] = &[
    ("Amanda", &[u("10080"), t("10080")]),
    ("Auth", &[t("113")]),
    ("BGP", &[t("179")]),
    ("BitTorrent", &[t("6881:6889"), u("6881")]),
    ("BitTorrent32", &[t("6881:6999"), u("6881")]),
    ("CVS", &[t("2401")]),
    ("Ceph", &[t("6789"), t("3300"), t("6800:7300")]),
    ("Citrix", &[t("1494"), u("1604"), t("2598")]),
    ("DAAP", &[t("3689"), u("3689")]),
    ("DCC", &[t("6277")]),
    (
        "DHCPfwd",
        &[MacroLine {
            proto: "udp",
            dport: Some("67:68"),
            sport: Some("67:68"),
        }],
    ),
    (
        "DHCPv6",
        &[MacroLine {
            proto: "udp",
            dport: Some("546:547"),
            sport: Some("546:547"),
        }],
    ),
    ("DNS", &[u("53"), t("53")]),
    ("Distcc", &[t("3632")]),
    ("FTP", &[t("21")]),
    ("Finger", &[t("79")]),
    ("GNUnet", &[t("2086"), u("2086"), t("1080"), u("1080")]),
    ("GRE", &[p("47")]),
    ("Git", &[t("9418")]),
    ("HKP", &[t("11371")]),
    ("HTTP", &[t("80")]),
    ("HTTPS", &[t("443")]),
    ("ICPV2", &[u("3130")]),
    ("ICQ", &[t("5190")]),
    ("IMAP", &[t("143")]),
    ("IMAPS", &[t("993")]),
    ("IPIP", &[p("94")]),
    (
        "IPsec",
        &[
            MacroLine {
                proto: "udp",
                dport: Some("500"),
                sport: Some("500"),
            },
            p("50"),
        ],
    ),
    (
        "IPsecah",
        &[
            MacroLine {
                proto: "udp",
                dport: Some("500"),
                sport: Some("500"),
            },
            p("51"),
        ],
    ),
    ("IPsecnat", &[u("500"), u("4500"), p("50")]),
    ("IRC", &[t("6667")]),
    ("Jetdirect", &[t("9100")]),
    ("L2TP", &[u("1701")]),
    ("LDAP", &[t("389")]),
    ("LDAPS", &[t("636")]),
    ("MDNS", &[u("5353")]),
    ("MSNP", &[t("1863")]),
    ("MSSQL", &[t("1433")]),
    ("Mail", &[t("25"), t("465"), t("587")]),
    ("Munin", &[t("4949")]),
    ("MySQL", &[t("3306")]),
    ("NNTP", &[t("119")]),
    ("NNTPS", &[t("563")]),
    ("NTP", &[u("123")]),
    ("OSPF", &[p("89")]),
    ("OpenVPN", &[u("1194")]),
    ("PCA", &[u("5632"), t("5631")]),
    ("PMG", &[t("8006")]),
    ("POP3", &[t("110")]),
    ("POP3S", &[t("995")]),
    ("PPtP", &[p("47"), t("1723")]),
    ("Ping", &[icmp("echo-request")]),
    ("PostgreSQL", &[t("5432")]),
    ("Printer", &[t("515")]),
    ("RDP", &[t("3389")]),
    ("RIP", &[u("520")]),
    ("RNDC", &[t("953")]),
    ("Razor", &[t("2703")]),
    ("Rdate", &[t("37")]),
    ("Rsync", &[t("873")]),
    ("SANE", &[t("6566")]),
    (
        "SMB",
        &[
            u("135,445"),
            u("137:139"),
            MacroLine {
                proto: "udp",
                dport: Some("1024:65535"),
                sport: Some("137"),
            },
            t("135,139,445"),
        ],
    ),
    ("SMBswat", &[t("901")]),
    ("SMTP", &[t("25")]),
    ("SMTPS", &[t("465")]),
    ("SNMP", &[u("161:162"), t("161")]),
    ("SPAMD", &[t("783")]),
    ("SPICEproxy", &[t("3128")]),
    ("SSH", &[t("22")]),
    ("SVN", &[t("3690")]),
    ("Squid", &[t("3128")]),
    ("Submission", &[t("587")]),
    ("Syslog", &[u("514"), t("514")]),
    ("TFTP", &[u("69")]),
    ("Telnet", &[t("23")]),
    ("Telnets", &[t("992")]),
    ("Time", &[t("37")]),
    ("Trcrt", &[u("33434:33524"), icmp("echo-request")]),
    ("VNC", &[t("5900:5909")]),
    ("VNCL", &[t("5500")]),
    ("Web", &[t("80"), t("443")]),
    ("Webcache", &[t("8080")]),
    ("Webmin", &[t("10000")]),
    ("Whois", &[t("43")]),
];

/// A macro by name, case-insensitively: its canonical name and lines.
pub fn lookup_macro(name: &str) -> Option<(&'static str, &'static [MacroLine])> {
    MACROS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, l)| (*n, *l))
}

#[cfg(test)]
#[path = "tables_tests.rs"]
mod tests;
