//! The `.fw` file format (reference §1): rendering a firewall object into
//! `cluster.fw` / `<vmid>.fw`, reading such files back (for `parse`/lint and
//! for simulating what is already on a host), and the JSON `firewall` object
//! a file corresponds to.

use phx_common::config::{Alias, Firewall, FwRule};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Which file a firewall object becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cluster,
    Guest(u32),
}

impl Kind {
    pub fn path(self) -> String {
        match self {
            Kind::Cluster => "/etc/pve/firewall/cluster.fw".to_string(),
            Kind::Guest(id) => format!("/etc/pve/firewall/{id}.fw"),
        }
    }
    /// The key the JSON object keeps its rules under.
    pub fn rules_key(self) -> &'static str {
        match self {
            Kind::Cluster => "global_firewall_rules",
            Kind::Guest(_) => "rules",
        }
    }
    /// From a file name: `cluster.fw` or `<vmid>.fw`.
    pub fn of_file(name: &str) -> Option<Kind> {
        let stem = name.strip_suffix(".fw")?;
        if stem == "cluster" {
            Some(Kind::Cluster)
        } else if !stem.is_empty()
            && stem.bytes().all(|b| b.is_ascii_digit())
            && !stem.starts_with('0')
        {
            stem.parse().ok().map(Kind::Guest)
        } else {
            None
        }
    }
}

/// A firewall file in memory: the object, security groups (files only; the
/// JSON has none), and the line every item sits on.
#[derive(Debug, Clone, Default)]
pub struct FwDoc {
    pub file: String,
    pub fw: Firewall,
    pub groups: BTreeMap<String, Vec<FwRule>>,
    pub rule_lines: Vec<usize>,
    pub group_lines: BTreeMap<String, Vec<usize>>,
    pub option_lines: BTreeMap<String, usize>,
    pub alias_lines: BTreeMap<String, usize>,
    /// Set name → (header line, entry lines).
    pub ipset_lines: BTreeMap<String, (usize, Vec<usize>)>,
}

fn comment(c: &Option<String>) -> Option<&str> {
    c.as_deref().map(str::trim).filter(|c| !c.is_empty())
}

/// The action as written: `ACCEPT`, `SSH(ACCEPT)`, or a group name.
pub fn action_text(r: &FwRule) -> String {
    match &r.macro_name {
        Some(m) if r.direction != "group" => format!("{m}({})", r.action),
        _ => r.action.clone(),
    }
}

/// One `[RULES]` line: `[|]DIR ACTION -i -source -dest -p -dport -sport -log -icmp-type [# comment]`.
pub fn rule_line(r: &FwRule) -> String {
    let mut s = String::with_capacity(96);
    if !r.enabled {
        s.push('|');
    }
    s.push_str(&r.direction.to_ascii_uppercase());
    s.push(' ');
    s.push_str(&action_text(r));
    let opts: [(&str, &Option<String>); 8] = [
        ("-i", &r.iface),
        ("-source", &r.source),
        ("-dest", &r.dest),
        ("-p", &r.proto),
        ("-dport", &r.dport),
        ("-sport", &r.sport),
        ("-log", &r.log),
        ("-icmp-type", &r.icmp_type),
    ];
    for (flag, v) in opts {
        if let Some(v) = v {
            s.push(' ');
            s.push_str(flag);
            s.push(' ');
            s.push_str(v);
        }
    }
    if let Some(c) = comment(&r.comment) {
        s.push_str(" # ");
        s.push_str(c);
    }
    s
}

