//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.
//! All three documents are required: a missing LXC or VM file would read as
//! an empty estate and `setup` would remove every guest's DNS records.

use super::model::{Host, Inventory, Lxc, LxcDefaults, Sources, Vm};
use super::parse::lxc::RawLxc;
use super::parse::{self, Document, Shape};
use super::problems::Problems;
use super::raw::{Entries, Obj};
use super::reader::{At, Reader};
use super::stream::DocSeed;
use super::validate;
use serde::de::DeserializeSeed;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const HYPERVISOR_FILE: &str = "phoenix_hypervisor_config.json";
pub const LXC_FILE: &str = "phoenix_lxc_configs.json";
pub const VM_FILE: &str = "phoenix_vm_configs.json";

/// The largest document read: the 100,000-guest synthetic inventory that
/// `scripts/bench` loads has files of up to 99 MB; past 128 MiB a document
/// is not a configuration. (It was 64 MiB until the bench reported 100,000.)
pub const MAX_DOCUMENT: u64 = 128 << 20;
/// The largest stdin stream read (three documents at most).
pub const MAX_STREAM: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<PathBuf>),
    Dir(PathBuf),
    Stdin,
}

/// How strictly the input is read, and what of it is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown keys are problems (exit 2), not warnings.
    pub strict: bool,
    /// Firewall rules (of the cluster, its groups and hosts, and every
    /// guest) are checked as always, then dropped: `Firewall::rules` and the
    /// rule lists of `groups` stay empty. For the tools that never read them
    /// (all but phx-fw): at 10,000 guests they are half the model.
    pub without_rules: bool,
}

/// A reader of document `file` with the load's options.
fn reader<'p>(problems: &'p mut Problems, file: &'p str, opts: Options) -> Reader<'p> {
    let mut r = Reader::new(problems, file, opts.strict);
    r.keep_rules = !opts.without_rules;
    r
}

/// Reads, parses and validates the whole inventory. Problems (all of them)
/// come back as `Err`; warnings travel in `Inventory::warnings`.
pub fn load(input: &Input) -> Result<Inventory, Problems> {
    load_with(input, Options::default())
}

pub fn load_with(input: &Input, opts: Options) -> Result<Inventory, Problems> {
    load_from(opts, |problems, loader| match input {
        Input::Files(files) => {
            for f in files {
                read_file(f, problems, loader);
            }
        }
        Input::Dir(dir) => {
            for name in [HYPERVISOR_FILE, LXC_FILE, VM_FILE] {
                read_file(&dir.join(name), problems, loader);
            }
        }
        Input::Stdin => read_stream(&mut std::io::stdin().lock(), problems, loader),
    })
}

/// Loads a stream of documents, as `-` reads stdin.
pub fn load_stream(from: &mut impl Read, opts: Options) -> Result<Inventory, Problems> {
    load_from(opts, |problems, loader| read_stream(from, problems, loader))
}

fn load_from(
    opts: Options,
    documents: impl FnOnce(&mut Problems, &mut Loader),
) -> Result<Inventory, Problems> {
    let mut loader = Loader {
        opts,
        ..Loader::default()
    };
    let mut problems = Problems::default();
    documents(&mut problems, &mut loader);
    loader.finish(problems)
}

/// Turns documents into the model as they arrive, so each one's bytes and
/// raw sections are dropped before the next is read.
#[derive(Default)]
struct Loader {
    opts: Options,
    host: Option<(String, Option<Host>)>,
    lxcs: Option<(String, BTreeMap<u32, Lxc>)>,
    vms: Option<(String, Vec<Vm>)>,
    /// An LXC document seen before the hypervisor one (it needs its defaults).
    waiting_lxc: Option<(String, Document)>,
}

/// The LXC entries of the document being parsed, checked as they arrive
/// (`config::stream`). Their problems are kept apart until the whole document
/// has parsed: invalid JSON further on reports only itself, as it always has.
struct StreamedLxc {
    file: String,
    opts: Options,
    defaults: Option<LxcDefaults>,
    problems: Problems,
    lxcs: BTreeMap<u32, Lxc>,
}

impl StreamedLxc {
    fn entry(&mut self, key: String, raw: Obj<RawLxc>) {
        let mut r = reader(&mut self.problems, &self.file, self.opts);
        let (lxcs, defaults) = (&mut self.lxcs, self.defaults.as_ref());
        r.entry(&LXC_AT, key, raw, |r, at, key, raw| {
            lxcs.extend(parse::lxc_entry(r, at, &key, raw, defaults))
        });
    }
}

/// `lxc_configs`, rendered once as `Reader::entries` renders it.
const LXC_AT: At<'static> = At::rendered("lxc_configs");

