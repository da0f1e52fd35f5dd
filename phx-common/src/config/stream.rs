//! A document parsed with its LXC entries handed out one by one, as serde
//! reaches them. The LXC file is the inventory's largest (10 MB at 10,000
//! guests); collected whole, its raw entries (about 1.5 KB each) and the
//! model built from them were alive at once, and that was the load's peak
//! memory. Handed out, each raw entry is checked and dropped before the next
//! is read.

use super::parse::document::Document;
use super::parse::lxc::RawLxc;
use super::raw::{leaf_visits, shown_seq, Entries, Key, Obj, Scalar};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Where the entries of `lxc_configs` go: key and raw entry, in file order.
pub type LxcSink<'s> = dyn FnMut(String, Obj<RawLxc>) + 's;

/// Reads one document; `lxc_configs` entries go to the sink, and the
/// document keeps an empty `lxc_configs` (or the text of a value that is not
/// an object, for its message).
pub struct DocSeed<'a, 's> {
    pub lxc: &'a mut LxcSink<'s>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = Obj<Document>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = Obj<Document>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    leaf_visits!(|s: Scalar| Obj::Bad(s.show()));

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        shown_seq(seq).map(Obj::Bad)
    }

    // `section!`'s reading of `Document`, but for `lxc_configs`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut doc = Document::default();
        while let Some(k) = map.next_key::<Key>()? {
            if k.0 == "lxc_configs" {
                doc.lxc_configs = map.next_value_seed(EntriesSeed {
                    sink: &mut *self.lxc,
                })?;
            } else {
                doc.take_key(k, &mut map)?;
            }
        }
        Ok(Obj::Ok(Box::new(doc)))
    }
}

/// `lxc_configs` as `raw::read` reads it (`null` is absent), its entries sent
/// to the sink instead of kept.
struct EntriesSeed<'a, 's> {
    sink: &'a mut LxcSink<'s>,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = Option<Entries<Obj<RawLxc>>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = Option<Entries<Obj<RawLxc>>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(EntryMap(self)).map(Some)
    }
}

/// The value of `lxc_configs` once it is known not to be `null`.
struct EntryMap<'a, 's>(EntriesSeed<'a, 's>);

impl<'de> Visitor<'de> for EntryMap<'_, '_> {
    type Value = Entries<Obj<RawLxc>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    leaf_visits!(|s: Scalar| Entries::Bad(s.show()));

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        shown_seq(seq).map(Entries::Bad)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while let Some(k) = map.next_key::<Key>()? {
            let entry = map.next_value()?;
            (self.0.sink)(k.0.into_owned(), entry);
        }
        Ok(Entries::Items(Vec::new()))
    }
}
