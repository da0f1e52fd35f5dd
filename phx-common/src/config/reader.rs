//! Typed reads of the raw sections that record a problem instead of failing,
//! each at its JSON path (`config::path`), so one run reports every mistake.

use super::dup::{self, Duplicate, Unread};
use super::options::{Options, Rules};
pub use super::path::{join_key, At};
use super::problems::Problems;
use super::raw::{show_str, Entries, List, Obj, Scalar, Section};
use super::suggest::nearest;
use ipnet::Ipv4Net;
use phx_plan::safe_text::line_safe;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// Typed reads that record a problem instead of failing.
pub struct Reader<'p> {
    pub problems: &'p mut Problems,
    /// The document being read, as problems name it.
    pub file: &'p str,
    /// Unknown keys are problems, not warnings (`--strict`).
    pub strict: bool,
    /// Whether firewall rules are kept in the model or only checked.
    pub rules: Rules,
    /// `file`, shared by the model items that keep it (rules, DNS records:
    /// 100,000 of them at 10,000 guests).
    pub shared_file: Option<Arc<str>>,
}

impl<'p> Reader<'p> {
    pub fn new(problems: &'p mut Problems, file: &'p str, strict: bool) -> Self {
        Reader {
            problems,
            file,
            strict,
            rules: Rules::Keep,
            shared_file: None,
        }
    }

    /// A reader of document `file` as the load's options say.
    pub fn of(problems: &'p mut Problems, file: &'p Arc<str>, opts: Options) -> Self {
        let mut r = Reader::new(problems, file, opts.strict);
        r.rules = opts.rules;
        r.shared_file = Some(file.clone());
        r
    }

    /// The document's name, for a model item that keeps it.
    pub fn file_name(&self) -> Arc<str> {
        self.shared_file
            .clone()
            .unwrap_or_else(|| Arc::from(self.file))
    }

    /// Reports the keys of the section at `at` given twice (problems), and
    /// those Phoenix does not read: a warning naming the nearest known key
    /// (a problem with `--strict`).
    pub fn unknown_keys<S: Section>(&mut self, at: &At, s: &mut S) {
        let Some(unread) = s.take_unread() else {
            return;
        };
        let Unread {
            unknown,
            duplicates,
            ..
        } = *unread;
        self.duplicates(at, duplicates);
        for key in unknown {
            let hint = match nearest(&key, &S::known_keys()) {
                Some(k) => format!("did you mean {k}?"),
                None => "Phoenix does not read it".to_string(),
            };
            let key_at = at.key(&key);
            if self.strict {
                self.push(
                    &key_at,
                    "(unknown key)",
                    format!("a key Phoenix reads here; {hint} (--strict)"),
                );
            } else {
                self.problems.warn(format!(
                    "{}: {}: unknown key, ignored; {hint}",
                    self.file,
                    key_at.path()
                ));
            }
        }
    }

    /// Reports the keys of the section at `at` given twice, and nothing of
    /// the keys it does not read (a section whose other keys are not Phoenix's).
    pub fn repeated_keys<S: Section>(&mut self, at: &At, s: &mut S) {
        if let Some(unread) = s.take_unread() {
            self.duplicates(at, unread.duplicates);
        }
    }

    /// Keys given twice in the object at `at` or below it (`config::dup`).
    #[inline]
    pub fn duplicates(&mut self, at: &At, found: Vec<Duplicate>) {
        if !found.is_empty() {
            self.report_duplicates(at, found);
        }
    }

    #[cold]
    fn report_duplicates(&mut self, at: &At, found: Vec<Duplicate>) {
        let base = at.render();
        for d in found {
            self.problems
                .push(self.file, &d.path(&base), dup::VALUE, dup::EXPECTED);
        }
    }

    /// A problem at `at`: the value as shown, what was expected.
    pub fn push(&mut self, at: &At, value: impl Into<String>, expected: impl Into<String>) {
        self.problems.push(self.file, &at.path(), value, expected);
    }

    pub fn bad(&mut self, at: &At, v: &Scalar, expected: impl Into<String>) {
        self.push(at, v.show(), expected);
    }

    /// A required key that is absent.
    pub fn missing(&mut self, at: &At, key: &str, expected: impl Into<String>) {
        self.push(&at.key(key), "(missing)", expected);
    }

    // ---- combinators: one key of a section ---------------------------------

    /// An optional key: `f` reads it when present.
    pub fn opt<T, U>(
        &mut self,
        at: &At,
        key: &str,
        v: Option<T>,
        f: impl FnOnce(&mut Self, &At, T) -> Option<U>,
    ) -> Option<U> {
        v.and_then(|v| f(self, &at.key(key), v))
    }

