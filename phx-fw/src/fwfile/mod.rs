//! The `.fw` file format (pve-firewall's Firewall.pm): rendering a firewall object into
//! `cluster.fw` / `<vmid>.fw` (`render`), reading such files back for
//! `parse`/lint and for simulating what is already on a host (`parse`), and
//! the JSON `firewall` object a file corresponds to (`json`).

mod json;
mod parse;
mod render;

pub use json::{rule_json, to_json};
pub use parse::{parse, parse_rule};
pub use phx_common::firewall::lookup::Kind;
pub use render::{action_text, render, render_as, rendered_doc, rule_line, Rendered};

use phx_common::config::Firewall;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A firewall file in memory: the object (security groups in `fw.groups`)
/// and the line every item sits on. A proposed file borrows its object from
/// the inventory (at 10,000 guests a copy of the cluster's 50,000 rules
/// alone is ~20 MB); a file read from disk owns the one it was parsed into.
#[derive(Debug, Clone, Default)]
pub struct FwDoc<'a> {
    pub file: String,
    pub fw: Cow<'a, Firewall>,
    pub rule_lines: Vec<usize>,
    /// Group name → the lines of its rules.
    pub group_lines: BTreeMap<String, Vec<usize>>,
    /// Group name → the line of its `[group name]` header.
    pub group_headers: BTreeMap<String, usize>,
    pub option_lines: BTreeMap<String, usize>,
    pub alias_lines: BTreeMap<String, usize>,
    /// Set name → (header line, entry lines).
    pub ipset_lines: BTreeMap<String, (usize, Vec<usize>)>,
}

pub(crate) fn comment<S: std::ops::Deref<Target = str>>(c: &Option<S>) -> Option<&str> {
    c.as_deref().map(str::trim).filter(|c| !c.is_empty())
}
