//! Writing a firewall object as pve-firewall writes its files.

use super::{comment, FwDoc, Kind};
use phx_common::config::{Firewall, FwRule};
use std::borrow::Cow;

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

/// `text # comment`, or `text` when there is no comment.
fn with_comment(text: String, comment: Option<&str>) -> String {
    match comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("{text} # {c}"),
        None => text,
    }
}

/// A file being written, counting lines so rules can be found by line.
struct Writer {
    out: String,
    line: usize,
}

impl Writer {
    fn push(&mut self, s: &str) -> usize {
        self.out.push_str(s);
        self.out.push('\n');
        self.line += 1;
        self.line - 1
    }
    /// `[HEADER]`, a blank line, the lines, a blank line; the line of each.
    fn section(&mut self, header: &str, lines: impl IntoIterator<Item = String>) -> Vec<usize> {
        self.push(header);
        self.push("");
        let at = lines.into_iter().map(|l| self.push(&l)).collect();
        self.push("");
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

/// As `render`, for a file of this kind: host.fw has no policies, aliases,
/// sets or groups (they live in cluster.fw); only cluster.fw has groups.
pub fn render_as(kind: Kind, fw: &Firewall) -> Rendered {
    let mut w = Writer {
        out: String::new(),
        line: 1,
    };
    let mut options = vec![format!("enable: {}", if fw.enabled { 1 } else { 0 })];
    if kind != Kind::Host {
        options.push(format!("policy_in: {}", fw.policy_in));
        options.push(format!("policy_out: {}", fw.policy_out));
    }
    options.extend(fw.options.iter().map(|(k, v)| format!("{k}: {v}")));
    w.section("[OPTIONS]", options);
    if !fw.aliases.is_empty() && kind != Kind::Host {
        let mut names: Vec<&String> = fw.aliases.keys().collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        let lines = names.into_iter().map(|n| {
            let a = &fw.aliases[n];
            match comment(&a.comment) {
                Some(c) => format!("{n} {} # {c}", a.cidr),
                None => format!("{n} {}", a.cidr),
            }
        });
        w.section("[ALIASES]", lines);
    }
    if kind != Kind::Host {
        for (name, entries) in &fw.ipsets {
            let notes = fw.ipset_comments.get(name);
            let header = with_comment(
                format!("[IPSET {name}]"),
                notes.and_then(|c| c.set.as_deref()),
            );
            let lines = entries.iter().enumerate().map(|(i, e)| {
                let note = notes
                    .and_then(|c| c.entries.get(i))
                    .and_then(Option::as_deref);
                with_comment(e.clone(), note)
            });
            w.section(&header, lines);
        }
    }
    let mut r = Rendered::default();
    if !fw.rules.is_empty() {
        r.rule_lines = w.section("[RULES]", fw.rules.iter().map(rule_line));
    }
    if kind == Kind::Cluster {
        for (name, rules) in &fw.groups {
            r.group_headers.insert(name.clone(), w.line);
            let header = with_comment(
                format!("[group {name}]"),
                fw.group_comments.get(name).map(String::as_str),
            );
            let lines = w.section(&header, rules.iter().map(rule_line));
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
