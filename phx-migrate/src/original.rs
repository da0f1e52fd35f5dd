//! The original system's three JSON files as read from its `etc` directory,
//! and which of its two layouts they follow.

use serde_json::Value;
use std::path::{Path, PathBuf};

pub const HYPERVISOR: &str = "phoenix_hypervisor_config.json";
pub const LXC: &str = "phoenix_lxc_configs.json";
pub const VM: &str = "phoenix_vm_configs.json";
pub const FILES: [&str; 3] = [HYPERVISOR, LXC, VM];

/// The original's files never come near this size; a larger one is not theirs.
const MAX_BYTES: u64 = 16 << 20;

/// The two layouts the original's files had: at 260ca13 ("before split
/// horizon dns") the CA's name and Traefik's routes lived in the scripts; at
/// HEAD (0385ea2) `step_ca` and `traefik_service` are in the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Rev260ca13,
    Head,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Rev260ca13 => {
                "the original's layout at 260ca13 (no step_ca, no traefik_service in the JSON)"
            }
            Layout::Head => {
                "the original's layout at HEAD 0385ea2 (step_ca and traefik_service in the JSON)"
            }
        }
    }
}

/// The three documents, by file name.
#[derive(Debug, Clone)]
pub struct Original {
    pub dir: PathBuf,
    pub hypervisor: Value,
    pub lxc: Value,
    pub vm: Value,
}

impl Original {
    /// Reads DIR's three files; every problem found is returned, each naming
    /// the file, the JSON path and what was expected.
    pub fn read(dir: &Path) -> Result<Original, Vec<String>> {
        let dir = &etc_of(dir);
        let mut problems = Vec::new();
        let mut docs = FILES.map(|name| read_doc(&dir.join(name), &mut problems));
        let shape = [
            (HYPERVISOR, "domain_name", "a string"),
            (LXC, "lxc_configs", "an object of containers by ID"),
            (VM, "vms", "a list of VMs"),
        ];
        for (doc, (name, key, expected)) in docs.iter().zip(shape) {
            let Some(doc) = doc else { continue };
            let ok = match (key, doc.get(key)) {
                ("domain_name", Some(v)) => v.is_string(),
                ("lxc_configs", Some(v)) => v.is_object(),
                ("vms", Some(v)) => v.is_array(),
                _ => false,
            };
            if !ok {
                let shown = doc
                    .get(key)
                    .map_or("missing".to_string(), |v| v.to_string());
                problems.push(format!(
                    "{}: {key}: {}: expected {expected}",
                    dir.join(name).display(),
                    shorten(&shown)
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let [h, l, v] = docs
            .each_mut()
            .map(|d| d.take().expect("read without problems"));
        Ok(Original {
            dir: dir.to_path_buf(),
            hypervisor: h,
            lxc: l,
            vm: v,
        })
    }

    pub fn layout(&self) -> Layout {
        let has_services = self
            .guests()
            .any(|(_, g)| g.get("traefik_service").is_some());
        if self.hypervisor.get("step_ca").is_some() || has_services {
            Layout::Head
        } else {
            Layout::Rev260ca13
        }
    }

    /// Every guest with the JSON path it is found at, containers first.
    pub fn guests(&self) -> impl Iterator<Item = (String, &Value)> {
        let lxcs = self.lxc["lxc_configs"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, g)| (format!("{LXC}: lxc_configs.\"{id}\""), g));
        let vms = self.vm["vms"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, g)| (format!("{VM}: vms[{i}]"), g));
        lxcs.chain(vms)
    }
}

/// Where the original kept its files inside a checkout of its repository.
pub const ETC_IN_CHECKOUT: &str = "usr/local/phoenix_hypervisor/etc";

/// DIR itself, or, when DIR is a checkout of the original's repository (no
/// hypervisor file, but its etc directory), that directory.
fn etc_of(dir: &Path) -> PathBuf {
    let nested = dir.join(ETC_IN_CHECKOUT);
    if !dir.join(HYPERVISOR).exists() && nested.join(HYPERVISOR).exists() {
        nested
    } else {
        dir.to_path_buf()
    }
}

fn read_doc(path: &Path, problems: &mut Vec<String>) -> Option<Value> {
    let shown = path.display();
    let bytes = match phx_plan::fsutil::read_regular(path, MAX_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => {
            problems.push(format!(
                "{shown}: missing: expected the original's file here"
            ));
            return None;
        }
        Err(e) => {
            problems.push(format!("{shown}: cannot be read: {e}"));
            return None;
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Some(v),
        Ok(_) => {
            problems.push(format!("{shown}: expected a JSON object at the top"));
            None
        }
        Err(e) => {
            problems.push(format!("{shown}: not JSON: {e}"));
            None
        }
    }
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
