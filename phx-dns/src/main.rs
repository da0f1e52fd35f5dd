use clap::{Parser, Subcommand};
use phx_common::cli::{self, Failure, InputArgs, RenderArgs};
use std::process::ExitCode;

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
    after_help = "Examples:
  phx-dns --config-dir examples/etc                  print the plan
  phx-dns --config-dir examples/etc | phx-apply      apply it to this host
  phx-dns render --config-dir examples/etc           show phoenix.conf and the records
  phx-dns render --config-dir etc --out /tmp/preview write them under /tmp/preview
  cat etc/*.json | phx-dns -                         read the JSON from stdin

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage (nothing printed on stdout)."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print the generated dnsmasq config and records file, or write them under --out.
    Render(RenderArgs),
    /// Exit 0 if the Debian package PKG is fully installed, 1 if not (the plan's install guard).
    PkgInstalled {
        #[arg(value_name = "PKG")]
        package: String,
    },
}

fn build(input: &InputArgs) -> Result<phx_dns::Output, Failure> {
    let inv = input.load(phx_dns::TOOL)?;
    let mut opts = phx_dns::Options::default();
    if let Some(exe) = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(String::from))
    {
        opts.phx_dns = exe;
    }
    let out = phx_dns::build(&inv, &opts).map_err(Failure::Invalid)?;
    for w in &out.warnings {
        eprintln!("{}: warning: {w}", phx_dns::TOOL);
    }
    for n in &out.notes {
        eprintln!("{}: note: {n}", phx_dns::TOOL);
    }
    Ok(out)
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.cmd {
        None => cli::emit(&build(&cli.input)?.plan),
        Some(Cmd::Plan { input }) => cli::emit(&build(&input)?.plan),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            cli::render(&build(&input)?.files, out.as_deref())
        }
        // A predicate for guards: "not installed" is the false answer, not an error.
        Some(Cmd::PkgInstalled { package }) => Ok(if phx_dns::pkg::installed(&package) {
            cli::EXIT_OK
        } else {
            cli::EXIT_FAILED
        }),
    }
}

fn main() -> ExitCode {
    cli::finish(phx_dns::TOOL, run(Cli::parse()))
}
