//! Where a key given twice stands in the document's text: the loader reads
//! through serde, which does not say where it is, so once a duplicate has
//! been found (rarely) the text is walked again for the lines of every
//! occurrence of the duplicated keys.

use super::dup::VALUE;
use super::path::join_key;
use super::problems::Problems;
use std::collections::HashMap;

/// Adds the lines of each occurrence to the duplicate-key problems of
/// `problems` from document `file`, whose text is `text` starting at line
/// `first_line` (a document of a stdin stream starts further down).
pub fn annotate(problems: &mut Problems, file: &str, text: &str, first_line: usize) {
    let wanted: Vec<String> = problems
        .list
        .iter()
        .filter(|p| p.file == file && p.value == VALUE)
        .map(|p| p.path.clone())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let lines = key_lines(text, &wanted);
    for p in problems.list.iter_mut() {
        if p.file != file || p.value != VALUE {
            continue;
        }
        if let Some(at) = lines.get(&p.path).filter(|l| l.len() > 1) {
            let at: Vec<String> = at
                .iter()
                .map(|l| (l + first_line + 1).to_string())
                .collect();
            p.value = format!("(duplicate key, lines {})", at.join(" and "));
        }
    }
}

/// The lines (counted from 0) where each key whose path is in `wanted` occurs.
fn key_lines(text: &str, wanted: &[String]) -> HashMap<String, Vec<usize>> {
    let mut found: HashMap<String, Vec<usize>> = HashMap::new();
    // The path of each open container, and for arrays the next index.
    let mut stack: Vec<(String, Option<usize>)> = Vec::new();
    // The path the next value gets (after a key, or an array's next item).
    let mut pending: Option<String> = Some(String::new());
    let bytes = text.as_bytes();
    let mut line = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => {
                let path = value_path(&mut stack, &mut pending);
                stack.push((path, (bytes[i] == b'[').then_some(0)));
            }
            b'}' | b']' => {
                stack.pop();
            }
            b'"' => {
                let end = string_end(bytes, i);
                let is_key = matches!(stack.last(), Some((_, None))) && pending.is_none();
                if is_key {
                    let key: String = serde_json::from_str(&text[i..end]).unwrap_or_default();
                    let parent = &stack.last().expect("inside an object").0;
                    let path = join_key(parent, &key);
                    if wanted.contains(&path) {
                        found.entry(path.clone()).or_default().push(line);
                    }
                    pending = Some(path);
                } else {
                    value_path(&mut stack, &mut pending);
                }
                i = end;
                continue;
            }
            b',' | b':' | b' ' | b'\t' | b'\r' => {}
            _ => {
                // A number, true, false or null: one value.
                value_path(&mut stack, &mut pending);
                while i < bytes.len() && !b",]}\n \t\r".contains(&bytes[i]) {
                    i += 1;
                }
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The path of the value starting here: after a key, the key's path; in an
/// array, the next item's.
fn value_path(stack: &mut [(String, Option<usize>)], pending: &mut Option<String>) -> String {
    if let Some(p) = pending.take() {
        return p;
    }
    match stack.last_mut() {
        Some((path, Some(next))) => {
            let p = format!("{path}[{next}]");
            *next += 1;
            p
        }
        _ => String::new(),
    }
}

/// The index just past the string starting at `start` (a '"').
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_occurrence_is_found_on_its_line() {
        let text =
            "{\"a\": [1, {\"k\": 1,\n \"k\": [\"x\"]}],\n\"b\\\"\": {\"a\": 2},\n\"b\\\"\": 3}";
        let wanted = ["a[1].k".to_string(), "\"b\\\"\"".to_string()];
        let lines = key_lines(text, &wanted);
        assert_eq!(lines["a[1].k"], [0, 1]);
        assert_eq!(lines[&wanted[1]], [2, 3]);
        assert_eq!(lines.len(), 2);
    }
}
