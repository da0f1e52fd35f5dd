//! A document parsed with its two long lists handled as serde reaches them,
//! one item at a time: the LXC entries are handed out, and the cluster
//! firewall's rules are checked. The LXC file is the inventory's largest
//! (10 MB at 10,000 guests); collected whole, its raw entries (about 1.5 KB
//! each) and the model built from them were alive at once, and that was the
//! load's peak memory. The hypervisor file's 50,000 raw rules were 30 MB.
//! Handled as they come, each raw item is dropped before the next is read.

use super::options::Options;
use super::parse::document::Document;
use super::parse::firewall::{rule, RawFirewall, RuleList};
use super::parse::lxc::RawLxc;
use super::parse::shared_volumes::RawSharedVolumes;
use super::path::{join_key, At};
use super::problems::Problems;
use super::raw::{
    leaf_visits, shown_map, EachEntry, Entries, EntriesRead, Key, List, Obj, ObjVisitor, ReadMap,
    Scalar,
};
use super::reader::Reader;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::Arc;

/// Where the entries of `lxc_configs` go: key and raw entry, in file order.
pub type LxcSink<'s> = dyn FnMut(String, Obj<RawLxc>) + 's;

/// Reads one document; `lxc_configs` entries go to the sink, and the
/// document keeps an empty `lxc_configs` (or the text of a value that is not
/// an object, for its message). The rules of `firewall` (or of
/// `shared_volumes.firewall`, where the original's files keep it) are
/// checked as `rules` says, and kept checked, with their problems.
pub struct DocSeed<'a, 's> {
    pub lxc: &'a mut LxcSink<'s>,
    pub rules: RuleCheck<'a>,
}

/// How rules read early are checked: as the document's reader would.
#[derive(Clone, Copy)]
pub struct RuleCheck<'a> {
    pub file: &'a Arc<str>,
    pub opts: Options,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = Obj<Document>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ObjVisitor(self))
    }
}

impl<'de> ReadMap<'de> for DocSeed<'_, '_> {
    type Section = Document;

    // `section!`'s reading of `Document`, but for `lxc_configs` and `firewall`.
    fn read_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut doc = Document::default();
        while let Some(k) = map.next_key::<Key>()? {
            if k.0 == "lxc_configs" {
                doc.note_key(&k.0);
                // Checked as they come: the document keeps none of them,
                // only the keys given twice.
                let read = map.next_value_seed(Nullable(EachEntry::new(&mut *self.lxc)))?;
                doc.lxc_configs = read.map(|read| match read {
                    EntriesRead::Object(duplicates) => Entries::Items(Vec::new(), duplicates),
                    EntriesRead::Not(shown) => Entries::Bad(shown),
                });
            } else if k.0 == "firewall" {
                doc.note_key(&k.0);
                doc.firewall = map.next_value_seed(Nullable(ObjVisitor(FirewallSeed(
                    self.rules,
                    TOP_FIREWALL,
                ))))?;
            } else if k.0 == "shared_volumes" {
                // Where the original's files keep the cluster firewall: its
                // rules are checked as they come there too.
                doc.note_key(&k.0);
                doc.shared_volumes =
                    map.next_value_seed(Nullable(ObjVisitor(SharedVolumesSeed(self.rules))))?;
            } else {
                doc.take_key(k, &mut map)?;
            }
        }
        Ok(doc)
    }
}

/// A value read as `raw::read` reads a field: `null` is absent, anything
/// else goes to the inner visitor.
struct Nullable<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for Nullable<V> {
    type Value = Option<V::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Nullable<V> {
    type Value = Option<V::Value>;

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
        d.deserialize_any(self.0).map(Some)
    }
}

/// The document's `shared_volumes`, as `RawSharedVolumes` reads itself,
/// but for its `firewall`, read as the top-level one is.
struct SharedVolumesSeed<'a>(RuleCheck<'a>);

impl<'de> ReadMap<'de> for SharedVolumesSeed<'_> {
    type Section = RawSharedVolumes;

    fn read_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSharedVolumes, A::Error> {
        let check = self.0;
        RawSharedVolumes::read_map(map, |map| {
            map.next_value_seed(Nullable(ObjVisitor(FirewallSeed(check, SHARED_FIREWALL))))
        })
    }
}

/// Where a cluster firewall object is: the path its rules are checked under,
/// as `parse::hypervisor` gives it to `firewall`.
const TOP_FIREWALL: &[&str] = &["firewall"];
const SHARED_FIREWALL: &[&str] = &["shared_volumes", "firewall"];

