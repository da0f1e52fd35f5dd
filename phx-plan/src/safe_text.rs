//! Text that is safe to put in a line: shared by the loader (every string
//! of the configuration) and secret references (the values they fetch).

/// True when a string cannot break out of its line, or act, in a generated
/// file, an argv or a terminal showing a diff: no C0 or C1 control (line
/// feed, VT, FF, ESC, NEL U+0085…), no DEL, no Unicode line or paragraph
/// separator (U+2028/2029, line breaks to Perl and JavaScript), no byte
/// order mark (U+FEFF, invisible and refused by LXC's parser as a key).
pub fn line_safe(s: &str) -> bool {
    // Printable ASCII is the common case, checked without an early exit so the
    // loop vectorises; only other text needs the char walk.
    let printable = s.bytes().fold(true, |ok, b| ok & (0x20..0x7f).contains(&b));
    printable || !s.chars().any(is_unsafe_char)
}

pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}
