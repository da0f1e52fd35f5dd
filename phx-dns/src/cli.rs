//! phx-dns's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{InputArgs, RenderArgs};

/// Plan the internal DNS server: dnsmasq on the Proxmox host.
///
/// Every guest with a static IP gets `<name>.<domain>` (lower-cased, made
/// DNS-safe); every `dns_records` entry is served as written (`*.name` or
/// `"wildcard": true` for a name and all its subdomains); the CA's name
/// (`step_ca.dns_name`, default `ca.<domain>`) points at the `step_ca` guest;
/// every `traefik_service` name points at the `traefik` guest. Explicit
/// records win over derived names, and a service over a guest's own name of
/// the same spelling (each with a warning). Each name answers A and
/// its address answers PTR.
///
/// The plan (JSON Lines for phx-apply): install dnsmasq if missing; write
/// /etc/dnsmasq.d/phoenix.conf (checked with `dnsmasq --test`): listen on
/// 127.0.0.1 and the bridge address only, never forward the internal domain,
/// upstreams from `dns_server.upstream_servers` (default 8.8.8.8, 8.8.4.4);
/// write the records to /etc/phoenix/dns/hosts; reload dnsmasq (SIGHUP) when
/// only records changed, restart it when the config changed, nothing when
/// nothing did. `dns_server.enabled: false` plans the removal of both files.
#[derive(Parser)]
#[command(
    name = "phx-dns",
    version,
    args_conflicts_with_subcommands = true,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-dns --config-dir examples/etc                     # print the plan
  phx-dns --config-dir examples/etc | phx-apply         # apply it to this host
  phx-dns render --config-dir examples/etc              # show phoenix.conf and the records
  phx-dns render --config-dir etc --out /tmp/preview    # write them under /tmp/preview
  cat etc/*.json | phx-dns -                            # read the JSON from stdin

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print the generated dnsmasq config and records file, or write them under --out.
    Render(RenderArgs),
    /// Exit 0 if the Debian package PKG is fully installed, 1 if not (the plan's install guard).
    PkgInstalled {
        /// The Debian package's name (e.g. dnsmasq).
        #[arg(value_name = "PKG")]
        package: String,
    },
}

/// The command line phx-dns parses, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}