impl Loader {
    /// Where the next document's LXC entries go while it is parsed: only when
    /// an LXC document would be accepted and checked at once (the hypervisor
    /// document, with the defaults, came first and no LXC document did).
    fn streaming(&self, file: &str) -> Option<StreamedLxc> {
        let (_, host) = self.host.as_ref()?;
        (self.lxcs.is_none() && self.waiting_lxc.is_none()).then(|| StreamedLxc {
            file: file.to_string(),
            opts: self.opts,
            defaults: host.as_ref().map(|h| h.lxc_defaults.clone()),
            problems: Problems::default(),
            lxcs: BTreeMap::new(),
        })
    }

    fn accept(&mut self, problems: &mut Problems, name: String, doc: Obj<Document>) {
        self.accept_streamed(problems, name, doc, None)
    }

    fn accept_streamed(
        &mut self,
        problems: &mut Problems,
        name: String,
        doc: Obj<Document>,
        streamed: Option<StreamedLxc>,
    ) {
        let shape = match &doc {
            Obj::Ok(d) => d.shape(),
            Obj::Bad(_) => None,
        };
        let (Some(shape), Obj::Ok(doc)) = (shape, doc) else {
            problems.push(&name, "(document)", "(document)", "a Phoenix document: one with \"network\"/\"domain_name\" (hypervisor), \"lxc_configs\" or \"vms\"");
            return;
        };
        let mut doc = *doc;
        let first = match shape {
            Shape::Hypervisor => self.host.as_ref().map(|h| &h.0),
            Shape::Lxc => self
                .lxcs
                .as_ref()
                .map(|h| &h.0)
                .or(self.waiting_lxc.as_ref().map(|h| &h.0)),
            Shape::Vm => self.vms.as_ref().map(|h| &h.0),
        };
        if let Some(first) = first {
            problems.push(
                &name,
                "(document)",
                "(document)",
                format!("one {shape:?} document; {first} is one already"),
            );
            return;
        }
        let opts = self.opts;
        reader(problems, &name, opts).unknown_keys(&At::ROOT, &mut doc);
        match shape {
            Shape::Hypervisor => {
                let host = parse::hypervisor(&mut reader(problems, &name, opts), doc);
                self.host = Some((name, host));
                if let Some((lname, ldoc)) = self.waiting_lxc.take() {
                    self.accept(problems, lname, Obj::Ok(Box::new(ldoc)));
                }
            }
            Shape::Lxc => match &self.host {
                Some((_, host)) => {
                    let defaults = host.as_ref().map(|h| &h.lxc_defaults);
                    let mut lxcs = lxc_section(&mut reader(problems, &name, opts), doc, defaults);
                    if let Some(s) = streamed {
                        problems.extend(s.problems);
                        lxcs.extend(s.lxcs);
                    }
                    self.lxcs = Some((name, lxcs));
                }
                None => self.waiting_lxc = Some((name, doc)),
            },
            Shape::Vm => {
                let mut r = reader(problems, &name, opts);
                let vms = parse::vms(
                    &mut r,
                    doc.vms.expect("a VM document has vms"),
                    doc.vm_defaults,
                );
                self.vms = Some((name, vms));
            }
        }
    }

    fn finish(mut self, mut problems: Problems) -> Result<Inventory, Problems> {
        if let Some((name, doc)) = self.waiting_lxc.take() {
            // No hypervisor document: still report the LXC file's own problems.
            lxc_section(&mut reader(&mut problems, &name, self.opts), doc, None);
            self.lxcs = Some((name, BTreeMap::new()));
        }
        let missing = [
            (self.host.is_none(), HYPERVISOR_FILE, "the hypervisor configuration (it names the domain and the host network)"),
            (self.lxcs.is_none(), LXC_FILE, "the LXC configuration; an estate without containers says so: {\"lxc_configs\": {}}"),
            (self.vms.is_none(), VM_FILE, "the VM configuration; an estate without VMs says so: {\"vms\": []}"),
        ];
        for (absent, file, what) in missing {
            if absent && !problems.list.iter().any(|p| p.file.ends_with(file)) {
                problems.push(file, "(document)", "(missing)", what);
            }
        }
        let (Some((hyp_name, Some(host))), Some((lxc_name, lxcs)), Some((vm_name, vms))) =
            (self.host, self.lxcs, self.vms)
        else {
            return Err(problems);
        };
        let inv = Inventory {
            sources: Sources {
                hypervisor: hyp_name,
                lxc: lxc_name,
                vm: vm_name,
            },
            host,
            lxcs,
            vms,
            warnings: Vec::new(),
        };
        validate::cross_check(&inv, &mut problems);
        if problems.is_empty() {
            Ok(Inventory {
                warnings: problems.take_warnings(),
                ..inv
            })
        } else {
            Err(problems)
        }
    }
}

