//! Reading a `.fw` file as pve-firewall's Perl parser reads it, stricter:
//! every line it would warn about, skip or drop is an error here.

use super::{FwDoc, Kind};
use phx_common::config::{Alias, Firewall, FwRule};
use phx_common::firewall::addr::is_set_name;
use std::borrow::Cow;

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
        direction: dir.as_str().into(),
        enabled,
        comment: cmt.map(Into::into),
        file: file.into(),
        path: format!("line {lineno}").into(),
        ..Default::default()
    };
    if dir == "group" {
        r.action = action_word.into();
    } else if let Some(inner) = action_word.strip_suffix(')') {
        let (m, a) = inner
            .split_once('(')
            .ok_or_else(|| format!("unknown action {action_word:?}"))?;
        r.macro_name = Some(m.into());
        r.action = a.into();
    } else {
        r.action = action_word.into();
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
        *slot = Some(value.into());
        rest = after[vend..].trim_start();
    }
    Ok(r)
}

/// Reads a `.fw` file. Every line pve-firewall would warn about, skip or
/// drop is an error here (`(line, message)`), so lint is strict.
pub fn parse(text: &str, file: &str, kind: Kind) -> (FwDoc<'static>, Vec<(usize, String)>) {
    let mut r = Reader::new(file, kind);
    for (i, raw) in text.lines().enumerate() {
        r.line(i + 1, raw.trim());
    }
    r.doc.fw = Cow::Owned(r.fw);
    (r.doc, r.errors)
}

/// The state of a file being read: the document so far, the section the
/// next line belongs to, and the errors found.
struct Reader {
    kind: Kind,
    /// The object being read; the document's once the file is read.
    fw: Firewall,
    doc: FwDoc<'static>,
    errors: Vec<(usize, String)>,
    section: Section,
    seen_sections: Vec<String>,
}

impl Reader {
    fn new(file: &str, kind: Kind) -> Reader {
        let doc = FwDoc {
            file: file.to_string(),
            ..Default::default()
        };
        let fw = Firewall {
            policy_in: "DROP".into(),
            policy_out: "ACCEPT".into(),
            rules_path: kind.rules_key().into(),
            // host.fw's `enable` defaults to 1, the others' to 0.
            enabled: kind == Kind::Host,
            ..Default::default()
        };
        Reader {
            kind,
            fw,
            doc,
            errors: Vec::new(),
            section: Section::None,
            seen_sections: Vec::new(),
        }
    }

    fn error(&mut self, n: usize, msg: String) {
        self.errors.push((n, msg));
    }

    fn line(&mut self, n: usize, line: &str) {
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        if line.starts_with('[') {
            self.section = self.header(n, line);
            return;
        }
        match &self.section {
            Section::None => self.error(
                n,
                format!("line before any section: {line:?} (pve-firewall skips it)"),
            ),
            Section::Skip => {}
            Section::Options => self.option(n, line),
            Section::Aliases => self.alias(n, line),
            Section::Ipset(name) => {
                let name = name.clone();
                self.ipset_entry(n, &name, line)
            }
            Section::Rules => self.rule(n, line, None),
            Section::Group(g) => {
                let g = g.clone();
                self.rule(n, line, Some(&g))
            }
        }
    }

    /// `[OPTIONS]`, `[ALIASES]`, `[RULES]`, `[IPSET name]`, `[group name]`.
    fn header(&mut self, n: usize, line: &str) -> Section {
        let (head, header_comment) = split_comment(line);
        let Some(inner) = head.strip_prefix('[').and_then(|h| h.strip_suffix(']')) else {
            self.error(n, format!("bad section header {line:?}"));
            return Section::Skip;
        };
        let (word, name) = match inner.split_once(char::is_whitespace) {
            Some((w, nm)) => (w.to_ascii_lowercase(), Some(nm.trim().to_string())),
            None => (inner.to_ascii_lowercase(), None),
        };
        let key = format!(
            "{word} {}",
            name.clone().unwrap_or_default().to_ascii_lowercase()
        );
        if self.seen_sections.contains(&key) {
            self.error(n, format!("section {line:?} appears twice"));
        }
        self.seen_sections.push(key);
        match (word.as_str(), name) {
            ("options", None) => Section::Options,
            ("rules", None) => Section::Rules,
            // host.fw has only [OPTIONS] and [RULES] (parse_hostfw_config).
            ("aliases", None) if self.kind != Kind::Host => Section::Aliases,
            ("ipset", Some(nm)) if self.kind != Kind::Host && is_set_name(&nm) => {
                let nm = nm.to_ascii_lowercase();
                self.fw.ipsets.entry(nm.clone()).or_default();
                self.doc.ipset_lines.insert(nm.clone(), (n, Vec::new()));
                if let Some(c) = header_comment {
                    self.fw.ipset_comments.entry(nm.clone()).or_default().set = Some(c);
                }
                Section::Ipset(nm)
            }
            ("group", Some(nm))
                if self.kind == Kind::Cluster && is_set_name(&nm) && nm.len() <= 18 =>
            {
                let nm = nm.to_ascii_lowercase();
                self.fw.groups.entry(nm.clone()).or_default();
                self.doc.group_lines.entry(nm.clone()).or_default();
                self.doc.group_headers.insert(nm.clone(), n);
                if let Some(c) = header_comment {
                    self.fw.group_comments.insert(nm.clone(), c);
                }
                Section::Group(nm)
            }
            _ => {
                self.error(
                    n,
                    format!(
                        "unknown or invalid section {line:?} in this file (pve-firewall skips it)"
                    ),
                );
                Section::Skip
            }
        }
    }

