//! The section-5 man pages, rendered from the docs/ pages they share their
//! text with, and the safety model's essentials for phx-apply(1): one
//! source, so the manual and the repository's docs cannot tell two stories.

use crate::roff;
use std::io;
use std::path::{Path, PathBuf};

/// A section-5 page: its name, its one-line summary, its markdown source.
pub struct FormatPage {
    pub name: &'static str,
    pub summary: &'static str,
    pub markdown: &'static str,
}

/// The file formats Phoenix documents in section 5.
pub const FORMAT_PAGES: [FormatPage; 2] = [
    FormatPage {
        name: "phoenix-config",
        summary: "the three JSON files Phoenix configures a Proxmox VE host from",
        markdown: include_str!("../../docs/configuration.md"),
    },
    FormatPage {
        name: "phoenix-plan",
        summary: "the plan format the phx tools print and phx-apply carries out",
        markdown: include_str!("../../docs/plan.md"),
    },
];

/// docs/safety.md; its "In short" section is phx-apply(1)'s SAFETY.
const SAFETY: &str = include_str!("../../docs/safety.md");

/// The pages every Phoenix man page points to.
pub const SEE_ALSO: &str = "phoenix-config(5), phoenix-plan(5), phx-apply(1), phoenix-cli(1)";

/// A whole section-5 page as roff.
pub fn format_page(page: &FormatPage) -> String {
    let upper = page.name.to_uppercase();
    let version = env!("CARGO_PKG_VERSION");
    format!(
        ".TH {} 5 \"\" \"phoenix {version}\" \"Phoenix manual\"\n.SH NAME\n{} \\- {}\n{}.SH \"SEE ALSO\"\n{}\n",
        roff::escape(&upper),
        roff::escape(page.name),
        roff::escape(page.summary),
        roff::body(page.markdown),
        see_also_except(page.name),
    )
}

/// Writes the section-5 pages under `share` (the package's /usr/share);
/// returns the files written, relative to `share`.
pub fn write_format_pages(share: &Path) -> io::Result<Vec<PathBuf>> {
    let dir = share.join("man/man5");
    std::fs::create_dir_all(&dir)?;
    let mut written = Vec::new();
    for page in &FORMAT_PAGES {
        let file = format!("{}.5", page.name);
        std::fs::write(dir.join(&file), format_page(page))?;
        written.push(PathBuf::from("man/man5").join(file));
    }
    Ok(written)
}

/// What a section-1 page gets after clap's sections: phx-apply's the
/// safety model in short; every page, where the formats are described.
pub fn section1_tail(program: &str) -> String {
    let mut tail = String::new();
    if program == "phx-apply" {
        let essentials = in_short(SAFETY).expect("docs/safety.md has an \"## In short\" section");
        tail.push_str(".SH SAFETY\n");
        let body = roff::body(essentials);
        tail.push_str(body.strip_prefix(".SH DESCRIPTION\n").unwrap_or(&body));
    }
    tail.push_str(&format!(".SH \"SEE ALSO\"\n{}\n", see_also_except(program)));
    tail
}

/// The text of the `## In short` section of a docs page.
fn in_short(markdown: &str) -> Option<&str> {
    let start = markdown.find("\n## In short\n")? + "\n## In short\n".len();
    let end = markdown[start..]
        .find("\n## ")
        .map_or(markdown.len(), |i| start + i);
    Some(&markdown[start..end])
}

/// SEE_ALSO without the page itself.
fn see_also_except(name: &str) -> String {
    SEE_ALSO
        .split(", ")
        .filter(|p| !p.starts_with(&format!("{name}(")))
        .map(roff::escape)
        .collect::<Vec<_>>()
        .join(", ")
}
