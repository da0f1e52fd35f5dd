//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.
//! All three documents are required: a missing LXC or VM file would read as
//! an empty estate and `setup` would remove every guest's DNS records.

use super::digest::{self, Digest, Digested, LxcPart, Part};
use super::gpu::NvidiaKeys;
use super::model::{Host, Inventory, Lxc, Sources, Vm};
pub use super::options::{Options, Rules};
use super::parse::{Document, Shape};
use super::problems::Problems;
use super::raw::Obj;
use super::validate;
use phx_plan::fsutil::MAX_DOCUMENT;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const HYPERVISOR_FILE: &str = "phoenix_hypervisor_config.json";
pub const LXC_FILE: &str = "phoenix_lxc_configs.json";
pub const VM_FILE: &str = "phoenix_vm_configs.json";

/// The largest stdin stream read (three documents at most).
pub const MAX_STREAM: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<PathBuf>),
    Dir(PathBuf),
    Stdin,
    /// Stdin, chosen because nothing was named, stdin is not a terminal and
    /// this directory (the default) does not exist: a missing document is
    /// then named at its full default path, with a note saying so.
    StdinInsteadOf(PathBuf),
}

/// Reads, parses and validates the whole inventory. Problems (all of them)
/// come back as `Err`; warnings travel in `Inventory::warnings`.
pub fn load(input: &Input) -> Result<Inventory, Problems> {
    load_with(input, Options::default())
}

pub fn load_with(input: &Input, opts: Options) -> Result<Inventory, Problems> {
    let loaded = load_from(|problems, loader| match input {
        Input::Files(files) => {
            for d in digest_files(files, opts) {
                loader.accept(problems, d);
            }
        }
        Input::Dir(dir) => {
            let files = [HYPERVISOR_FILE, LXC_FILE, VM_FILE].map(|name| dir.join(name));
            for d in digest_files(&files, opts) {
                loader.accept(problems, d);
            }
        }
        Input::Stdin | Input::StdinInsteadOf(_) => {
            read_stream(&mut std::io::stdin().lock(), opts, problems, loader)
        }
    });
    match input {
        Input::StdinInsteadOf(dir) => loaded.map_err(|p| read_instead_of(dir, p)),
        _ => loaded,
    }
}

/// Problems of a stream read from stdin instead of `dir`, the default
/// directory, which does not exist: a missing document is named at its
/// full path there, and a note (a warning, said first) tells why stdin
/// was read and how to name the directory. Without it the operator sees
/// three bare file names "missing" and no word of stdin.
pub fn read_instead_of(dir: &Path, mut problems: Problems) -> Problems {
    let mut missing = false;
    for p in &mut problems.list {
        if p.value == "(missing)" && [HYPERVISOR_FILE, LXC_FILE, VM_FILE].contains(&p.file.as_str())
        {
            p.file = dir.join(&p.file).display().to_string();
            missing = true;
        }
    }
    if missing {
        problems.warn(format!(
            "the configuration was read from stdin (not a terminal) because {} does not exist; give --config-dir DIR to read the three files from DIR",
            dir.display()
        ));
    }
    problems
}

/// Loads a stream of documents, as `-` reads stdin.
pub fn load_stream(from: &mut impl Read, opts: Options) -> Result<Inventory, Problems> {
    load_from(|problems, loader| read_stream(from, opts, problems, loader))
}

fn load_from(documents: impl FnOnce(&mut Problems, &mut Loader)) -> Result<Inventory, Problems> {
    let mut loader = Loader::default();
    let mut problems = Problems::default();
    documents(&mut problems, &mut loader);
    loader.finish(problems)
}

/// Takes the documents' parts in order: the first document of each shape,
/// the LXC one once the hypervisor's defaults are known.
#[derive(Default)]
struct Loader {
    host: Option<(String, Option<Host>)>,
    lxcs: Option<(String, BTreeMap<u32, Lxc>)>,
    vms: Option<(String, Vec<Vm>)>,
    /// The LXC document's own `nvidia_*` keys.
    nvidia_defaults: NvidiaKeys,
    /// An LXC document seen before the hypervisor one (it needs its defaults).
    waiting_lxc: Option<(String, LxcPart, Problems)>,
}

impl Loader {
    fn accept(&mut self, problems: &mut Problems, d: Digested) {
        let name = d.name;
        let (shape, part, own) = match d.digest {
            Digest::Failed(value, expected) => {
                problems.push(&name, "(document)", value, expected);
                return;
            }
            Digest::NotPhoenix => {
                problems.push(&name, "(document)", "(document)", "a Phoenix document: one with \"network\"/\"domain_name\" (hypervisor), \"lxc_configs\" or \"vms\"");
                return;
            }
            Digest::Part {
                shape,
                part,
                problems,
            } => (shape, part, problems),
        };
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
        match part {
            Part::Hypervisor(host) => {
                problems.extend(own);
                self.host = Some((name, host.map(|h| *h)));
                if let Some((lname, lxcs, lown)) = self.waiting_lxc.take() {
                    self.take_lxcs(problems, lname, lxcs, lown);
                }
            }
            Part::Lxc(lxcs) if self.host.is_some() => self.take_lxcs(problems, name, lxcs, own),
            Part::Lxc(lxcs) => self.waiting_lxc = Some((name, lxcs, own)),
            Part::Vm(vms) => {
                problems.extend(own);
                self.vms = Some((name, vms));
            }
        }
    }

