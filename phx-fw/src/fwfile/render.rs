//! Writing a firewall object as pve-firewall writes its files.

use super::{comment, FwDoc, Kind};
use phx_common::config::{Firewall, FwRule};
use std::borrow::Cow;

/// The action as written: `ACCEPT`, `SSH(ACCEPT)`, or a group name.
pub fn action_text(r: &FwRule) -> String {
    let mut s = String::new();
    push_action(&mut s, r);
    s
}

fn push_action(out: &mut String, r: &FwRule) {
    match &r.macro_name {
        Some(m) if &*r.direction != "group" => {
            out.push_str(m);
            out.push('(');
            out.push_str(&r.action);
            out.push(')');
        }
        _ => out.push_str(&r.action),
    }
}

/// One `[RULES]` line: `[|]DIR ACTION -i -source -dest -p -dport -sport -log -icmp-type [# comment]`.
pub fn rule_line(r: &FwRule) -> String {
    let mut s = String::with_capacity(96);
    push_rule_line(&mut s, r);
    s
}

/// `rule_line` appended to `out`: a file of 50,000 rules is written without
/// a String per rule.
fn push_rule_line(out: &mut String, r: &FwRule) {
    if !r.enabled {
        out.push('|');
    }
    let dir = out.len();
    out.push_str(&r.direction);
    out[dir..].make_ascii_uppercase();
    out.push(' ');
    push_action(out, r);
    // Each flag with the spaces around it: two appends per option.
    let opts: [(&str, &Option<Box<str>>); 8] = [
        (" -i ", &r.iface),
        (" -source ", &r.source),
        (" -dest ", &r.dest),
        (" -p ", &r.proto),
        (" -dport ", &r.dport),
        (" -sport ", &r.sport),
        (" -log ", &r.log),
        (" -icmp-type ", &r.icmp_type),
    ];
    for (flag, v) in opts {
        if let Some(v) = v {
            out.push_str(flag);
            out.push_str(v);
        }
    }
    push_comment(out, comment(&r.comment));
}

/// ` # comment` after an item, when there is a comment (trimmed, not empty).
fn push_comment(out: &mut String, c: Option<&str>) {
    if let Some(c) = c.map(str::trim).filter(|c| !c.is_empty()) {
        out.push_str(" # ");
        out.push_str(c);
    }
}

/// A file being written, counting lines so rules can be found by line.
/// Each line is written straight into `out` by the closure that makes it.
struct Writer {
    out: String,
    line: usize,
}

impl Writer {
    /// Writes one line; returns its number.
    fn line(&mut self, write: impl FnOnce(&mut String)) -> usize {
        write(&mut self.out);
        self.out.push('\n');
        self.line += 1;
        self.line - 1
    }
    /// `[HEADER]` and the blank line after it.
    fn header(&mut self, write: impl FnOnce(&mut String)) {
        self.line(write);
        self.line(|_| {});
    }
    /// The blank line that ends a section.
    fn end(&mut self) {
        self.line(|_| {});
    }
    /// A `[RULES]` or `[group]` section's rule lines and the blank line
    /// after them; the line of each rule.
    fn rules(&mut self, rules: &[FwRule]) -> Vec<usize> {
        let at = rules
            .iter()
            .map(|r| self.line(|o| push_rule_line(o, r)))
            .collect();
        self.end();
        at
    }
}

/// A rendered file: its text and the line of every rule.
#[derive(Debug, Default)]
pub struct Rendered {
    pub text: String,
    pub rule_lines: Vec<usize>,
    pub group_lines: std::collections::BTreeMap<String, Vec<usize>>,
    pub group_headers: std::collections::BTreeMap<String, usize>,
}

/// The file for a firewall object, and the line number of each rule.
/// Section order OPTIONS, ALIASES, IPSETs, RULES, groups (pve-firewall's
/// write order); each header and each section followed by a blank line;
/// empty sections left out.
pub fn render(fw: &Firewall) -> (String, Vec<usize>) {
    let r = render_as(Kind::Cluster, fw);
    (r.text, r.rule_lines)
}

/// Bytes a rule line takes, about: the text is sized once instead of
/// growing (and copying) a few MB step by step for cluster.fw.
const RULE_LINE_GUESS: usize = 72;

/// As `render`, for a file of this kind: host.fw has no policies, aliases,
/// sets or groups (they live in cluster.fw); only cluster.fw has groups.
pub fn render_as(kind: Kind, fw: &Firewall) -> Rendered {
    let rules = fw.rules.len() + fw.groups.values().map(Vec::len).sum::<usize>();
    let mut w = Writer {
        out: String::with_capacity(128 + rules * RULE_LINE_GUESS),
        line: 1,
    };
    w.header(|o| o.push_str("[OPTIONS]"));
    w.line(|o| o.push_str(if fw.enabled { "enable: 1" } else { "enable: 0" }));
    if kind != Kind::Host {
        w.line(|o| {
            o.push_str("policy_in: ");
            o.push_str(&fw.policy_in);
        });
        w.line(|o| {
            o.push_str("policy_out: ");
            o.push_str(&fw.policy_out);
        });
    }
    for (k, v) in &fw.options {
        w.line(|o| {
            o.push_str(k);
            o.push_str(": ");
            o.push_str(v);
        });
    }
    w.end();
    if !fw.aliases.is_empty() && kind != Kind::Host {
        let mut names: Vec<&String> = fw.aliases.keys().collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        w.header(|o| o.push_str("[ALIASES]"));
        for n in names {
            let a = &fw.aliases[n];
            w.line(|o| {
                o.push_str(n);
                o.push(' ');
                o.push_str(&a.cidr);
                push_comment(o, comment(&a.comment));
            });
        }
        w.end();
    }
    if kind != Kind::Host {
        for (name, entries) in &fw.ipsets {
            let notes = fw.ipset_comments.get(name);
            w.header(|o| {
                o.push_str("[IPSET ");
                o.push_str(name);
                o.push(']');
                push_comment(o, notes.and_then(|c| c.set.as_deref()));
            });
            for (i, e) in entries.iter().enumerate() {
                let note = notes
                    .and_then(|c| c.entries.get(i))
                    .and_then(Option::as_deref);
                w.line(|o| {
                    o.push_str(e);
                    push_comment(o, note);
                });
            }
            w.end();
        }
    }
    let mut r = Rendered::default();
    if !fw.rules.is_empty() {
        w.header(|o| o.push_str("[RULES]"));
        r.rule_lines = w.rules(&fw.rules);
    }
    if kind == Kind::Cluster {
        for (name, rules) in &fw.groups {
            r.group_headers.insert(name.clone(), w.line);
            w.header(|o| {
                o.push_str("[group ");
                o.push_str(name);
                o.push(']');
                push_comment(o, fw.group_comments.get(name).map(String::as_str));
            });
            let lines = w.rules(rules);
            r.group_lines.insert(name.clone(), lines);
        }
    }
    r.text = w.out;
    r
}

/// A rendered object as a document (lines known), for simulating proposed
/// files; `path` is where pve-firewall reads it.
pub fn rendered_doc(path: String, kind: Kind, fw: &Firewall) -> (String, FwDoc<'_>) {
    let r = render_as(kind, fw);
    let doc = FwDoc {
        file: path,
        fw: Cow::Borrowed(fw),
        rule_lines: r.rule_lines,
        group_lines: r.group_lines,
        group_headers: r.group_headers,
        ..Default::default()
    };
    (r.text, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
