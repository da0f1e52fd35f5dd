//! Text that is safe to put in a line: shared by the loader (every string
//! of the configuration) and secret references (the values they fetch).

/// True when a string cannot break out of its line, act, or read otherwise
/// than it is, in a generated file, an argv or a terminal showing a diff: no
/// C0 or C1 control (line feed, VT, FF, ESC, NEL U+0085…), no DEL, no
/// Unicode line or paragraph separator (U+2028/2029, line breaks to Perl and
/// JavaScript), and no format character (category Cf): the bidi controls
/// U+202A–202E and U+2066–2069 reorder what a terminal or an editor shows
/// (`/mnt/\u{202e}lss/` reads as another path), zero-width ones hide
/// characters, and the byte order mark U+FEFF is refused by LXC's parser
/// as a key.
pub fn line_safe(s: &str) -> bool {
    // Printable ASCII is the common case, checked without an early exit so the
    // loop vectorises; only other text needs the char walk.
    let printable = s.bytes().fold(true, |ok, b| ok & (0x20..0x7f).contains(&b));
    printable || !s.chars().any(is_unsafe_char)
}

pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format_char(c)
}

/// Unicode's format characters (general category Cf, Unicode 15.1).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}'
        | '\u{890}'..='\u{891}' | '\u{8E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}