    /// A required key: `f` reads it, or its absence is a problem expecting `expected`.
    pub fn req<T, U>(
        &mut self,
        at: &At,
        key: &str,
        v: Option<T>,
        expected: &str,
        f: impl FnOnce(&mut Self, &At, T) -> Option<U>,
    ) -> Option<U> {
        match v {
            Some(v) => f(self, &at.key(key), v),
            None => {
                self.missing(at, key, expected);
                None
            }
        }
    }

    /// A required string key that `ok` accepts; absent or refused, a problem
    /// expecting `expected`.
    pub fn req_token(
        &mut self,
        at: &At,
        key: &str,
        v: Option<Scalar>,
        ok: fn(&str) -> bool,
        expected: &str,
    ) -> Option<String> {
        self.req(at, key, v, &format!("{expected} (required)"), |r, at, v| {
            r.token(at, v, ok, expected)
        })
    }

    /// An object section at `at` (its unknown keys reported), or a problem.
    pub fn obj<T: Section, U>(
        &mut self,
        at: &At,
        v: Obj<T>,
        f: impl FnOnce(&mut Self, T) -> U,
    ) -> Option<U> {
        match v {
            Obj::Ok(mut s) => {
                self.unknown_keys(at, &mut *s);
                Some(f(self, *s))
            }
            Obj::Bad(shown) => {
                self.push(at, shown, "an object");
                None
            }
        }
    }

    /// Every item of an array at `at` that `f` accepts; not an array is a problem.
    pub fn each<T, U>(
        &mut self,
        at: &At,
        v: List<T>,
        mut f: impl FnMut(&mut Self, &At, T) -> Option<U>,
    ) -> Vec<U> {
        match v {
            List::Items(items) => {
                let mut out = Vec::with_capacity(items.len());
                let base = at.render();
                let base = At::rendered(&base);
                // Each item is dropped once checked: raw and model are not both whole.
                for (i, x) in items.into_iter().enumerate() {
                    out.extend(f(self, &base.index(i), x));
                }
                out
            }
            List::One(s) => {
                self.bad(at, &s, "an array");
                Vec::new()
            }
        }
    }

    /// Every entry of an object of named entries at `at`; not an object is a problem.
    pub fn entries<T>(
        &mut self,
        at: &At,
        v: Entries<T>,
        mut f: impl FnMut(&mut Self, &At, String, T),
    ) {
        match v {
            Entries::Items(items, duplicates) => {
                self.duplicates(at, duplicates);
                let base = at.render();
                let base = At::rendered(&base);
                for (k, x) in items {
                    self.entry(&base, k, x, &mut f);
                }
            }
            Entries::Bad(shown) => self.push(at, shown, "an object"),
        }
    }

    /// One entry `k` of the object at `at` (rendered): handed to `f` when
    /// the key cannot break a line of a generated file, a problem otherwise.
    pub fn entry<T>(
        &mut self,
        at: &At,
        k: String,
        x: T,
        f: impl FnOnce(&mut Self, &At, String, T),
    ) {
        let key_at = at.key(&k);
        if line_safe(&k) {
            f(self, &key_at, k.clone(), x)
        } else {
            self.push(
                &key_at,
                show_str(&k),
                "a key without line breaks or control characters",
            );
        }
    }

    // ---- leaves --------------------------------------------------------------

    pub fn str(&mut self, at: &At, v: Scalar) -> Option<String> {
        match v {
            Scalar::Str(s) if line_safe(&s) => Some(s),
            Scalar::Str(_) => {
                self.bad(at, &v, "a single-line string without control characters (line breaks — \\n, \\r, VT, FF, NEL, U+2028/2029 — NUL, ESC or DEL would inject lines or commands into generated files and terminals) or format characters (bidi controls U+202A-202E/U+2066-2069, zero-width characters or a BOM would show it as something else)");
                None
            }
            _ => {
                self.bad(at, &v, "a string");
                None
            }
        }
    }

    /// A string, or a number written as given (firewall fields: `"port": 22`).
    pub fn text(&mut self, at: &At, v: Scalar) -> Option<String> {
        match v {
            Scalar::Num(n) => Some(n.to_string()),
            v => self.str(at, v),
        }
    }

    /// A string that `ok` accepts, or a problem expecting `expected`.
    pub fn token(
        &mut self,
        at: &At,
        v: Scalar,
        ok: fn(&str) -> bool,
        expected: &str,
    ) -> Option<String> {
        let s = self.str(at, v)?;
        if ok(&s) {
            Some(s)
        } else {
            self.push(at, show_str(&s), expected);
            None
        }
    }

