//! phx-net's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{InputArgs, RenderArgs};

/// Plan the Proxmox host's network from the Phoenix JSON.
///
/// Edits only the primary bridge's stanza in /etc/network/interfaces (address,
/// gateway, bridge-ports, bridge-stp off, bridge-fd 0; every other stanza,
/// comment and `source` line is kept), writes /etc/hostname, a managed block in
/// /etc/hosts mapping the host's real address to its name (Proxmox needs that,
/// not 127.0.1.1), and /etc/resolv.conf (127.0.0.1 first when Phoenix's DNS
/// server is enabled); a line mapping the node's name to loopback
/// (`127.0.1.1 <name>`) is commented out with a `#phoenix-loopback#` marker.
/// Handlers: `ifreload -a` and `hostnamectl set-hostname`, only when their
/// file changed. A new hostname on a node whose /etc/pve/nodes/<name>/ holds
/// guests or certificates is refused (exit 2) unless --rename-node: renaming
/// a Proxmox node orphans them.
#[derive(Parser)]
#[command(
    name = "phx-net",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  phx-net --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply --check --diff
  phx-net render --config-dir examples/etc --out /tmp/preview   # write the files there
  cat etc/*.json | phx-net - | phx-apply                        # the JSON from stdin

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Change the hostname even though /etc/pve/nodes/<current name>/ holds
    /// guests or certificates, which the rename leaves behind there.
    #[arg(long)]
    pub rename_node: bool,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        /// As phx-net --rename-node.
        #[arg(long)]
        rename_node: bool,
    },
    /// Print the generated files (or write them under --out DIR).
    Render(RenderArgs),
}

/// The command line phx-net parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
