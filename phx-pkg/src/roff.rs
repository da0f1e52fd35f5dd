//! The markdown of docs/ as man-page roff, for the subset those pages use:
//! headings, paragraphs, `- ` lists, fenced code blocks and tables, with
//! inline code, bold, emphasis and links. Hand-written rather than a
//! markdown crate: the subset is small, and what it must produce (man(7)
//! macros, every character safe for troff) is not what a markdown library
//! gives (HTML or an event stream still to be turned into roff).

/// The body of a man page (everything after `.TH` and NAME) from markdown.
/// The first `# ` heading is left out (the page's NAME says it); text
/// before the first `## ` goes under DESCRIPTION.
pub fn body(markdown: &str) -> String {
    let mut out = String::from(".SH DESCRIPTION\n");
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with("# ") {
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            out.push_str(&format!(".SH {}\n", text(&title.to_uppercase())));
        } else if let Some(title) = line.strip_prefix("### ") {
            out.push_str(&format!(".SS {}\n", text(title)));
        } else if line.trim_start().starts_with("```") {
            out.push_str(".PP\n.RS 4\n.nf\n");
            for code in lines.by_ref() {
                if code.trim_start().starts_with("```") {
                    break;
                }
                out.push_str(&verbatim(code));
                out.push('\n');
            }
            out.push_str(".fi\n.RE\n");
        } else if line.starts_with('|') {
            let mut rows = vec![line];
            while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
                rows.push(row);
            }
            table(&rows, &mut out);
        } else if let Some(first) = line.strip_prefix("- ") {
            // A list item runs on over its indented continuation lines.
            let mut item = first.to_string();
            while let Some(more) = lines.next_if(|l| l.starts_with("  ") && !l.trim().is_empty()) {
                item.push(' ');
                item.push_str(more.trim());
            }
            out.push_str(&format!(".IP \\(bu 2\n{}\n", text(&item)));
        } else {
            let mut para = line.trim().to_string();
            while let Some(more) = lines.next_if(|l| continues_paragraph(l)) {
                para.push(' ');
                para.push_str(more.trim());
            }
            out.push_str(&format!(".PP\n{}\n", text(&para)));
        }
    }
    out
}

/// A line that carries a paragraph on, rather than starting a block.
fn continues_paragraph(line: &str) -> bool {
    let start = line.trim_start();
    !(start.is_empty()
        || line.starts_with('#')
        || line.starts_with('|')
        || line.starts_with("- ")
        || start.starts_with("```"))
}

/// A table as plain text: each row a tagged paragraph, its first cell the
/// tag and the other cells as `header: value` lines (a man page has no
/// room for columns of prose).
fn table(rows: &[&str], out: &mut String) {
    let cells = |row: &str| -> Vec<String> {
        let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
        inner.split('|').map(|c| c.trim().to_string()).collect()
    };
    let header = cells(rows[0]);
    let is_rule = |row: &str| row.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
    for row in rows.iter().skip(1).filter(|r| !is_rule(r)) {
        let row = cells(row);
        out.push_str(&format!(".TP\n\\fB{}\\fR\n", text(&row[0])));
        let mut first = true;
        for (name, value) in header.iter().zip(&row).skip(1) {
            if value.is_empty() {
                continue;
            }
            if !first {
                out.push_str(".br\n");
            }
            first = false;
            out.push_str(&format!("{}: {}\n", text(name), text(value)));
        }
    }
}

/// Running text: markdown's inline marks as font changes, links as their
/// text (a web address kept after it), every character made safe.
pub fn text(markdown: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut rest = markdown;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                out.push_str(&format!("\\fB{}\\fR", escape(&after[..end])));
                if bold {
                    out.push_str("\\fB");
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            bold = !bold;
            out.push_str(if bold { "\\fB" } else { "\\fR" });
            rest = after;
            continue;
        }
        if let Some((emphasised, after)) = emphasis(rest) {
            out.push_str(&format!("\\fI{}\\fR", text(emphasised)));
            if bold {
                out.push_str("\\fB");
            }
            rest = after;
            continue;
        }
        if let Some((label, target, after)) = link(rest) {
            out.push_str(&text(label));
            if target.starts_with("http") {
                out.push_str(&format!(" <{}>", escape(target)));
            }
            rest = after;
            continue;
        }
        out.push_str(&escape(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    if bold {
        out.push_str("\\fR");
    }
    // A line starting with a control character would be read as a request.
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// `*words*` at the start of `s` (one star, not a list's or bold's): the
/// words and what follows.
fn emphasis(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('*')?;
    if inner.starts_with(['*', ' ']) {
        return None;
    }
    let end = inner.find('*')?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// `[label](target)` at the start of `s`: label, target and what follows.
fn link(s: &str) -> Option<(&str, &str, &str)> {
    let after_open = s.strip_prefix('[')?;
    let close = after_open.find("](")?;
    let label = &after_open[..close];
    let target_and_rest = &after_open[close + 2..];
    let end = target_and_rest.find(')')?;
    if label.contains('[') || target_and_rest[..end].contains(' ') {
        return None;
    }
    Some((label, &target_and_rest[..end], &target_and_rest[end + 1..]))
}

/// A code line, set as written: escaped, and guarded against reading as a
/// request.
fn verbatim(line: &str) -> String {
    let line = escape(line);
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}

/// Characters troff would read as markup made literal: the escape
/// character, hyphens (so options stay minus signs that copy and paste),
/// and anything outside ASCII as a Unicode escape, whatever the reader's
/// input encoding.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_code_and_tables_become_man_macros() {
        let md = "# Title\n\nIntro `--root` and **bold**.\n\n## Keys\n\n### One\n\n- an item\n  going on\n\n```sh\n.hidden -x\n```\n\n| kind | fields |\n|---|---|\n| `file` | `path` |\n";
        let roff = body(md);
        assert_eq!(
            roff,
            ".SH DESCRIPTION\n.PP\nIntro \\fB\\-\\-root\\fR and \\fBbold\\fR.\n\
             .SH KEYS\n.SS One\n.IP \\(bu 2\nan item going on\n\
             .PP\n.RS 4\n.nf\n\\&.hidden \\-x\n.fi\n.RE\n\
             .TP\n\\fB\\fBfile\\fR\\fR\nfields: \\fBpath\\fR\n"
        );
    }

    #[test]
    fn links_keep_their_text_and_web_addresses() {
        assert_eq!(text("[the plan](plan.md) here"), "the plan here");
        assert_eq!(text("see [x](https://a.b)"), "see x <https://a.b>");
        assert_eq!(text("*Trust*: x"), "\\fITrust\\fR: x");
    }

    #[test]
    fn nothing_reads_as_a_request_or_an_escape() {
        assert_eq!(text(".x"), "\\&.x");
        assert_eq!(escape("a\\b → c"), "a\\eb \\[u2192] c");
    }
}