    /// `key: value`; `enable` and the policies go to their own fields.
    fn option(&mut self, n: usize, line: &str) {
        let Some((k, v)) = line.split_once(':') else {
            self.error(
                n,
                format!("can't parse option {line:?} (expected key: value)"),
            );
            return;
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
            self.error(n, format!("can't parse option {line:?}"));
            return;
        }
        if self.doc.option_lines.insert(k.clone(), n).is_some() {
            self.error(n, format!("option {k:?} given twice"));
        }
        let fw = &mut self.fw;
        match k.as_str() {
            "enable" => match v {
                "0" => fw.enabled = false,
                "1" => fw.enabled = true,
                _ => self
                    .errors
                    .push((n, format!("enable: {v:?} (expected 0 or 1)"))),
            },
            "policy_in" | "policy_out" if self.kind != Kind::Host => {
                if !["ACCEPT", "DROP", "REJECT"].contains(&v) {
                    self.errors
                        .push((n, format!("{k}: {v:?} (expected ACCEPT, DROP or REJECT)")));
                } else if k == "policy_in" {
                    fw.policy_in = v.to_string();
                } else {
                    fw.policy_out = v.to_string();
                }
            }
            _ => {
                fw.options.insert(k, v.to_string());
            }
        }
    }

    /// `name address [# comment]`, exactly one space between.
    fn alias(&mut self, n: usize, line: &str) {
        let (body, cmt) = split_comment(line);
        let mut it = body.splitn(2, |c: char| c.is_whitespace());
        let name = it.next().unwrap_or("");
        let rest = it.next().unwrap_or("");
        if rest.is_empty()
            || rest.starts_with(char::is_whitespace)
            || rest.contains(char::is_whitespace)
        {
            self.error(n, format!("can't parse alias {line:?} (expected NAME ADDRESS, one space between; pve-firewall drops it)"));
            return;
        }
        if self.fw.aliases.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            self.error(
                n,
                format!("alias {name:?} defined twice (alias names are case-insensitive)"),
            );
            return;
        }
        self.doc.alias_lines.insert(name.to_string(), n);
        self.fw.aliases.insert(
            name.to_string(),
            Alias {
                cidr: rest.to_string(),
                comment: cmt,
            },
        );
    }

    fn ipset_entry(&mut self, n: usize, name: &str, line: &str) {
        let (body, cmt) = split_comment(line);
        if body.contains(char::is_whitespace) {
            self.error(n, format!("can't parse IP set entry {line:?}"));
            return;
        }
        let entries = self.fw.ipsets.get_mut(name).unwrap();
        entries.push(body.to_string());
        let count = entries.len();
        if let Some(c) = cmt {
            let notes = self.fw.ipset_comments.entry(name.to_string()).or_default();
            notes.entries.resize(count - 1, None);
            notes.entries.push(Some(c));
        }
        self.doc.ipset_lines.get_mut(name).unwrap().1.push(n);
    }

    /// A `[RULES]` line, or one of a `[group]` section.
    fn rule(&mut self, n: usize, line: &str, group: Option<&str>) {
        match parse_rule(line, &self.doc.file, n) {
            Ok(r) => match group {
                Some(g) => {
                    self.fw.groups.get_mut(g).unwrap().push(r);
                    self.doc.group_lines.get_mut(g).unwrap().push(n);
                }
                None => {
                    self.fw.rules.push(r);
                    self.doc.rule_lines.push(n);
                }
            },
            Err(e) => self.error(n, e),
        }
    }
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
        assert_eq!((r.direction.as_ref(), r.action.as_ref()), ("in", "ACCEPT"));
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
        assert_eq!(&*r.path, "line 3");
        let d = parse_rule("|IN ACCEPT -p tcp -dport 8080 # disabled", "f", 1).unwrap();
        assert!(!d.enabled);
        assert_eq!(d.comment.as_deref(), Some("disabled"));
        let g = parse_rule("GROUP webserver -i net0", "f", 1).unwrap();
        assert_eq!(
            (g.direction.as_ref(), g.action.as_ref(), g.iface.as_deref()),
            ("group", "webserver", Some("net0"))
        );
        let m = parse_rule("in DNS(ACCEPT) -source 10.10.0.0/16", "f", 1).unwrap();
        assert_eq!(
            (m.macro_name.as_deref(), m.action.as_ref()),
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
}
