//! phx-schema's command line, in the library so the packaging crate can make
//! its man page and completions from the definition the binary parses.

use clap::{CommandFactory, Parser};
use std::path::PathBuf;

/// Print the JSON Schema of a Phoenix configuration file, or write all three.
/// Point an editor at them to check the files as you type (see phoenix-config(5)).
/// Without FILE nor --out it lists the three files it knows.
#[derive(Parser)]
#[command(
    name = "phx-schema",
    version,
    after_help = "Examples:
  phx-schema                                         # which files: hypervisor, lxc, vm
  phx-schema lxc > phoenix_lxc_configs.schema.json   # one file's schema
  phx-schema --out /tmp/phoenix-schemas              # all three, into a directory

Exit status: 0 ok, 1 runtime error, 2 usage."
)]
pub struct Args {
    /// Which file: hypervisor, lxc or vm (or the configuration file's name);
    /// none: list them.
    #[arg(value_name = "FILE")]
    pub file: Option<String>,
    /// Write the three schemas into DIR (created if needed) as
    /// phoenix_hypervisor_config.schema.json, phoenix_lxc_configs.schema.json
    /// and phoenix_vm_configs.schema.json.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    pub out: Option<PathBuf>,
}

/// The command line phx-schema parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
