//! phx-ca's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{CommandFactory, Parser, Subcommand};
use phx_common::cli::{GuestFilter, InputArgs, RenderArgs};

/// Plan the internal CA and the TLS that hangs off it.
///
/// Step-CA in the guest with the `step_ca` feature: installed from
/// Smallstep's apt repository once; `step ca init` once (root
/// "<step_ca.ca_name> Root CA", DNS name `step_ca.dns_name` and the guest's
/// IP, address :<step_ca.port> (default 9000), an ACME provisioner), with its passwords made inside the
/// guest; Phoenix's settings merged into ca.json (ACME provisioner, admin
/// provisioner `step_ca.provisioner_name`, DNS names,
/// `step_ca.default_tls_cert_duration`, default 24h), restarting the CA only
/// when they change. The root certificate (never a key) is exported to the
/// host directory the guests mount as /ssl, and trusted by the host and by
/// every guest with `trusted_ca` that starts at boot (containers through pct
/// exec, VMs through their QEMU guest agent). Traefik in the guest with `traefik` gets
/// one ACME resolver against Step-CA and a route for every `traefik_service`.
#[derive(Parser)]
#[command(
    name = "phx-ca",
    version,
    args_conflicts_with_subcommands = true,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-ca --config-dir examples/etc                   # print the plan
  phx-ca --config-dir examples/etc | phx-apply       # apply it
  phx-ca render --config-dir etc --out /tmp/r        # DIR/guests/<id>/<path>, DIR/host/<path>
  phx-ca fingerprint --config-dir etc                # the exported root's SHA-256

Exit status: 0 ok, 1 runtime error (fingerprint: no root exported yet),
2 invalid configuration or usage (nothing printed on stdout)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filter: GuestFilter,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        filter: GuestFilter,
    },
    /// Print every generated file, or write them under --out as
    /// DIR/guests/<id>/<path in the guest> and DIR/host/<path>.
    Render(RenderArgs),
    /// Print the SHA-256 fingerprint of the exported root certificate.
    Fingerprint {
        #[command(flatten)]
        input: InputArgs,
    },
}

/// The command line phx-ca parses, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}
