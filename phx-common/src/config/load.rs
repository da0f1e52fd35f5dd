//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.
//! All three documents are required: a missing LXC or VM file would read as
//! an empty estate and `setup` would remove every guest's DNS records.

use super::model::{Host, Inventory, Lxc, LxcDefaults, Sources, Vm};
use super::parse::{self, Document, Shape};
use super::problems::Problems;
use super::raw::{Entries, Obj};
use super::reader::{At, Reader};
use super::validate;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const HYPERVISOR_FILE: &str = "phoenix_hypervisor_config.json";
pub const LXC_FILE: &str = "phoenix_lxc_configs.json";
pub const VM_FILE: &str = "phoenix_vm_configs.json";

/// The largest document read: the 10,000-guest synthetic inventory's
/// biggest file is 10 MB; six times that is still a configuration.
pub const MAX_DOCUMENT: u64 = 64 << 20;
/// The largest stdin stream read (three documents at most).
pub const MAX_STREAM: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<PathBuf>),
    Dir(PathBuf),
    Stdin,
}

/// How strictly the input is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown keys are problems (exit 2), not warnings.
    pub strict: bool,
}

/// Reads, parses and validates the whole inventory. Problems (all of them)
/// come back as `Err`; warnings travel in `Inventory::warnings`.
pub fn load(input: &Input) -> Result<Inventory, Problems> {
    load_with(input, Options::default())
}

pub fn load_with(input: &Input, opts: Options) -> Result<Inventory, Problems> {
    load_from(opts, |problems, sink| match input {
        Input::Files(files) => {
            for f in files {
                read_file(f, problems, sink);
            }
        }
        Input::Dir(dir) => {
            for name in [HYPERVISOR_FILE, LXC_FILE, VM_FILE] {
                read_file(&dir.join(name), problems, sink);
            }
        }
        Input::Stdin => read_stream(&mut std::io::stdin().lock(), problems, sink),
    })
}

/// Loads a stream of documents, as `-` reads stdin.
pub fn load_stream(from: &mut impl Read, opts: Options) -> Result<Inventory, Problems> {
    load_from(opts, |problems, sink| read_stream(from, problems, sink))
}

fn load_from(
    opts: Options,
    documents: impl FnOnce(&mut Problems, &mut Sink),
) -> Result<Inventory, Problems> {
    let mut loader = Loader {
        strict: opts.strict,
        ..Loader::default()
    };
    let mut problems = Problems::default();
    documents(&mut problems, &mut |p, name, doc| {
        loader.accept(p, name, doc)
    });
    loader.finish(problems)
}

/// Turns documents into the model as they arrive, so each one's bytes and
/// raw sections are dropped before the next is read.
#[derive(Default)]
struct Loader {
    strict: bool,
    host: Option<(String, Option<Host>)>,
    lxcs: Option<(String, BTreeMap<u32, Lxc>)>,
    vms: Option<(String, Vec<Vm>)>,
    /// An LXC document seen before the hypervisor one (it needs its defaults).
    waiting_lxc: Option<(String, Document)>,
}

impl Loader {
    fn accept(&mut self, problems: &mut Problems, name: String, doc: Obj<Document>) {
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
        let strict = self.strict;
        Reader::new(problems, &name, strict).unknown_keys(&At::ROOT, &mut doc);
        match shape {
            Shape::Hypervisor => {
                let host = parse::hypervisor(&mut Reader::new(problems, &name, strict), doc);
                self.host = Some((name, host));
                if let Some((lname, ldoc)) = self.waiting_lxc.take() {
                    self.accept(problems, lname, Obj::Ok(Box::new(ldoc)));
                }
            }
            Shape::Lxc => match &self.host {
                Some((_, host)) => {
                    let defaults = host.as_ref().map(|h| &h.lxc_defaults);
                    let lxcs =
                        lxc_section(&mut Reader::new(problems, &name, strict), doc, defaults);
                    self.lxcs = Some((name, lxcs));
                }
                None => self.waiting_lxc = Some((name, doc)),
            },
            Shape::Vm => {
                let mut r = Reader::new(problems, &name, strict);
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
            lxc_section(
                &mut Reader::new(&mut problems, &name, self.strict),
                doc,
                None,
            );
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

type Sink<'a> = dyn FnMut(&mut Problems, String, Obj<Document>) + 'a;

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
fn read_stream(from: &mut impl Read, problems: &mut Problems, sink: &mut Sink) {
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
            Ok(d) => sink(problems, name, d),
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

fn read_file(path: &Path, problems: &mut Problems, sink: &mut Sink) {
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
            Ok(text) => match serde_json::from_str::<Obj<Document>>(&text) {
                Ok(d) => {
                    drop(text);
                    sink(problems, name, d)
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