    /// Integers may be numbers or numeric strings (`"900"` and `9000` both occur in real files).
    pub fn int(&mut self, at: &At, v: Scalar, min: u64, max: u64) -> Option<u64> {
        let got = match &v {
            Scalar::Num(x) => x.as_u64(),
            Scalar::Str(s) if !s.trim().is_empty() => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match got {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => {
                self.bad(at, &v, format!("an integer from {min} to {max}"));
                None
            }
        }
    }

    pub fn bool(&mut self, at: &At, v: Scalar) -> Option<bool> {
        match &v {
            Scalar::Bool(b) => Some(*b),
            Scalar::Num(x) if x.as_u64() == Some(0) => Some(false),
            Scalar::Num(x) if x.as_u64() == Some(1) => Some(true),
            _ => {
                self.bad(at, &v, "true or false");
                None
            }
        }
    }

    pub fn ipv4(&mut self, at: &At, v: Scalar) -> Option<Ipv4Addr> {
        self.ipv4_text(at, v).map(|(ip, _)| ip)
    }

    /// An IPv4 address and the text it was written as, for a later message.
    pub fn ipv4_text(&mut self, at: &At, v: Scalar) -> Option<(Ipv4Addr, String)> {
        self.parsed(at, v, |s| s.parse().ok(), "an IPv4 address")
    }

    pub fn ip(&mut self, at: &At, v: Scalar) -> Option<IpAddr> {
        self.parsed(at, v, |s| s.parse().ok(), "an IP address")
            .map(|(ip, _)| ip)
    }

    /// An address with its prefix length (`10.0.0.13/24`); host bits allowed.
    pub fn ipv4_cidr(&mut self, at: &At, v: Scalar) -> Option<Ipv4Net> {
        self.ipv4_cidr_text(at, v).map(|(net, _)| net)
    }

    /// An IPv4 CIDR and the text it was written as, for a later message.
    pub fn ipv4_cidr_text(&mut self, at: &At, v: Scalar) -> Option<(Ipv4Net, String)> {
        self.parsed(
            at,
            v,
            parse_ipv4_cidr,
            "an IPv4 CIDR (address/prefix, prefix 0-32)",
        )
    }

    fn parsed<T>(
        &mut self,
        at: &At,
        v: Scalar,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> Option<(T, String)> {
        let s = self.str(at, v)?;
        match parse(&s) {
            Some(x) => Some((x, s)),
            None => {
                self.push(at, show_str(&s), expected);
                None
            }
        }
    }

    /// A list of strings, each handed to `f` at its own path. A single string
    /// is read as a list split on `seps` (`"nameservers": "8.8.8.8"` in the
    /// real files); its parts are reported at the string's path.
    pub fn str_items<U>(
        &mut self,
        at: &At,
        v: List<Scalar>,
        seps: &[char],
        mut f: impl FnMut(&mut Self, &At, String) -> Option<U>,
    ) -> Vec<U> {
        match v {
            List::Items(items) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, x)| {
                    let at = at.index(i);
                    let s = self.str(&at, x)?;
                    f(self, &at, s)
                })
                .collect(),
            List::One(s @ Scalar::Str(_)) => match self.str(at, s) {
                Some(s) => s
                    .split(|c| seps.contains(&c))
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .filter_map(|p| f(self, at, p.to_string()))
                    .collect(),
                None => Vec::new(),
            },
            List::One(other) => {
                self.bad(at, &other, "a list of strings");
                Vec::new()
            }
        }
    }

    /// A list of strings (or one string split on `seps`), kept as written.
    pub fn strs(&mut self, at: &At, v: List<Scalar>, seps: &[char]) -> Vec<String> {
        self.str_items(at, v, seps, |_, _, s| Some(s))
    }
}

pub fn parse_ipv4_cidr(s: &str) -> Option<Ipv4Net> {
    let (addr, prefix) = s.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Ipv4Net::new(addr, prefix.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters() {
        for c in [
            '\n',
            '\r',
            '\0',
            '\t',
            '\u{0B}',
            '\u{0C}',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{9B}',
            '\u{2028}',
            '\u{2029}',
            '\u{FEFF}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200F}',
            '\u{AD}',
            '\u{E0041}',
        ] {
            assert!(!line_safe(&format!("a{c}b")), "{c:?}");
        }
        assert!(line_safe("Grüße, 10.0.0.1/24 — ok"));
    }
}
