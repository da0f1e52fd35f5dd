//! The `.fw` file format (reference §1): rendering a firewall object into
//! `cluster.fw` / `<vmid>.fw` (`render`), reading such files back for
//! `parse`/lint and for simulating what is already on a host (`parse`), and
//! the JSON `firewall` object a file corresponds to (`json`).

mod json;
mod parse;
mod render;

pub use json::{rule_json, to_json};
pub use parse::{parse, parse_rule};
pub use phx_common::firewall::lookup::Kind;
pub use render::{action_text, render, rendered_doc, rule_line};

use phx_common::config::{Firewall, FwRule};
use std::collections::BTreeMap;

/// A firewall file in memory: the object, security groups (files only; the
/// JSON has none), and the line every item sits on.
#[derive(Debug, Clone, Default)]
pub struct FwDoc {
    pub file: String,
    pub fw: Firewall,
    pub groups: BTreeMap<String, Vec<FwRule>>,
    pub rule_lines: Vec<usize>,
    pub group_lines: BTreeMap<String, Vec<usize>>,
    pub option_lines: BTreeMap<String, usize>,
    pub alias_lines: BTreeMap<String, usize>,
    /// Set name → (header line, entry lines).
    pub ipset_lines: BTreeMap<String, (usize, Vec<usize>)>,
}

pub(crate) fn comment(c: &Option<String>) -> Option<&str> {
    c.as_deref().map(str::trim).filter(|c| !c.is_empty())
}
