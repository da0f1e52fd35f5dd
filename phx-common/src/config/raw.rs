//! The documents as serde reads them, before any check: every key Phoenix
//! knows becomes a typed field straight from the file's bytes, no
//! `serde_json::Value` tree in between. Nothing here can fail on a wrong
//! type: a value of the wrong shape is kept as its JSON text (`Bad`), so the
//! checks in `parse/` still report every problem at once, with its path.
//!
//! A section is declared with [`section!`](crate::section!): its known keys become fields,
//! keys the original system's files carry but Phoenix does not use are
//! skipped quietly, and any other key is kept in `unknown` for a warning.

pub use super::dup::Key;
use super::dup::{Duplicate, KeyLog, Unread};
use super::problems::show;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A leaf value: what `"memory_mb": 2048`, `"memory_mb": "2048"` or
/// `"enabled": true` hold. An array or object where a leaf belongs is kept
/// as its JSON text, for the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    Other(String),
}

impl Scalar {
    /// The value as a message shows it (JSON text, at most 80 characters).
    pub fn show(&self) -> String {
        match self {
            Scalar::Str(s) => show_str(s),
            Scalar::Num(n) => cut(&n.to_string()),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Other(text) => text.clone(),
        }
    }
}

/// A string as a message shows a JSON string value.
pub fn show_str(s: &str) -> String {
    cut(&serde_json::to_string(s).unwrap_or_default())
}

fn cut(s: &str) -> String {
    if s.chars().count() > 80 {
        let head: String = s.chars().take(77).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

/// How many `serde_json::Value` trees the loader has built. These two
/// functions are the only place it builds one, and only for a value of the
/// wrong type: a valid inventory leaves this at zero (the regression test
/// `no_value_tree` holds the loader to it).
static VALUE_TREES: AtomicUsize = AtomicUsize::new(0);

pub fn value_trees_built() -> usize {
    VALUE_TREES.load(Ordering::Relaxed)
}

/// A value that has no typed home here (an array or object where something
/// else belongs), turned into its message text. Only wrong input gets here.
pub(super) fn shown_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<String, A::Error> {
    VALUE_TREES.fetch_add(1, Ordering::Relaxed);
    let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
    Ok(show(&v))
}

pub(super) fn shown_map<'de, A: MapAccess<'de>>(map: A) -> Result<String, A::Error> {
    VALUE_TREES.fetch_add(1, Ordering::Relaxed);
    let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
    Ok(show(&v))
}

/// Implements the leaf `visit_*` methods of a lenient visitor: each turns
/// its value into a `Scalar` and hands it to `$leaf`.
macro_rules! leaf_visits {
    ($leaf:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Bool(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Num(v.into())))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Num(v.into())))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($leaf(match serde_json::Number::from_f64(v) {
                Some(n) => Scalar::Num(n),
                None => Scalar::Other(v.to_string()),
            }))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Str(v.to_string())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Str(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($leaf(Scalar::Other("null".into())))
        }
    };
}
pub(super) use leaf_visits;

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            leaf_visits!(|s| s);
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
                shown_seq(seq).map(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
                shown_map(map).map(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// What a section knows about its keys (implemented by [`section!`](crate::section!)).
pub trait Section {
    /// Every key Phoenix reads in this section, for "did you mean …?".
    fn known_keys() -> Vec<&'static str>;
    /// The keys read that Phoenix does not know (not the quiet ones), and
    /// the keys met twice in this object or below it (`config::dup`):
    /// `None`, the common case, when there are neither.
    fn take_unread(&mut self) -> Option<Box<Unread>>;
}

/// A section read from a JSON object (implemented by [`section!`](crate::section!)).
pub trait FromMap<'de>: Sized {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// Where an object belongs: the section, or the JSON text of what was there.
/// Boxed: a parent then holds a pointer, not the section, so lists of
/// sections grow by pointers and each section is freed as soon as it is
/// checked.
#[derive(Debug)]
pub enum Obj<T> {
    Ok(Box<T>),
    Bad(String),
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(Plain(PhantomData::<T>)))
    }
}

/// How an object becomes its section: `FromMap`'s way (`Plain`), or a
/// reader that handles some keys as serde reaches them (`config::stream`).
pub trait ReadMap<'de> {
    type Section;
    fn read_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Section, A::Error>;
}

struct Plain<T>(PhantomData<T>);

impl<'de, T: FromMap<'de>> ReadMap<'de> for Plain<T> {
    type Section = T;
    fn read_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

/// Reads where an object belongs: the section its `ReadMap` makes, or the
/// JSON text of what was there.
pub struct ObjVisitor<R>(pub R);

impl<'de, R: ReadMap<'de>> Visitor<'de> for ObjVisitor<R> {
    type Value = Obj<R::Section>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    leaf_visits!(|s: Scalar| Obj::Bad(s.show()));
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        shown_seq(seq).map(Obj::Bad)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.read_map(map).map(|t| Obj::Ok(Box::new(t)))
    }
}

