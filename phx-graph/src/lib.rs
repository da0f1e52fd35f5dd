//! phx-graph: a picture of the estate a configuration describes, for people:
//! which guests exist, in which boot order, cloned from and depending on
//! which, which trust the internal CA, which names Traefik routes where, and
//! which are firewalled. It reads the model only; it plans nothing.

pub mod cli;
pub mod estate;
pub mod render;

pub use estate::{describe, Estate};

/// The output formats `--format` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Mermaid flowchart, for Markdown (GitHub renders it).
    Mermaid,
    /// Graphviz DOT (`| dot -Tsvg > estate.svg`).
    Dot,
}

pub fn draw(inv: &phx_common::Inventory, format: Format) -> String {
    let e = describe(inv);
    match format {
        Format::Mermaid => render::mermaid(&e),
        Format::Dot => render::dot(&e),
    }
}
