//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.

use super::model::{Host, Inventory, Lxc, Sources, Vm};
use super::parse;
use super::problems::Problems;
use super::reader::{Node, Reader};
use super::validate;
use serde_json::Value;
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    Hypervisor,
    Lxc,
    Vm,
}

fn shape_of(v: &Value) -> Option<Shape> {
    let o = v.as_object()?;
    if o.contains_key("lxc_configs") {
        Some(Shape::Lxc)
    } else if o.contains_key("vms") {
        Some(Shape::Vm)
    } else if o.contains_key("network") || o.contains_key("domain_name") {
        Some(Shape::Hypervisor)
    } else {
        None
    }
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
    waiting_lxc: Option<(String, Value)>,
}

impl Loader {
    fn accept(&mut self, problems: &mut Problems, name: String, value: Value) {
        let Some(shape) = shape_of(&value) else {
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
        let mut r = Reader { problems };
        match shape {
            Shape::Hypervisor => {
                let host = parse::hypervisor(&mut r, &Node::root(&name, &value));
                drop(value);
                self.host = Some((name, host));
                if let Some((lname, lvalue)) = self.waiting_lxc.take() {
                    self.accept(problems, lname, lvalue);
                }
            }
            Shape::Lxc => match &self.host {
                Some((_, host)) => {
                    let lxcs = parse::lxcs(
                        &mut r,
                        &Node::root(&name, &value),
                        host.as_ref().map(|h| &h.lxc_defaults),
                    );
                    self.lxcs = Some((name, lxcs));
                }
                None => self.waiting_lxc = Some((name, value)),
            },
            Shape::Vm => {
                let vms = parse::vms(&mut r, &Node::root(&name, &value));
                self.vms = Some((name, vms));
            }
        }
    }

    fn finish(mut self, mut problems: Problems) -> Result<Inventory, Problems> {
        if let Some((name, value)) = self.waiting_lxc.take() {
            // No hypervisor document: still report the LXC file's own problems.
            let mut r = Reader {
                problems: &mut problems,
            };
            parse::lxcs(&mut r, &Node::root(&name, &value), None);
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
        };
        validate::cross_check(&inv, &mut problems);
        if problems.is_empty() {
            for w in &problems.warnings {
                eprintln!("warning: {w}");
            }
            Ok(inv)
        } else {
            Err(problems)
        }
    }
}

type Sink<'a> = dyn FnMut(&mut Problems, String, Value) + 'a;

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
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                problems.push(
                    "<stdin>",
                    "(document)",
                    "(unreadable)",
                    format!("readable UTF-8 JSON ({e})"),
                );
                return;
            }
            let stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
            for (i, doc) in stream.enumerate() {
                let name = format!("<stdin document {}>", i + 1);
                match doc {
                    Ok(v) => sink(problems, name, v),
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
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(v) => {
                drop(text);
                sink(problems, name, v)
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