/// A cluster `firewall` object, as `section!` reads `RawFirewall`, but for
/// its two rule lists, which are checked as they are read; the keys are the
/// object's path.
struct FirewallSeed<'a>(RuleCheck<'a>, &'static [&'static str]);

impl<'de> ReadMap<'de> for FirewallSeed<'_> {
    type Section = RawFirewall;

    fn read_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFirewall, A::Error> {
        let FirewallSeed(check, at) = self;
        let mut fw = RawFirewall::default();
        while let Some(k) = map.next_key::<Key>()? {
            if matches!(&*k.0, "global_firewall_rules" | "rules") {
                fw.note_key(&k.0);
            }
            match &*k.0 {
                "global_firewall_rules" => {
                    fw.global_firewall_rules = map.next_value_seed(Nullable(RulesSeed(
                        check,
                        at,
                        "global_firewall_rules",
                    )))?;
                }
                "rules" => {
                    fw.rules = map.next_value_seed(Nullable(RulesSeed(check, at, "rules")))?
                }
                _ => fw.take_key(k, &mut map)?,
            }
        }
        Ok(fw)
    }
}

/// `<firewall>.<key>`: an array's rules checked one by one, each dropped as
/// soon as it is; anything else kept raw for `firewall`'s message.
struct RulesSeed<'a>(RuleCheck<'a>, &'static [&'static str], &'static str);

impl<'de> Visitor<'de> for RulesSeed<'_> {
    type Value = RuleList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    leaf_visits!(|s| RuleList::Raw(List::One(s)));

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        shown_map(map).map(|s| RuleList::Raw(List::One(Scalar::Other(s))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let RulesSeed(check, fw, key) = self;
        let mut problems = Problems::default();
        let mut r = Reader::of(&mut problems, check.file, check.opts);
        // The paths `Reader::each` gives the items of `<firewall>.<key>`.
        let list = fw
            .iter()
            .chain([&key])
            .fold(String::new(), |path, k| join_key(&path, k));
        let base = At::rendered(&list);
        let mut rules = Vec::new();
        let mut i = 0;
        while let Some(raw) = seq.next_element::<Obj<_>>()? {
            rules.extend(rule(&mut r, &base.index(i), raw));
            i += 1;
        }
        Ok(RuleList::Checked(rules, problems, list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cluster firewall's rule list as `DocSeed` leaves it in `text`.
    fn rules_read(text: &str) -> RuleList {
        let file: Arc<str> = Arc::from("hyp.json");
        let mut lxc = |_: String, _: Obj<RawLxc>| {};
        let seed = DocSeed {
            lxc: &mut lxc,
            rules: RuleCheck {
                file: &file,
                opts: Options::default(),
            },
        };
        let Obj::Ok(doc) = seed
            .deserialize(&mut serde_json::Deserializer::from_str(text))
            .unwrap()
        else {
            panic!("not an object")
        };
        let fw = match (doc.firewall, doc.shared_volumes) {
            (Some(fw), _) => fw,
            (None, Some(Obj::Ok(sv))) => sv.firewall.expect("shared_volumes.firewall"),
            _ => panic!("no firewall"),
        };
        let Obj::Ok(fw) = fw else {
            panic!("firewall not an object")
        };
        fw.global_firewall_rules.expect("global_firewall_rules")
    }

    /// Wherever the firewall sits, its rules are checked as they are read
    /// (never collected raw: 30 MB at 10,000 guests), under its own path.
    #[test]
    fn cluster_rules_are_checked_as_read_at_the_top_and_under_shared_volumes() {
        let rules =
            r#"{"global_firewall_rules": [{"type": "in", "action": "ACCEPT"}, {"type": "up"}]}"#;
        for (text, path) in [
            (
                format!(r#"{{"domain_name": "x", "firewall": {rules}}}"#),
                "firewall.global_firewall_rules",
            ),
            (
                format!(
                    r#"{{"shared_volumes": {{"v": {{}}, "firewall": {rules}}}, "domain_name": "x"}}"#
                ),
                "shared_volumes.firewall.global_firewall_rules",
            ),
        ] {
            match rules_read(&text) {
                RuleList::Checked(kept, problems, at) => {
                    assert_eq!(at, path);
                    assert_eq!(kept.len(), 1, "{kept:?}");
                    assert_eq!(&*kept[0].path, format!("{path}[0]"));
                    let shown: Vec<String> = problems.list.iter().map(|p| p.to_string()).collect();
                    assert!(
                        shown.iter().any(|p| p.contains(&format!("{path}[1]"))),
                        "{shown:?}"
                    );
                }
                RuleList::Raw(_) => panic!("{path}: the rules were collected raw"),
            }
        }
    }
}
