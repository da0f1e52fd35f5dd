//! phx-migrate: Phoenix files from the original bash system's. The three
//! JSON files are carried over as they are (Phoenix reads them), plus what
//! the original hard-coded in its scripts — the CA's name and port, the
//! Traefik routes of 260ca13, the schemes of HEAD's services — each change
//! listed with the script and line it comes from.

pub mod cli;
pub mod fixups;
pub mod hardcoded;
pub mod original;
pub mod routes;
pub mod scripts;
pub mod write;

use hardcoded::Change;
use original::{Layout, Original, HYPERVISOR, LXC, VM};
use serde_json::Value;
use std::path::Path;

/// The migrated files, and every change made to the original's.
#[derive(Debug)]
pub struct Migrated {
    /// The directory the files were read from (DIR, or its etc directory
    /// when DIR is a checkout of the original's repository).
    pub from: std::path::PathBuf,
    pub layout: Layout,
    /// `(file name, text)`, in the order of `original::FILES`.
    pub files: Vec<(&'static str, String)>,
    pub changes: Vec<Change>,
    /// The application scripts the containers name, from the original's bin.
    pub scripts: scripts::Scripts,
}

/// Reads the original's files in `dir` and makes Phoenix's. Every problem
/// is returned (file, JSON path, value, what was expected).
pub fn migrate(dir: &Path) -> Result<Migrated, Vec<String>> {
    let mut orig = Original::read(dir)?;
    let layout = orig.layout();
    let domain = orig.hypervisor["domain_name"]
        .as_str()
        .expect("checked on reading")
        .to_string();
    let mut changes = Vec::new();
    hardcoded::step_ca(&mut orig.hypervisor, layout, &mut changes);
    let mut guests = routes::guests_mut(&mut orig.lxc, &mut orig.vm);
    let problems = match layout {
        Layout::Rev260ca13 => routes::add_260ca13_routes(&mut guests, &domain, &mut changes),
        Layout::Head => {
            routes::add_head_schemes(&mut guests, &mut changes);
            fixups::drop_step_cli(&mut guests, &mut changes);
            Vec::new()
        }
    };
    if !problems.is_empty() {
        let shown = orig.dir.display();
        return Err(problems
            .into_iter()
            .map(|p| format!("{shown}: {p}"))
            .collect());
    }
    let files = vec![
        (HYPERVISOR, pretty(&orig.hypervisor)),
        (LXC, pretty(&orig.lxc)),
        (VM, pretty(&orig.vm)),
    ];
    Ok(Migrated {
        scripts: scripts::find(&orig.dir, &orig.lxc),
        from: orig.dir.clone(),
        layout,
        files,
        changes,
    })
}

/// Four spaces, as the original's files are indented, and a final newline.
/// Keys come out sorted (serde_json's map), so the order differs from the
/// original's; Phoenix does not depend on it.
pub fn pretty(v: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    v.serialize(&mut ser).expect("a Value serializes");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
