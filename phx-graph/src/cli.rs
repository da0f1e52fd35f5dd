//! phx-graph's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use crate::Format;
use clap::{CommandFactory, Parser};
use phx_common::cli::InputArgs;

/// Draw the estate the configuration describes: guests (LXC and VM) grouped
/// by boot order, clone and dependency edges, which guests trust the CA,
/// Traefik routes (`name.domain → guest:port`), DNS names, firewalled guests.
#[derive(Parser)]
#[command(
    name = "phx-graph",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-graph --config-dir examples/etc                        # Mermaid, for Markdown
  phx-graph --format dot --config-dir etc | dot -Tsvg > estate.svg

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The command line phx-graph parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