/// Where an array belongs: its items, or the JSON text of what was there.
/// With `L = Scalar`, a lone leaf is kept as `One` (`"nameservers": "8.8.8.8"`
/// is a list in the real files).
#[derive(Debug)]
pub enum List<T> {
    Items(Vec<T>),
    One(Scalar),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            leaf_visits!(List::One);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(x) = seq.next_element()? {
                    items.push(x);
                }
                Ok(List::Items(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                shown_map(map).map(|s| List::One(Scalar::Other(s)))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Where an object of named entries belongs (`lxc_configs`, `aliases`…):
/// the entries in file order, or the JSON text of what was there.
/// `Items` holds every entry, a repeated key's too, and the repeated keys.
#[derive(Debug)]
pub enum Entries<T> {
    Items(Vec<(String, T)>, Vec<Duplicate>),
    Bad(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut items = Vec::new();
        let read = d.deserialize_any(EachEntry::new(|k, v| items.push((k, v))))?;
        Ok(match read {
            EntriesRead::Object(duplicates) => Entries::Items(items, duplicates),
            EntriesRead::Not(shown) => Entries::Bad(shown),
        })
    }
}

/// What [`EachEntry`] read: an object (its repeated keys), or the JSON text
/// of what was there instead.
pub enum EntriesRead {
    Object(Vec<Duplicate>),
    Not(String),
}

/// Reads an object of named entries, handing each to `sink` in file order
/// (`Entries` keeps them; the LXC document's reader checks each as it
/// comes), a repeated key's too. The JSON text of a value that is not an
/// object, for its message.
pub struct EachEntry<T, F>(F, PhantomData<T>);

impl<T, F: FnMut(String, T)> EachEntry<T, F> {
    pub fn new(sink: F) -> Self {
        EachEntry(sink, PhantomData)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(String, T)> Visitor<'de> for EachEntry<T, F> {
    type Value = EntriesRead;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    leaf_visits!(|s: Scalar| EntriesRead::Not(s.show()));
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        shown_seq(seq).map(EntriesRead::Not)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = KeyLog::default();
        let mut duplicates = Vec::new();
        while let Some(k) = map.next_key::<Key>()? {
            if !keys.first(&k.0) {
                duplicates.push(Duplicate::key(&k.0));
            }
            let entry = map.next_value()?;
            (self.0)(k.0.into_owned(), entry);
        }
        Ok(EntriesRead::Object(duplicates))
    }
}

/// A leaf, or an object section (`aliases` values: `"10.0.0.1"` or
/// `{"cidr": …, "comment": …}`). An array is kept as its JSON text.
#[derive(Debug)]
pub enum LeafOr<T> {
    Leaf(Scalar),
    Obj(T),
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for LeafOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromMap<'de>> Visitor<'de> for V<T> {
            type Value = LeafOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            leaf_visits!(LeafOr::Leaf);
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                shown_seq(seq).map(|s| LeafOr::Leaf(Scalar::Other(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::from_map(map).map(LeafOr::Obj)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A list, or an object section that wraps one with more (an IP set as
/// `[...]` or `{"comment": …, "entries": [...]}`); a leaf is kept as its JSON text.
#[derive(Debug)]
pub enum ListOrObj<T, O> {
    Items(Vec<T>),
    Obj(Box<O>),
    Bad(String),
}

impl<'de, T: Deserialize<'de>, O: FromMap<'de>> Deserialize<'de> for ListOrObj<T, O> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, O>(PhantomData<(T, O)>);
        impl<'de, T: Deserialize<'de>, O: FromMap<'de>> Visitor<'de> for V<T, O> {
            type Value = ListOrObj<T, O>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            leaf_visits!(|s: Scalar| ListOrObj::Bad(s.show()));
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = seq.next_element()? {
                    items.push(x);
                }
                Ok(ListOrObj::Items(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                O::from_map(map).map(|o| ListOrObj::Obj(Box::new(o)))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One object section or a list of them (`traefik_service`).
#[derive(Debug)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<Obj<T>>),
    Bad(String),
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromMap<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            leaf_visits!(|s: Scalar| OneOrMany::Bad(s.show()));
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = seq.next_element()? {
                    items.push(x);
                }
                Ok(OneOrMany::Many(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::from_map(map).map(OneOrMany::One)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Reads a value into a field; `null` reads as absent, as it always has.
/// Inlined into each section's key match, where it always was before the
/// duplicate check grew the match (24 M instructions at 10,000 guests).
#[inline(always)]
pub fn read<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    map: &mut A,
    field: &mut Option<T>,
) -> Result<(), A::Error> {
    *field = map.next_value()?;
    Ok(())
}

/// A value Phoenix does not act on but notes the presence of (the
/// original's keys no tool handles: `config::unhandled` warns about them):
/// skipped without being built, its duplicate keys kept (relative to it).
#[derive(Debug, Default)]
pub struct Unused(pub Vec<Duplicate>);

impl<'de> Deserialize<'de> for Unused {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::DeserializeSeed::deserialize(super::dup::SkipChecked, d).map(Unused)
    }
}
