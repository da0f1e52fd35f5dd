//! Writing a firewall object as pve-firewall writes its files.

use super::{comment, FwDoc, Kind};
use phx_common::config::{Firewall, FwRule};

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
