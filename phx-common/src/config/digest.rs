//! One document turned into its part of the model on its own: parsed, its
//! LXC entries checked as they arrive (`config::stream`), checked. Nothing
//! here waits for another document: LXC entries are read with Phoenix's own
//! defaults and get the hypervisor document's when `Loader` takes them, so
//! they stream whatever order the documents come in. Each document's
//! problems are kept with it and join the list when `Loader` takes the
//! document, in the order the documents were read.

use super::gpu::NvidiaKeys;
use super::model::{Host, Lxc, LxcDefaults, Vm};
use super::options::Options;
use super::parse::lxc::RawLxc;
use super::parse::{self, Document, LeftOut, Shape};
use super::problems::Problems;
use super::raw::{Entries, Obj};
use super::reader::{At, Reader};
use super::stream::{DocSeed, RuleCheck};
use serde::de::DeserializeSeed;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A document and what became of it.
pub(super) struct Digested {
    pub name: String,
    pub digest: Digest,
}

pub(super) enum Digest {
    /// Not read or not parsed: the value and expectation of its one problem.
    Failed(String, String),
    /// Parsed, but of no Phoenix shape.
    NotPhoenix,
    Part {
        shape: Shape,
        part: Part,
        problems: Problems,
    },
}

pub(super) enum Part {
    Hypervisor(Option<Box<Host>>),
    Lxc(LxcPart),
    Vm(Vec<Vm>),
}

/// The containers, read with Phoenix's own defaults; the hypervisor
/// document's `proxmox_defaults.lxc` replaces them once it is known.
pub(super) struct LxcPart {
    lxcs: BTreeMap<u32, Lxc>,
    /// The entries that left out a value the defaults give.
    left_out: BTreeMap<u32, LeftOut>,
    /// The file's own `nvidia_*` keys, every container's defaults.
    pub nvidia: NvidiaKeys,
}

impl LxcPart {
    pub fn with_defaults(mut self, d: Option<&LxcDefaults>) -> (BTreeMap<u32, Lxc>, NvidiaKeys) {
        let Some(d) = d else {
            return (self.lxcs, self.nvidia);
        };
        for (ctid, left_out) in self.left_out {
            if let Some(lxc) = self.lxcs.get_mut(&ctid) {
                left_out.fill(lxc, d);
            }
        }
        (self.lxcs, self.nvidia)
    }
}

/// The LXC entries of one document, checked one by one. Their problems are
/// kept apart until the whole document has parsed: invalid JSON further on
/// reports only itself, as it always has.
struct LxcEntries {
    file: Arc<str>,
    opts: Options,
    problems: Problems,
    part: LxcPart,
}

/// `lxc_configs`, rendered once as `Reader::entries` renders it.
const LXC_AT: At<'static> = At::rendered("lxc_configs");

impl LxcEntries {
    fn new(file: &Arc<str>, opts: Options) -> Self {
        LxcEntries {
            file: file.clone(),
            opts,
            problems: Problems::default(),
            part: LxcPart {
                lxcs: BTreeMap::new(),
                left_out: BTreeMap::new(),
                nvidia: NvidiaKeys::default(),
            },
        }
    }

    fn entry(&mut self, key: String, raw: Obj<RawLxc>) {
        let mut r = Reader::of(&mut self.problems, &self.file, self.opts);
        let part = &mut self.part;
        r.entry(&LXC_AT, key, raw, |r, at, key, raw| {
            if let Some((ctid, lxc, left_out)) = parse::lxc_entry(r, at, &key, raw) {
                part.lxcs.insert(ctid, lxc);
                // A key given twice: the last entry is the one kept.
                if left_out.any() {
                    part.left_out.insert(ctid, left_out);
                } else {
                    part.left_out.remove(&ctid);
                }
            }
        });
    }
}

/// A document from its text, its LXC entries checked as they are parsed.
pub(super) fn text(name: String, text: &str, opts: Options) -> Digested {
    let file = Arc::from(name.as_str());
    let mut entries = LxcEntries::new(&file, opts);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = DocSeed {
        lxc: &mut |key, raw| entries.entry(key, raw),
        rules: RuleCheck { file: &file, opts },
    }
    .deserialize(&mut de)
    .and_then(|doc| de.end().map(|()| doc));
    match parsed {
        Ok(doc) => with_lines(document(name, doc, entries, opts), text, 0),
        Err(e) => Digested {
            name,
            digest: Digest::Failed("(invalid JSON)".into(), format!("valid JSON ({e})")),
        },
    }
}

/// `d` with the lines of each key given twice, from its text (which starts
/// at line `first_line` of what the operator gave).
pub(super) fn with_lines(mut d: Digested, text: &str, first_line: usize) -> Digested {
    if let Digest::Part { problems, .. } = &mut d.digest {
        super::dup_lines::annotate(problems, &d.name, text, first_line);
    }
    d
}

/// A document parsed whole (a stdin stream's): its LXC entries are checked here.
pub(super) fn collected(name: String, doc: Obj<Document>, opts: Options) -> Digested {
    let entries = LxcEntries::new(&Arc::from(name.as_str()), opts);
    document(name, doc, entries, opts)
}

/// A parsed document; `entries` holds the LXC entries already checked.
fn document(name: String, doc: Obj<Document>, mut entries: LxcEntries, opts: Options) -> Digested {
    let shape = match &doc {
        Obj::Ok(d) => d.shape(),
        Obj::Bad(_) => None,
    };
    let (Some(shape), Obj::Ok(doc)) = (shape, doc) else {
        return Digested {
            name,
            digest: Digest::NotPhoenix,
        };
    };
    let mut doc = *doc;
    let file = entries.file.clone();
    let mut problems = Problems::default();
    Reader::of(&mut problems, &file, opts).unknown_keys(&At::ROOT, &mut doc);
    doc.unread_repeats(&mut Reader::of(&mut problems, &file, opts), shape);
    let part = match shape {
        Shape::Hypervisor => Part::Hypervisor(
            parse::hypervisor(&mut Reader::of(&mut problems, &file, opts), doc).map(Box::new),
        ),
        Shape::Lxc => {
            // Entries collected by a plain parse (a stdin document) are checked here.
            match doc.lxc_configs {
                Some(Entries::Items(items, duplicates)) => {
                    // A CTID given twice: its first entry would be lost.
                    let at = At::ROOT.key("lxc_configs");
                    Reader::of(&mut problems, &file, opts).duplicates(&at, duplicates);
                    items
                        .into_iter()
                        .for_each(|(key, raw)| entries.entry(key, raw))
                }
                Some(Entries::Bad(shown)) => {
                    Reader::of(&mut problems, &file, opts).push(
                        &At::ROOT.key("lxc_configs"),
                        shown,
                        "an object",
                    );
                }
                None => {}
            }
            problems.extend(entries.problems);
            let top = [
                doc.nvidia_driver_version,
                doc.nvidia_repo_url,
                doc.nvidia_runfile_url,
            ];
            let mut r = Reader::of(&mut problems, &file, opts);
            entries.part.nvidia = parse::nvidia::keys(&mut r, &At::ROOT, top);
            Part::Lxc(entries.part)
        }
        Shape::Vm => Part::Vm(parse::vms(
            &mut Reader::of(&mut problems, &file, opts),
            doc.vms.expect("a VM document has vms"),
            doc.vm_defaults,
        )),
    };
    Digested {
        name,
        digest: Digest::Part {
            shape,
            part,
            problems,
        },
    }
}
