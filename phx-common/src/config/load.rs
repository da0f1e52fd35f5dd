//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.

use super::model::{Host, Inventory, Lxc, Sources, Vm};
use super::parse::{self, Document, Shape};
use super::problems::Problems;
use super::raw::{Entries, Obj};
use super::reader::Reader;
use super::validate;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const HYPERVISOR_FILE: &str = "phoenix_hypervisor_config.json";
pub const LXC_FILE: &str = "phoenix_lxc_configs.json";
pub const VM_FILE: &str = "phoenix_vm_configs.json";

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<PathBuf>),
    Dir(PathBuf),
    Stdin,
}

/// Reads, parses and validates the whole inventory. Problems (all of them)
/// come back as `Err`.
pub fn load(input: &Input) -> Result<Inventory, Problems> {
    let mut loader = Loader::default();
    let mut problems = Problems::default();
    for_each_document(input, &mut problems, &mut |p, name, value| {
        loader.accept(p, name, value)
    });
    loader.finish(problems)
}

/// Turns documents into the model as they arrive, so each JSON tree is
/// dropped before the next is read: peak memory is one document, not three.
#[derive(Default)]
struct Loader {
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
        match shape {
            Shape::Hypervisor => {
                let host = parse::hypervisor(
                    &mut Reader {
                        problems,
                        file: &name,
                    },
                    doc,
                );
                self.host = Some((name, host));
                if let Some((lname, ldoc)) = self.waiting_lxc.take() {
                    self.accept(problems, lname, Obj::Ok(ldoc));
                }
            }
            Shape::Lxc => match &self.host {
                Some((_, host)) => {
                    let lxcs =
                        lxc_section(problems, &name, doc, host.as_ref().map(|h| &h.lxc_defaults));
                    self.lxcs = Some((name, lxcs));
                }
                None => self.waiting_lxc = Some((name, doc)),
            },
            Shape::Vm => {
                let mut r = Reader {
                    problems,
                    file: &name,
                };
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
            lxc_section(&mut problems, &name, doc, None);
        }
        let Some((hyp_name, host)) = self.host else {
            if problems.is_empty() {
                problems.push(
                    HYPERVISOR_FILE,
                    "(document)",
                    "(missing)",
                    "the hypervisor configuration (it names the domain and the host network)",
                );
            }
            return Err(problems);
        };
        let Some(host) = host else {
            return Err(problems);
        };
        let (lxc_name, lxcs) = self
            .lxcs
            .unwrap_or_else(|| (LXC_FILE.to_string(), BTreeMap::new()));
        let (vm_name, vms) = self
            .vms
            .unwrap_or_else(|| (VM_FILE.to_string(), Vec::new()));
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
                warnings: problems.warnings,
                ..inv
            })
        } else {
            Err(problems)
        }
    }
}

fn lxc_section(
    problems: &mut Problems,
    name: &str,
    doc: Document,
    defaults: Option<&super::model::LxcDefaults>,
) -> BTreeMap<u32, Lxc> {
    let configs = doc.lxc_configs.unwrap_or(Entries::Items(Vec::new()));
    parse::lxcs(
        &mut Reader {
            problems,
            file: name,
        },
        configs,
        defaults,
    )
}

type Sink<'a> = dyn FnMut(&mut Problems, String, Obj<Document>) + 'a;

fn for_each_document(input: &Input, problems: &mut Problems, sink: &mut Sink) {
    match input {
        Input::Files(files) => {
            for f in files {
                read_file(f, problems, sink);
            }
        }
        Input::Dir(dir) => {
            for name in [HYPERVISOR_FILE, LXC_FILE, VM_FILE] {
                let p = dir.join(name);
                if p.exists() || name == HYPERVISOR_FILE {
                    read_file(&p, problems, sink);
                }
            }
        }
        Input::Stdin => {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                problems.push(
                    "<stdin>",
                    "(document)",
                    "(unreadable)",
                    format!("readable JSON ({e})"),
                );
                return;
            }
            let stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<Obj<Document>>();
            for (i, doc) in stream.enumerate() {
                let name = format!("<stdin document {}>", i + 1);
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
    }
}

fn read_file(path: &Path, problems: &mut Problems, sink: &mut Sink) {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Obj<Document>>(&bytes) {
            Ok(d) => {
                drop(bytes);
                sink(problems, name, d)
            }
            Err(e) => problems.push(
                &name,
                "(document)",
                "(invalid JSON)",
                format!("valid JSON ({e})"),
            ),
        },
        Err(e) => problems.push(
            &name,
            "(document)",
            "(unreadable)",
            format!("a readable file ({e})"),
        ),
    }
}