fn lxc_section(
    r: &mut Reader,
    doc: Document,
    defaults: Option<&LxcDefaults>,
) -> BTreeMap<u32, Lxc> {
    let configs = doc.lxc_configs.unwrap_or(Entries::Items(Vec::new()));
    parse::lxcs(r, configs, defaults)
}

/// At most `limit` bytes of `from`; `None` when there are more.
fn read_bounded(
    from: &mut impl Read,
    limit: u64,
    size_hint: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    // Sized up front when the size is known: growing by doubling would hold
    // up to twice the document while it is read.
    let mut bytes = Vec::with_capacity(size_hint.min(limit) as usize + 1);
    from.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// The document as text. Checked once for the whole document: serde_json
/// then reads `&str` without checking every string again (a fifth of the
/// parse time of a large inventory).
fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| format!("UTF-8 JSON ({e})"))
}

fn mib(bytes: u64) -> u64 {
    bytes >> 20
}

/// A stream of up to three documents. More is refused at the fourth, unread:
/// a Phoenix stream never has more, and 25 million `{}` must not cost 25
/// million problems.
fn read_stream(from: &mut impl Read, problems: &mut Problems, loader: &mut Loader) {
    let bytes = match read_bounded(from, MAX_STREAM, 0) {
        Ok(Some(b)) => b,
        Ok(None) => {
            problems.push(
                "<stdin>",
                "(document)",
                "(too large)",
                format!("a stream of at most {} MiB", mib(MAX_STREAM)),
            );
            return;
        }
        Err(e) => {
            problems.push(
                "<stdin>",
                "(document)",
                "(unreadable)",
                format!("readable JSON ({e})"),
            );
            return;
        }
    };
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push("<stdin>", "(document)", "(unreadable)", e);
            return;
        }
    };
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Obj<Document>>();
    let mut start = 0;
    for i in 1.. {
        let name = format!("<stdin document {i}>");
        let Some(doc) = stream.next() else { break };
        if i > 3 {
            problems.push(&name, "(document)", "(document)", "at most three documents (hypervisor, LXC, VM); the rest of the stream was not read");
            break;
        }
        let end = stream.byte_offset();
        if (end - start) as u64 > MAX_DOCUMENT {
            problems.push(
                &name,
                "(document)",
                "(too large)",
                format!("a document of at most {} MiB", mib(MAX_DOCUMENT)),
            );
            break;
        }
        start = end;
        match doc {
            Ok(d) => loader.accept(problems, name, d),
            Err(e) => {
                problems.push(
                    &name,
                    "(document)",
                    "(invalid JSON)",
                    format!("valid JSON ({e})"),
                );
                break;
            }
        }
    }
}

/// One document from its text, its LXC entries checked as they are parsed
/// when `streamed` is given.
fn parse_document(
    text: &str,
    mut streamed: Option<StreamedLxc>,
) -> serde_json::Result<(Obj<Document>, Option<StreamedLxc>)> {
    let Some(s) = streamed.as_mut() else {
        return Ok((serde_json::from_str(text)?, None));
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = DocSeed {
        lxc: &mut |key, raw| s.entry(key, raw),
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((doc, streamed))
}

fn read_file(path: &Path, problems: &mut Problems, loader: &mut Loader) {
    let name = path.display().to_string();
    // The size is checked before reading where the file says it; the bounded
    // read covers what does not (a FIFO, /dev/stdin).
    let bytes = std::fs::File::open(path).and_then(|mut f| match f.metadata() {
        Ok(m) if m.is_file() && m.len() > MAX_DOCUMENT => Ok(None),
        Ok(m) if m.is_file() => read_bounded(&mut f, MAX_DOCUMENT, m.len()),
        _ => read_bounded(&mut f, MAX_DOCUMENT, 0),
    });
    match bytes {
        Ok(Some(bytes)) => match utf8(bytes) {
            Ok(text) => match parse_document(&text, loader.streaming(&name)) {
                Ok((d, streamed)) => {
                    drop(text);
                    loader.accept_streamed(problems, name, d, streamed)
                }
                Err(e) => problems.push(&name, "(document)", "(invalid JSON)", format!("valid JSON ({e})")),
            },
            Err(e) => problems.push(&name, "(document)", "(unreadable)", e),
        },
        Ok(None) => problems.push(&name, "(document)", "(too large)", format!("a document of at most {} MiB", mib(MAX_DOCUMENT))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(
            &name,
            "(document)",
            "(missing)",
            "the file (all three are required; an empty estate is written {\"lxc_configs\": {}} / {\"vms\": []})",
        ),
        Err(e) => problems.push(&name, "(document)", "(unreadable)", format!("a readable file ({e})")),
    }
}
