//! The original's application scripts. A container's `application_script`
//! was `${PHOENIX_BASE_DIR}/bin/NAME` (lxc-manager.sh:950 at HEAD), the
//! `bin` directory beside the original's `etc`; Phoenix looks for it in
//! `<config-dir>/scripts/NAME`. Each one found is carried over; a missing
//! one is said, since LetsGo refuses a container whose script is missing.

use crate::original::LXC;
use serde_json::Value;
use std::path::Path;

/// Where scripts go in OUT, and where the original kept them beside etc.
pub const OUT_DIR: &str = "scripts";
pub const ORIGINAL_DIR: &str = "../bin";
/// A script larger than this is not a script.
const MAX_BYTES: u64 = 4 << 20;

/// The scripts the containers name.
#[derive(Debug, Default)]
pub struct Scripts {
    /// `scripts/NAME` and its text, by name.
    pub found: Vec<(String, String)>,
    /// One line per script not found, naming the containers.
    pub missing: Vec<String>,
}

/// A name Phoenix's loader accepts as a script's file name (letters,
/// digits, '.', '_', '-'; not starting with '.'): another is refused by
/// the loader, and is never joined to a path here.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The scripts `lxc` names, read from `etc/../bin`.
pub fn find(etc: &Path, lxc: &Value) -> Scripts {
    let mut names: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (id, c) in lxc["lxc_configs"].as_object().into_iter().flatten() {
        if let Some(name) = c["application_script"].as_str().filter(|n| plain(n)) {
            names.entry(name).or_default().push(id);
        }
    }
    let bin = etc.join(ORIGINAL_DIR);
    let mut s = Scripts::default();
    for (name, ids) in names {
        let at = bin.join(name);
        match phx_plan::fsutil::read_regular(&at, MAX_BYTES).map(|b| b.map(String::from_utf8)) {
            Ok(Some(Ok(text))) => s.found.push((format!("{OUT_DIR}/{name}"), text)),
            Ok(Some(Err(_))) => s.missing.push(format!(
                "{LXC}: application_script {name:?} (CT {}): {} is not UTF-8 text; put the script in OUT/{OUT_DIR}/ yourself",
                ids.join(", CT "),
                at.display()
            )),
            found => s.missing.push(format!(
                "{LXC}: application_script {name:?} (CT {}): not found at {}{}; put it in OUT/{OUT_DIR}/ — LetsGo refuses a container whose script is missing",
                ids.join(", CT "),
                at.display(),
                found.err().map(|e| format!(" ({e})")).unwrap_or_default()
            )),
        }
    }
    s
}
