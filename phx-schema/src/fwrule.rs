//! A firewall rule's fields as phx-fw checks them (`phx_common::firewall`),
//! their names and numbers taken from the same tables: protocols, services,
//! ICMP types, macros, log levels. What depends on other values (a macro's
//! fixed ports, a port's protocol, references to aliases, IP sets and
//! groups, host bits, ranges' order, where the firewall is) is phx-fw's alone.

use crate::builder::present;
use crate::leaf::{ipv4_pattern, ipv6_pattern, token};
use crate::range;
use phx_common::firewall::tables::{
    ICMP, ICMPV6, ICMPV6_TYPES, ICMP_TYPES, LOG_LEVELS, MACROS, PROTOCOLS, PROTOCOLS_WITH_PORTS,
    SERVICES,
};
use serde_json::{json, Value};

const VERDICT: &str = "(ACCEPT|DROP|REJECT)";

/// `name` in any case, as `tables::lookup_macro` finds it.
fn any_case(name: &str) -> String {
    name.chars()
        .map(|c| match (c.to_ascii_lowercase(), c.to_ascii_uppercase()) {
            (l, u) if l != u => format!("[{u}{l}]"),
            _ => regex_escape(c),
        })
        .collect()
}

fn regex_escape(c: char) -> String {
    if "\\.+*?()|[]{}^$-/".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn alternatives<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<String> = names
        .map(|n| n.chars().map(regex_escape).collect())
        .collect();
    // Longest first: an engine tries alternatives in order.
    all.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    all.dedup();
    format!("({})", all.join("|"))
}

fn macros() -> String {
    format!(
        "({})",
        MACROS
            .iter()
            .map(|(n, _)| any_case(n))
            .collect::<Vec<_>>()
            .join("|")
    )
}

/// A decimal of at most `digits` digits from `min` to `max`, leading zeros allowed.
fn bounded(digits: usize, min: u64, max: u64) -> String {
    format!(
        "(?=[0-9]{{1,{digits}}}(?![0-9]))0*({})",
        range::alternatives(min, max)
    )
}

/// A `proto` value naming one of `numbers` (a name, an alias or the number).
fn proto_in(numbers: &[u8], extra_names: &[&'static str]) -> Value {
    let names = PROTOCOLS
        .iter()
        .filter(|(_, n, _)| numbers.contains(n))
        .flat_map(|(name, _, aliases)| std::iter::once(*name).chain(aliases.iter().copied()))
        .chain(extra_names.iter().copied());
    let numeric = numbers
        .iter()
        .map(|n| bounded(3, u64::from(*n), u64::from(*n)))
        .collect::<Vec<_>>()
        .join("|");
    json!({"anyOf": [
        {"enum": numbers},
        {"type": "string", "pattern": format!("^({}|{numeric})$", alternatives(names))},
    ]})
}

/// `-p`: a name or alias from the protocol table, `icmpv6`, or 1-255
/// (protocol 0, every protocol, is refused).
pub fn proto() -> Value {
    let names = PROTOCOLS
        .iter()
        .filter(|(_, n, _)| *n != 0)
        .flat_map(|(name, _, aliases)| std::iter::once(*name).chain(aliases.iter().copied()))
        .chain(["icmpv6"]);
    let pattern = format!("^({}|{})$", alternatives(names), bounded(3, 1, 255));
    json!({
        "description": "a protocol name or number (tcp, udp, icmp, icmpv6, 6…); not 0, ip or hopopt (every protocol)",
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 255}, token(pattern, "a protocol")],
    })
}

/// What `-p icmp -dport T` takes: one ICMP type.
fn icmp_in_port() -> String {
    let byte = bounded(3, 0, 255);
    format!("({}|{byte}(/{byte})?)", icmp_names())
}

fn icmp_names() -> String {
    alternatives(
        ICMP_TYPES
            .iter()
            .chain(ICMPV6_TYPES)
            .map(|(n, _, _)| *n)
            .chain(["any"]),
    )
}

/// `-dport`/`-sport`: ports, services, ranges, comma lists — or, with
/// icmp/icmpv6, one ICMP type name, `N` or `N/C`.
pub fn ports(description: &str) -> Value {
    let port = bounded(5, 0, 65535);
    let services = alternatives(SERVICES.iter().map(|(n, _)| *n));
    let item = format!("({port}(:{port})?|{services})");
    let icmp = icmp_in_port();
    json!({
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": 65535},
            token(format!("^({item}(,{item})*|{icmp})$"), "ports, services (ssh), ranges a:b, separated by commas; or an ICMP type"),
        ],
    })
}

/// `-icmp-type`: a name of either family's table, or `any` (numbers go in port).
/// Ports only (a protocol that has them).
fn port_list() -> Value {
    let port = bounded(5, 0, 65535);
    let services = alternatives(SERVICES.iter().map(|(n, _)| *n));
    let item = format!("({port}(:{port})?|{services})");
    json!({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 65535},
        {"type": "string", "pattern": format!("^{item}(,{item})*$")},
        {"type": "null"},
    ]})
}

pub fn icmp_type() -> Value {
    token(
        format!("^{}$", icmp_names()),
        "an ICMP type name (echo-request, time-exceeded, any, …)",
    )
}

pub fn log() -> Value {
    json!({"description": "a log level (not warn)", "enum": LOG_LEVELS})
}

