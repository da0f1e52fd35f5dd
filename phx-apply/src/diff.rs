//! Unified diffs for `--diff`: made plain (they are kept in the report and
//! its JSON), coloured only when printed to a terminal. A file that does not
//! exist on one side is `/dev/null` there, as `diff -N` and git show it.

use crate::color::{Paint, BOLD, CYAN, GREEN, RED};
use similar::TextDiff;

/// What the two header lines name: a side that is absent is `/dev/null`.
fn headers(old_name: &str, new_name: &str, old: bool, new: bool) -> (String, String) {
    (
        if old {
            old_name.into()
        } else {
            "/dev/null".into()
        },
        if new {
            new_name.into()
        } else {
            "/dev/null".into()
        },
    )
}

/// The diff of a file named `old_name`/`new_name`; `None` is a missing side.
pub fn named(old_name: &str, new_name: &str, old: Option<&str>, new: Option<&str>) -> String {
    let (a, b) = headers(old_name, new_name, old.is_some(), new.is_some());
    TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// A host file's diff (`a/etc/x` → `b/etc/x`).
pub fn host(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    named(&format!("a{path}"), &format!("b{path}"), old, new)
}

/// A secret's diff: that it changes, never what.
pub fn secret(old_name: &str, new_name: &str, old_exists: bool) -> String {
    let (a, b) = headers(old_name, new_name, old_exists, true);
    format!("--- {a}\n+++ {b}\n<secret>\n")
}

/// A host secret file's diff.
pub fn host_secret(path: &str, old_exists: bool) -> String {
    secret(&format!("a{path}"), &format!("b{path}"), old_exists)
}

/// A host secret file's removal: that it goes, never what it held.
pub fn host_secret_removed(path: &str) -> String {
    let (a, b) = headers(&format!("a{path}"), "", true, false);
    format!("--- {a}\n+++ {b}\n<secret>\n")
}

/// `diff` with headers bold, hunk lines cyan, removals red and additions green.
pub fn colour(diff: &str, paint: Paint) -> String {
    if !paint.on() {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let sgr = if body.starts_with("--- ") || body.starts_with("+++ ") {
            Some(BOLD)
        } else if body.starts_with("@@") {
            Some(CYAN)
        } else if body.starts_with('-') {
            Some(RED)
        } else if body.starts_with('+') {
            Some(GREEN)
        } else {
            None
        };
        match sgr {
            Some(s) => out.push_str(&paint.paint(s, body)),
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_diffed_against_dev_null_and_a_removed_one_to_it() {
        let d = host("/etc/a", None, Some("x\n"));
        assert!(d.starts_with("--- /dev/null\n+++ b/etc/a\n"), "{d}");
        let d = host("/etc/a", Some("x\n"), None);
        assert!(d.starts_with("--- a/etc/a\n+++ /dev/null\n"), "{d}");
        assert!(host_secret("/k", false).starts_with("--- /dev/null\n"));
        assert_eq!(
            host_secret_removed("/k"),
            "--- a/k\n+++ /dev/null\n<secret>\n"
        );
    }

    #[test]
    fn colour_marks_each_kind_of_line_and_keeps_the_text() {
        let d = host("/etc/a", Some("old\nsame\n"), Some("new\nsame\n"));
        let c = colour(&d, Paint(true));
        assert!(c.contains("\x1b[31m-old\x1b[0m\n"), "{c}");
        assert!(c.contains("\x1b[32m+new\x1b[0m\n"), "{c}");
        assert!(c.contains("\x1b[1m--- a/etc/a\x1b[0m\n"), "{c}");
        assert!(c.contains("\n same\n"), "context stays plain: {c}");
        assert_eq!(colour(&d, Paint(false)), d);
    }
}
