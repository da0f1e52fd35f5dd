//! Where the JSON comes from: positional files, `--config-dir`, or a stream of
//! documents on stdin. Each document is recognised by its shape, not its name.

use super::model::{Inventory, Sources};
use super::parse;
use super::problems::Problems;
use super::reader::{Node, Reader};
use super::validate;
use serde_json::Value;
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

/// Reads every document, then parses and validates the whole inventory.
/// Problems (all of them) come back as `Err`.
pub fn load(input: &Input) -> Result<Inventory, Problems> {
    let mut problems = Problems::default();
    let docs = read_documents(input, &mut problems);
    let mut by_shape: [Option<(String, Value)>; 3] = [None, None, None];
    for (name, value) in docs {
        match shape_of(&value) {
            Some(shape) => {
                let slot = &mut by_shape[shape as usize];
                if let Some((first, _)) = slot {
                    problems.push(&name, "(document)", "(document)", format!("one {shape:?} document; {first} is one already"));
                } else {
                    *slot = Some((name, value));
                }
            }
            None => problems.push(
                &name,
                "(document)",
                "(document)",
                "a Phoenix document: one with \"network\"/\"domain_name\" (hypervisor), \"lxc_configs\" or \"vms\"",
            ),
        }
    }
    let [hyp, lxc, vm] = by_shape;
    let Some((hyp_name, hyp_value)) = hyp else {
        if problems.is_empty() {
            problems.push(HYPERVISOR_FILE, "(document)", "(missing)", "the hypervisor configuration (it names the domain and the host network)");
        }
        return Err(problems);
    };
    let null = Value::Null;
    let (lxc_name, lxc_value) = lxc.map_or((LXC_FILE.to_string(), None), |(n, v)| (n, Some(v)));
    let (vm_name, vm_value) = vm.map_or((VM_FILE.to_string(), None), |(n, v)| (n, Some(v)));

    let mut r = Reader { problems: &mut problems };
    let host = parse::hypervisor(&mut r, &Node::root(&hyp_name, &hyp_value));
    let lxcs = parse::lxcs(&mut r, &Node::root(&lxc_name, lxc_value.as_ref().unwrap_or(&null)), host.as_ref().map(|h| &h.lxc_defaults));
    let vms = parse::vms(&mut r, &Node::root(&vm_name, vm_value.as_ref().unwrap_or(&null)));
    let Some(host) = host else { return Err(problems) };
    let inv = Inventory { sources: Sources { hypervisor: hyp_name, lxc: lxc_name, vm: vm_name }, host, lxcs, vms };
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

fn read_documents(input: &Input, problems: &mut Problems) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    match input {
        Input::Files(files) => {
            for f in files {
                read_file(f, problems, &mut docs);
            }
        }
        Input::Dir(dir) => {
            for name in [HYPERVISOR_FILE, LXC_FILE, VM_FILE] {
                let p = dir.join(name);
                if p.exists() || name == HYPERVISOR_FILE {
                    read_file(&p, problems, &mut docs);
                }
            }
        }
        Input::Stdin => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                problems.push("<stdin>", "(document)", "(unreadable)", format!("readable UTF-8 JSON ({e})"));
                return docs;
            }
            let stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
            for (i, doc) in stream.enumerate() {
                let name = format!("<stdin document {}>", i + 1);
                match doc {
                    Ok(v) => docs.push((name, v)),
                    Err(e) => {
                        problems.push(&name, "(document)", "(invalid JSON)", format!("valid JSON ({e})"));
                        break;
                    }
                }
            }
        }
    }
    docs
}

fn read_file(path: &Path, problems: &mut Problems, docs: &mut Vec<(String, Value)>) {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(v) => docs.push((name, v)),
            Err(e) => problems.push(&name, "(document)", "(invalid JSON)", format!("valid JSON ({e})")),
        },
        Err(e) => problems.push(&name, "(document)", "(unreadable)", format!("a readable file ({e})")),
    }
}