/// `-i`: a host interface (`vmbr0`, `bond0.10`) or a guest's `netN`.
pub fn iface() -> Value {
    token(
        "^[A-Za-z][A-Za-z0-9_]{1,20}([:.][0-9]+)?$".into(),
        "an interface: a letter, then 1-20 letters, digits or '_', optionally :N or .N (no '-'); netN in a guest's firewall",
    )
}

/// `-source`/`-dest`: an address, CIDR, range, list of one family, +ipset
/// (lowercase, not sdn/) or alias, without spaces.
pub fn address(description: &str) -> Value {
    let name = "[A-Za-z][A-Za-z0-9_-]{1,63}";
    let (v4, v6) = (ipv4_pattern(), ipv6_pattern());
    let v4net = format!("{v4}(/(3[0-2]|[12]?[0-9]))?");
    let v6net = format!("{v6}(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?");
    let pattern = format!(
        "^(\\+((dc|guest)/)?[a-z][a-z0-9_-]{{1,63}}|((dc|guest)/)?{name}|{v4}-{v4}|{v6}-{v6}|{v4net}(,{v4net})*|{v6net}(,{v6net})*)$"
    );
    json!({"description": description, "anyOf": [token(pattern, description)]})
}

/// The rules between a rule's `type`, `action`, `macro` and the rest that
/// one object shows (phx-fw check/rule.rs).
pub fn between_fields(rule: &mut Value) {
    let verdict_action = format!("^({VERDICT}|{}\\({VERDICT}\\))$", macros());
    let group_type = "^[Gg][Rr][Oo][Uu][Pp]$";
    let forward_type = "^[Ff][Oo][Rr][Ww][Aa][Rr][Dd]$";
    let absent = json!({"type": "null"});
    let macro_fixed = ["proto", "port", "dport", "sport", "icmp_type"];
    let group_takes_none = [
        "macro",
        "proto",
        "port",
        "dport",
        "sport",
        "source",
        "dest",
        "log",
        "icmp_type",
    ];
    let nothing = |keys: &[&str]| -> Value {
        Value::Object(
            keys.iter()
                .map(|k| (k.to_string(), absent.clone()))
                .collect(),
        )
    };
    rule["allOf"] = json!([
        // GROUP name [-i iface]: a group name and nothing else.
        {
            "if": {"properties": {"type": {"pattern": group_type}}},
            "then": {"properties": {
                "action": {"pattern": "^[A-Za-z][A-Za-z0-9_-]{1,17}$"},
            }},
            "else": {"properties": {"action": {"pattern": verdict_action}}},
        },
        {
            "if": {"properties": {"type": {"pattern": group_type}}},
            "then": {"properties": nothing(&group_takes_none)},
        },
        // A macro fixes protocol and ports; with `macro` the action is the verdict alone.
        {
            "if": {"anyOf": [
                {"required": ["macro"], "properties": {"macro": {"not": {"type": "null"}}}},
                {"properties": {"action": {"pattern": "\\)$"}}, "required": ["action"]},
            ]},
            "then": {"properties": nothing(&macro_fixed)},
        },
        {
            "if": {"required": ["macro"], "properties": {"macro": {"not": {"type": "null"}}}},
            "then": {"properties": {"macro": {"type": "string", "pattern": format!("^{}$", macros())}, "action": {"pattern": format!("^{VERDICT}$")}}},
        },
        // Ports need a protocol (a macro brings its own).
        {
            "if": {"anyOf": [present("port"), present("dport"), present("sport")]},
            "then": {"anyOf": [present("proto"), present("macro"), {"required": ["action"], "properties": {"action": {"pattern": "\\)$"}}}]},
        },
        // `-p icmp`/`-p icmpv6`: port carries one ICMP type; no sport.
        {
            "if": {"required": ["proto"], "properties": {"proto": {"enum": ["icmp", "icmpv6"]}}},
            "then": {"properties": {
                "port": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 255}, {"type": "string", "pattern": format!("^{}$", icmp_in_port())}, absent]},
                "dport": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 255}, {"type": "string", "pattern": format!("^{}$", icmp_in_port())}, absent]},
                "sport": absent,
            }},
        },
        // Another protocol without ports takes none; one with ports, ports only.
        {
            "if": {"allOf": [present("proto"), {"not": {"properties": {"proto": {"enum": ["icmp", "icmpv6"]}}}}, {"not": {"properties": {"proto": proto_in(PROTOCOLS_WITH_PORTS, &[])}}}]},
            "then": {"properties": nothing(&["port", "dport", "sport"])},
        },
        {
            "if": {"allOf": [present("proto"), {"properties": {"proto": proto_in(PROTOCOLS_WITH_PORTS, &[])}}]},
            "then": {"properties": {"port": port_list(), "dport": port_list(), "sport": port_list()}},
        },
        // icmp_type: with an ICMP protocol, instead of a port.
        {
            "if": present("icmp_type"),
            "then": {
                "allOf": [present("proto"), {"properties": {"proto": proto_in(&[ICMP, ICMPV6], &["icmpv6"])}}],
                "properties": nothing(&["port", "dport"]),
            },
        },
        // FORWARD takes no REJECT.
        {
            "if": {"properties": {"type": {"pattern": forward_type}}, "required": ["type"]},
            "then": {"properties": {"action": {"not": {"pattern": "^(REJECT|[^()]*\\(REJECT\\))$"}}}},
        },
    ]);
}
