//! Duplicate keys. A JSON reader keeps the last of two equal keys in one
//! object and drops the first without a word: a repeated CTID dropped a
//! whole container, even with `--strict`. Every object the loader reads
//! notes the keys it meets a second time: a section (`section!`) in a bit
//! per known key, named entries (`raw::EachEntry`) and values skipped
//! unread ([`SkipChecked`]) in a [`KeyLog`]. The reader then reports each
//! at its JSON path, a problem like any other (exit 2).

use super::path::join_key;
use crate::fast_hash::FastSet;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// One step of a path below the object that found a duplicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A key given twice in one object: the path from the section that read
/// the object down to it (`below`, empty for the section itself), and the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub below: Vec<Step>,
    pub key: String,
}

/// A duplicate's problem's value (`dup_lines` adds the lines).
pub const VALUE: &str = "(duplicate key)";

/// What a duplicate's problem expects.
pub const EXPECTED: &str = "each key once in its object: this key is given more than once here, and a JSON reader keeps only the last (the others would be dropped without a word)";

impl Duplicate {
    pub fn key(key: &str) -> Self {
        Duplicate {
            below: Vec::new(),
            key: key.to_string(),
        }
    }

    /// The same duplicate seen from one level up.
    pub fn under(mut self, step: Step) -> Self {
        self.below.insert(0, step);
        self
    }

    /// Its JSON path, below `at` (a rendered path, empty at the root).
    pub fn path(&self, at: &str) -> String {
        let mut path = at.to_string();
        for step in &self.below {
            match step {
                Step::Key(k) => path = join_key(&path, k),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        join_key(&path, &self.key)
    }
}

/// What a section did not read: the keys skipped (quiet or unknown), the
/// unknown ones for their warning, and the keys met twice.
#[derive(Debug, Default)]
pub struct Unread {
    skipped: Vec<String>,
    pub unknown: Vec<String>,
    pub duplicates: Vec<Duplicate>,
}

impl Unread {
    /// Notes `key` met twice in a section (rare: kept out of line).
    #[cold]
    #[inline(never)]
    pub fn add_duplicate(unread: &mut Option<Box<Unread>>, key: &str) {
        let u = unread.get_or_insert_with(Default::default);
        u.duplicates.push(Duplicate::key(key));
    }

    /// `key` was skipped unread; `below`, the duplicates found in its value.
    pub fn skipped(&mut self, key: String, quiet: bool, below: Vec<Duplicate>) {
        let at = || Step::Key(key.clone());
        self.duplicates
            .extend(below.into_iter().map(|d| d.under(at())));
        if self.skipped.contains(&key) {
            self.duplicates.push(Duplicate::key(&key));
        } else {
            if !quiet {
                self.unknown.push(key.clone());
            }
            self.skipped.push(key);
        }
    }
}

/// The position of `key` in `keys`, for `section!`'s bit per known key;
/// evaluated at compile time, where a key missing from `keys` fails the build.
pub const fn key_index(keys: &[&str], key: &str) -> usize {
    let mut i = 0;
    while i < keys.len() {
        if same(keys[i].as_bytes(), key.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("a section's key is missing from its KEYS")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The keys met so far in one object, borrowed from the document where it
/// has no escapes: a list while short, a hash set once long (`lxc_configs`
/// has one key per container).
#[derive(Default)]
pub struct KeyLog<'de> {
    short: Vec<Cow<'de, str>>,
    long: FastSet<Cow<'de, str>>,
}

/// Past this many keys a list scan costs more than hashing.
const SHORT: usize = 16;

impl<'de> KeyLog<'de> {
    /// True the first time `key` is met.
    #[allow(clippy::ptr_arg)] // a borrowed Cow is kept as it is, unallocated
    pub fn first(&mut self, key: &Cow<'de, str>) -> bool {
        if self.long.is_empty() {
            if self.short.iter().any(|k| k == key) {
                return false;
            }
            if self.short.len() < SHORT {
                self.short.push(key.clone());
                return true;
            }
            self.long.extend(self.short.drain(..));
        }
        self.long.insert(key.clone())
    }
}

/// A value Phoenix does not read, skipped without being built, but with
/// the duplicate keys of its objects noted (paths relative to the value).
pub struct SkipChecked;

impl<'de> DeserializeSeed<'de> for SkipChecked {
    type Value = Vec<Duplicate>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SkipChecked {
    type Value = Vec<Duplicate>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        let mut i = 0;
        while let Some(below) = seq.next_element_seed(SkipChecked)? {
            found.extend(below.into_iter().map(|d| d.under(Step::Index(i))));
            i += 1;
        }
        Ok(found)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        let mut keys = KeyLog::default();
        while let Some(k) = map.next_key::<Key>()? {
            if !keys.first(&k.0) {
                found.push(Duplicate::key(&k.0));
            }
            let below = map.next_value_seed(SkipChecked)?;
            found.extend(
                below
                    .into_iter()
                    .map(|d| d.under(Step::Key(k.0.to_string()))),
            );
        }
        Ok(found)
    }
}

/// An object key, borrowed from the file's bytes when it has no escapes
/// (here, below `raw`, which reads keys as this module does).
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_value_notes_its_duplicates_at_their_paths() {
        let text = r#"{"a": 1, "b": [{"x": 1, "x": 2}], "a": {"c": {"d": 1, "d": 2}}}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let found = SkipChecked.deserialize(&mut de).unwrap();
        let paths: Vec<String> = found.iter().map(|d| d.path("tests")).collect();
        assert_eq!(paths, ["tests.b[0].x", "tests.a", "tests.a.c.d"]);
    }

    #[test]
    fn the_key_log_finds_repeats_in_short_and_long_objects() {
        let mut log = KeyLog::default();
        let keys: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        for k in &keys {
            assert!(log.first(&Cow::Borrowed(k.as_str())));
        }
        for k in ["0", "15", "16", "99"] {
            assert!(!log.first(&Cow::Borrowed(k)), "{k}");
        }
    }

    #[test]
    fn key_indices_are_found_at_compile_time() {
        const I: usize = key_index(&["a", "bb", "b"], "b");
        assert_eq!(I, 2);
    }
}