/// The file for a firewall object, and the line number of each rule.
/// Section order OPTIONS, ALIASES, IPSETs, RULES; each header and each
/// section followed by a blank line; empty sections left out.
pub fn render(fw: &Firewall) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut line = 1usize;
    let mut push = |out: &mut String, s: &str| {
        out.push_str(s);
        out.push('\n');
        line += 1;
        line - 1
    };
    push(&mut out, "[OPTIONS]");
    push(&mut out, "");
    push(
        &mut out,
        &format!("enable: {}", if fw.enabled { 1 } else { 0 }),
    );
    push(&mut out, &format!("policy_in: {}", fw.policy_in));
    push(&mut out, &format!("policy_out: {}", fw.policy_out));
    for (k, v) in &fw.options {
        push(&mut out, &format!("{k}: {v}"));
    }
    push(&mut out, "");
    if !fw.aliases.is_empty() {
        push(&mut out, "[ALIASES]");
        push(&mut out, "");
        let mut names: Vec<&String> = fw.aliases.keys().collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        for n in names {
            let a = &fw.aliases[n];
            match comment(&a.comment) {
                Some(c) => push(&mut out, &format!("{n} {} # {c}", a.cidr)),
                None => push(&mut out, &format!("{n} {}", a.cidr)),
            };
        }
        push(&mut out, "");
    }
    for (name, entries) in &fw.ipsets {
        push(&mut out, &format!("[IPSET {name}]"));
        push(&mut out, "");
        for e in entries {
            push(&mut out, e);
        }
        push(&mut out, "");
    }
    let mut lines = Vec::with_capacity(fw.rules.len());
    if !fw.rules.is_empty() {
        push(&mut out, "[RULES]");
        push(&mut out, "");
        for r in &fw.rules {
            lines.push(push(&mut out, &rule_line(r)));
        }
        push(&mut out, "");
    }
    (out, lines)
}

/// A rendered object as a document (lines known), for simulating proposed files.
pub fn rendered_doc(kind: Kind, fw: &Firewall) -> (String, FwDoc) {
    let (text, rule_lines) = render(fw);
    let doc = FwDoc {
        file: kind.path(),
        fw: fw.clone(),
        rule_lines,
        ..Default::default()
    };
    (text, doc)
}

// ---------------------------------------------------------------- parsing

enum Section {
    None,
    Options,
    Aliases,
    Ipset(String),
    Rules,
    Group(String),
    /// A section we skip (bad name); its lines are ignored.
    Skip,
}

fn split_comment(line: &str) -> (&str, Option<String>) {
    match line.find('#') {
        Some(i) => {
            let c = line[i + 1..].trim();
            (line[..i].trim_end(), (!c.is_empty()).then(|| c.to_string()))
        }
        None => (line, None),
    }
}

const RULE_FLAGS: &[(&str, &str)] = &[
    ("-i", "iface"),
    ("-p", "proto"),
    ("-proto", "proto"),
    ("--proto", "proto"),
    ("-dport", "dport"),
    ("--dport", "dport"),
    ("-sport", "sport"),
    ("--sport", "sport"),
    ("-source", "source"),
    ("--source", "source"),
    ("-dest", "dest"),
    ("--dest", "dest"),
    ("-log", "log"),
    ("--log", "log"),
    ("-icmp-type", "icmp_type"),
    ("--icmp-type", "icmp_type"),
];

/// A rule line as pve-firewall's Perl parser reads it.
pub fn parse_rule(line: &str, file: &str, lineno: usize) -> Result<FwRule, String> {
    let (body, cmt) = split_comment(line);
    let (enabled, body) = match body.strip_prefix('|') {
        Some(rest) => (false, rest),
        None => (true, body),
    };
    let mut words = body.splitn(2, |c: char| c.is_whitespace());
    let dir = words.next().unwrap_or("").to_ascii_lowercase();
    if !["in", "out", "forward", "group"].contains(&dir.as_str()) {
        return Err(format!(
            "unable to parse rule: {line:?} (expected IN, OUT, FORWARD or GROUP first)"
        ));
    }
    let rest = words.next().unwrap_or("").trim_start();
    let (action_word, mut rest) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim_start()),
        None => (rest, ""),
    };
    if action_word.is_empty() {
        return Err("rule without an action".into());
    }
    let mut r = FwRule {
        direction: dir.clone(),
        enabled,
        comment: cmt,
        file: file.to_string(),
        path: format!("line {lineno}"),
        ..Default::default()
    };
    if dir == "group" {
        r.action = action_word.to_string();
    } else if let Some(inner) = action_word.strip_suffix(')') {
        let (m, a) = inner
            .split_once('(')
            .ok_or_else(|| format!("unknown action {action_word:?}"))?;
        r.macro_name = Some(m.to_string());
        r.action = a.to_string();
    } else {
        r.action = action_word.to_string();
    }
    while !rest.is_empty() {
        let flag_end = rest
            .find(' ')
            .ok_or_else(|| format!("unable to parse rule parameters: {rest:?}"))?;
        let flag = &rest[..flag_end];
        let field = RULE_FLAGS
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, k)| *k)
            .ok_or_else(|| format!("unable to parse rule parameters: {rest:?}"))?;
        let after = &rest[flag_end + 1..];
        let vend = after.find(char::is_whitespace).unwrap_or(after.len());
        let value = &after[..vend];
        if value.is_empty() {
            return Err(format!("unable to parse rule parameters: {rest:?} (exactly one space between {flag} and its value)"));
        }
        if dir == "group" && field != "iface" {
            return Err(format!(
                "unable to parse rule parameters: {rest:?} (GROUP rules take only -i)"
            ));
        }
        let slot = match field {
            "iface" => &mut r.iface,
            "proto" => &mut r.proto,
            "dport" => &mut r.dport,
            "sport" => &mut r.sport,
            "source" => &mut r.source,
            "dest" => &mut r.dest,
            "log" => &mut r.log,
            _ => &mut r.icmp_type,
        };
        *slot = Some(value.to_string());
        rest = after[vend..].trim_start();
    }
    Ok(r)
}