    fn take_lxcs(&mut self, problems: &mut Problems, name: String, lxcs: LxcPart, own: Problems) {
        problems.extend(own);
        let host = self.host.as_ref().and_then(|h| h.1.as_ref());
        let (lxcs, nvidia) = lxcs.with_defaults(host.map(|h| &h.lxc_defaults));
        self.lxcs = Some((name, lxcs));
        self.nvidia_defaults = nvidia;
    }

    fn finish(mut self, mut problems: Problems) -> Result<Inventory, Problems> {
        if let Some((name, _, own)) = self.waiting_lxc.take() {
            // No hypervisor document: still report the LXC file's own problems.
            problems.extend(own);
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
            nvidia_defaults: self.nvidia_defaults,
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
fn read_stream(from: &mut impl Read, opts: Options, problems: &mut Problems, loader: &mut Loader) {
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
        let (doc_text, first_line) = (&text[start..end], text[..start].matches('\n').count());
        start = end;
        match doc {
            Ok(d) => {
                let d = digest::collected(name, d, opts);
                loader.accept(problems, digest::with_lines(d, doc_text, first_line));
            }
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

/// The files digested on two threads (`phx_plan::par`), given back in their
/// order: the loader takes them as if read one by one. Each thread takes the
/// largest file not yet taken, and the next as soon as it is done, so the
/// last file goes to whichever finishes first. Size alone does not say what
/// a file costs: per byte the LXC and VM files cost more than the hypervisor
/// file (most of it rules, only checked by all but phx-fw). The largest file
/// alone and the rest in turn beside it was right in Phoenix's layout (the
/// LXC file largest: the hypervisor then the VM file beside it) but not in
/// the original's, where the firewall under `shared_volumes` is indented
/// deeper and makes the hypervisor file the largest: the LXC and VM files
/// then went one after the other on one thread. Two at most, as memory goes:
/// each digest holds its whole text while it parses (the cluster's rules and
/// the LXC entries, checked as they are read, add little: `stream`).
fn digest_files(files: &[PathBuf], opts: Options) -> Vec<Digested> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let size = |f: &PathBuf| std::fs::metadata(f).map_or(0, |m| m.len());
    let mut largest_first: Vec<usize> = (0..files.len()).collect();
    largest_first.sort_by_cached_key(|&i| std::cmp::Reverse(size(&files[i])));
    let taken = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&i) = largest_first.get(taken.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, digest_file(&files[i], opts)));
        }
        done
    };
    let (mine, beside) = phx_plan::par::join(work, work);
    let mut digests: Vec<Option<Digested>> = files.iter().map(|_| None).collect();
    for (i, d) in mine.into_iter().chain(beside) {
        digests[i] = Some(d);
    }
    digests.into_iter().flatten().collect()
}

/// One file read and digested: its text is dropped before the digest ends.
fn digest_file(path: &Path, opts: Options) -> Digested {
    let name = path.display().to_string();
    // The size is checked before reading where the file says it; the bounded
    // read covers what does not (a FIFO, /dev/stdin).
    let bytes = std::fs::File::open(path).and_then(|mut f| match f.metadata() {
        Ok(m) if m.is_file() && m.len() > MAX_DOCUMENT => Ok(None),
        Ok(m) if m.is_file() => read_bounded(&mut f, MAX_DOCUMENT, m.len()),
        _ => read_bounded(&mut f, MAX_DOCUMENT, 0),
    });
    let failed = |value: &str, expected: String| Digest::Failed(value.into(), expected);
    let digest = match bytes {
        Ok(Some(bytes)) => match utf8(bytes) {
            Ok(text) => return digest::text(name, &text, opts),
            Err(e) => failed("(unreadable)", e),
        },
        Ok(None) => failed("(too large)", format!("a document of at most {} MiB", mib(MAX_DOCUMENT))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => failed(
            "(missing)",
            "the file (all three are required; an empty estate is written {\"lxc_configs\": {}} / {\"vms\": []})".into(),
        ),
        Err(e) => failed("(unreadable)", format!("a readable file ({e})")),
    };
    Digested { name, digest }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_read_instead_of_the_default_directory_says_so_and_names_its_paths() {
        let dir = Path::new("/usr/local/phoenix_hypervisor/etc");
        let problems = load_stream(&mut &b""[..], Options::default()).unwrap_err();
        let mut p = read_instead_of(dir, problems);
        let warnings = p.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("read from stdin")
                && warnings[0].contains("/usr/local/phoenix_hypervisor/etc does not exist")
                && warnings[0].contains("--config-dir DIR"),
            "{warnings:?}"
        );
        let files: Vec<&str> = p.list.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [HYPERVISOR_FILE, LXC_FILE, VM_FILE].map(|f| format!("{}/{f}", dir.display())),
        );
    }

    #[test]
    fn stdin_with_every_document_present_gets_no_note() {
        let bad = br#"{"vms": []} {"lxc_configs": {}} {"domain_name": 5}"#;
        let problems = load_stream(&mut &bad[..], Options::default()).unwrap_err();
        let before = problems.list.clone();
        let mut p = read_instead_of(Path::new("/nowhere"), problems);
        assert!(p.take_warnings().is_empty());
        assert_eq!(p.list, before);
    }
}