/// Reads a `.fw` file. Every line pve-firewall would warn about, skip or
/// drop is an error here (`(line, message)`), so lint is strict.
pub fn parse(text: &str, file: &str, kind: Kind) -> (FwDoc, Vec<(usize, String)>) {
    let mut doc = FwDoc {
        file: file.to_string(),
        ..Default::default()
    };
    doc.fw.policy_in = "DROP".into();
    doc.fw.policy_out = "ACCEPT".into();
    doc.fw.rules_path = kind.rules_key().into();
    let mut errors = Vec::new();
    let mut section = Section::None;
    let mut seen_sections: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            let (head, _) = split_comment(line);
            let Some(inner) = head.strip_prefix('[').and_then(|h| h.strip_suffix(']')) else {
                errors.push((n, format!("bad section header {line:?}")));
                section = Section::Skip;
                continue;
            };
            let (word, name) = match inner.split_once(char::is_whitespace) {
                Some((w, nm)) => (w.to_ascii_lowercase(), Some(nm.trim().to_string())),
                None => (inner.to_ascii_lowercase(), None),
            };
            let key = format!(
                "{word} {}",
                name.clone().unwrap_or_default().to_ascii_lowercase()
            );
            if seen_sections.contains(&key) {
                errors.push((n, format!("section {line:?} appears twice")));
            }
            seen_sections.push(key);
            section = match (word.as_str(), name) {
                ("options", None) => Section::Options,
                ("aliases", None) => Section::Aliases,
                ("rules", None) => Section::Rules,
                ("ipset", Some(nm)) if crate::addr::is_set_name(&nm) => {
                    let nm = nm.to_ascii_lowercase();
                    doc.fw.ipsets.entry(nm.clone()).or_default();
                    doc.ipset_lines.insert(nm.clone(), (n, Vec::new()));
                    Section::Ipset(nm)
                }
                ("group", Some(nm))
                    if kind == Kind::Cluster && crate::addr::is_set_name(&nm) && nm.len() <= 18 =>
                {
                    let nm = nm.to_ascii_lowercase();
                    doc.groups.entry(nm.clone()).or_default();
                    doc.group_lines.entry(nm.clone()).or_default();
                    Section::Group(nm)
                }
                _ => {
                    errors.push((n, format!("unknown or invalid section {line:?} in this file (pve-firewall skips it)")));
                    Section::Skip
                }
            };
            continue;
        }
        match &section {
            Section::None => errors.push((
                n,
                format!("line before any section: {line:?} (pve-firewall skips it)"),
            )),
            Section::Skip => {}
            Section::Options => {
                let Some((k, v)) = line.split_once(':') else {
                    errors.push((
                        n,
                        format!("can't parse option {line:?} (expected key: value)"),
                    ));
                    continue;
                };
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim();
                if k.is_empty()
                    || !k
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                    || v.is_empty()
                    || v.contains(char::is_whitespace)
                {
                    errors.push((n, format!("can't parse option {line:?}")));
                    continue;
                }
                if doc.option_lines.insert(k.clone(), n).is_some() {
                    errors.push((n, format!("option {k:?} given twice")));
                }
                match k.as_str() {
                    "enable" => match v {
                        "0" => doc.fw.enabled = false,
                        "1" => doc.fw.enabled = true,
                        _ => errors.push((n, format!("enable: {v:?} (expected 0 or 1)"))),
                    },
                    "policy_in" | "policy_out" => {
                        if !["ACCEPT", "DROP", "REJECT"].contains(&v) {
                            errors
                                .push((n, format!("{k}: {v:?} (expected ACCEPT, DROP or REJECT)")));
                        } else if k == "policy_in" {
                            doc.fw.policy_in = v.to_string();
                        } else {
                            doc.fw.policy_out = v.to_string();
                        }
                    }
                    _ => {
                        doc.fw.options.insert(k, v.to_string());
                    }
                }
            }
            Section::Aliases => {
                let (body, cmt) = split_comment(line);
                let mut it = body.splitn(2, |c: char| c.is_whitespace());
                let name = it.next().unwrap_or("");
                let rest = it.next().unwrap_or("");
                if rest.is_empty()
                    || rest.starts_with(char::is_whitespace)
                    || rest.contains(char::is_whitespace)
                {
                    errors.push((n, format!("can't parse alias {line:?} (expected NAME ADDRESS, one space between; pve-firewall drops it)")));
                    continue;
                }
                if doc.fw.aliases.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                    errors.push((
                        n,
                        format!("alias {name:?} defined twice (alias names are case-insensitive)"),
                    ));
                    continue;
                }
                doc.alias_lines.insert(name.to_string(), n);
                doc.fw.aliases.insert(
                    name.to_string(),
                    Alias {
                        cidr: rest.to_string(),
                        comment: cmt,
                    },
                );
            }
            Section::Ipset(name) => {
                let (body, _) = split_comment(line);
                if body.contains(char::is_whitespace) {
                    errors.push((n, format!("can't parse IP set entry {line:?}")));
                    continue;
                }
                doc.fw.ipsets.get_mut(name).unwrap().push(body.to_string());
                doc.ipset_lines.get_mut(name).unwrap().1.push(n);
            }
            Section::Rules | Section::Group(_) => match parse_rule(line, file, n) {
                Ok(r) => match &section {
                    Section::Group(g) => {
                        doc.groups.get_mut(g).unwrap().push(r);
                        doc.group_lines.get_mut(g).unwrap().push(n);
                    }
                    _ => {
                        doc.fw.rules.push(r);
                        doc.rule_lines.push(n);
                    }
                },
                Err(e) => errors.push((n, e)),
            },
        }
    }
    (doc, errors)
}

// ------------------------------------------------------------------- JSON

/// The JSON `firewall` object for a firewall: what an operator pastes into
/// the configuration to adopt an existing file. Keys are the ones Phoenix reads.
pub fn to_json(fw: &Firewall, kind: Kind) -> Value {
    let mut o = Map::new();
    o.insert("enabled".into(), json!(fw.enabled));
    o.insert("default_input_policy".into(), json!(fw.policy_in));
    o.insert("default_output_policy".into(), json!(fw.policy_out));
    if !fw.options.is_empty() {
        o.insert("options".into(), json!(fw.options));
    }
    if !fw.aliases.is_empty() {
        let mut a = Map::new();
        for (k, v) in &fw.aliases {
            let val = match comment(&v.comment) {
                Some(c) => json!({"cidr": v.cidr, "comment": c}),
                None => json!(v.cidr),
            };
            a.insert(k.clone(), val);
        }
        o.insert("aliases".into(), Value::Object(a));
    }
    if !fw.ipsets.is_empty() {
        o.insert("ipsets".into(), json!(fw.ipsets));
    }
    o.insert(
        kind.rules_key().into(),
        Value::Array(fw.rules.iter().map(rule_json).collect()),
    );
    Value::Object(o)
}

pub fn rule_json(r: &FwRule) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(r.direction));
    o.insert("action".into(), json!(action_text(r)));
    let fields: [(&str, &Option<String>); 8] = [
        ("iface", &r.iface),
        ("source", &r.source),
        ("dest", &r.dest),
        ("proto", &r.proto),
        ("port", &r.dport),
        ("sport", &r.sport),
        ("log", &r.log),
        ("icmp_type", &r.icmp_type),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    }
    if !r.enabled {
        o.insert("enable".into(), json!(false));
    }
    if let Some(c) = comment(&r.comment) {
        o.insert("comment".into(), json!(c));
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_lines_as_the_reference_writes_them() {
        let r = parse_rule(
            "IN ACCEPT -i net0 -p tcp -dport 22,8000:8010 -log info",
            "f",
            3,
        )
        .unwrap();
        assert_eq!((r.direction.as_str(), r.action.as_str()), ("in", "ACCEPT"));
        assert_eq!(
            (
                r.iface.as_deref(),
                r.proto.as_deref(),
                r.dport.as_deref(),
                r.log.as_deref()
            ),
            (
                Some("net0"),
                Some("tcp"),
                Some("22,8000:8010"),
                Some("info")
            )
        );
        assert_eq!(r.path, "line 3");
        let d = parse_rule("|IN ACCEPT -p tcp -dport 8080 # disabled", "f", 1).unwrap();
        assert!(!d.enabled);
        assert_eq!(d.comment.as_deref(), Some("disabled"));
        let g = parse_rule("GROUP webserver -i net0", "f", 1).unwrap();
        assert_eq!(
            (g.direction.as_str(), g.action.as_str(), g.iface.as_deref()),
            ("group", "webserver", Some("net0"))
        );
        let m = parse_rule("in DNS(ACCEPT) -source 10.10.0.0/16", "f", 1).unwrap();
        assert_eq!(
            (m.macro_name.as_deref(), m.action.as_str()),
            (Some("DNS"), "ACCEPT")
        );
        // Perl's synonyms: --flag and -proto.
        let s = parse_rule("OUT DROP --dest 10.0.0.1 -proto udp", "f", 1).unwrap();
        assert_eq!(
            (s.dest.as_deref(), s.proto.as_deref()),
            (Some("10.0.0.1"), Some("udp"))
        );
        // The comment starts at the first '#'.
        let c = parse_rule("IN DROP # a # b", "f", 1).unwrap();
        assert_eq!(c.comment.as_deref(), Some("a # b"));
    }

    #[test]
    fn unparsable_rules_are_errors() {
        for bad in [
            "IN ACCEPT -p  tcp",
            "IN ACCEPT -x 1",
            "IN ACCEPT -p",
            "SIDEWAYS ACCEPT",
            "IN",
            "GROUP web -p tcp",
            "IN ACCEPT -iface vmbr0",
        ] {
            assert!(parse_rule(bad, "f", 1).is_err(), "{bad}");
        }
    }

    #[test]
    fn rendering_writes_options_in_order_and_the_disabled_marker() {
        let r = FwRule {
            direction: "in".into(),
            action: "ACCEPT".into(),
            icmp_type: Some("echo-request".into()),
            proto: Some("icmp".into()),
            log: Some("info".into()),
            sport: Some("1:2".into()),
            dest: Some("10.0.0.1".into()),
            source: Some("+management".into()),
            iface: Some("vmbr0".into()),
            enabled: false,
            comment: Some("  spaced  ".into()),
            ..Default::default()
        };
        assert_eq!(rule_line(&r), "|IN ACCEPT -i vmbr0 -source +management -dest 10.0.0.1 -p icmp -sport 1:2 -log info -icmp-type echo-request # spaced");
        let macro_rule = FwRule {
            direction: "out".into(),
            action: "DROP".into(),
            macro_name: Some("SSH".into()),
            enabled: true,
            ..Default::default()
        };
        assert_eq!(rule_line(&macro_rule), "OUT SSH(DROP)");
    }

    #[test]
    fn file_kinds_from_names() {
        assert_eq!(Kind::of_file("cluster.fw"), Some(Kind::Cluster));
        assert_eq!(Kind::of_file("101.fw"), Some(Kind::Guest(101)));
        assert_eq!(Kind::of_file("0101.fw"), None);
        assert_eq!(Kind::of_file("host.fw"), None);
    }
}
