use clap::{Parser, Subcommand};
use phx_common::cli::{self, Failure, InputArgs, RenderArgs, EXIT_FAILED, EXIT_OK};
use std::process::ExitCode;

/// Plan the internal CA and the TLS that hangs off it.
///
/// Step-CA in the guest with the `step_ca` feature: installed from
/// Smallstep's apt repository once; `step ca init` once (root
/// "<step_ca.ca_name> Root CA", DNS name `step_ca.dns_name` and the guest's
/// IP, address :443, an ACME provisioner), with its passwords made inside the
/// guest; Phoenix's settings merged into ca.json (ACME provisioner, admin
/// provisioner `step_ca.provisioner_name`, DNS names,
/// `step_ca.default_tls_cert_duration`, default 24h), restarting the CA only
/// when they change. The root certificate (never a key) is exported to the
/// host directory the guests mount as /ssl, and trusted by the host and by
/// every guest with `trusted_ca`. Traefik in the guest with `traefik` gets
/// one ACME resolver against Step-CA and a route for every `traefik_service`.
#[derive(Parser)]
#[command(
    name = "phx-ca",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  phx-ca --config-dir examples/etc                   print the plan
  phx-ca --config-dir examples/etc | phx-apply       apply it
  phx-ca render --config-dir etc --out /tmp/r        DIR/guests/<id>/<path>, DIR/host/<path>
  phx-ca fingerprint --config-dir etc                the exported root's SHA-256

Exit status: 0 ok, 1 runtime error (fingerprint: no root exported yet),
2 invalid configuration or usage (nothing printed on stdout)."
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
    /// Print every generated file, or write them under --out as
    /// DIR/guests/<id>/<path in the guest> and DIR/host/<path>.
    Render(RenderArgs),
    /// Print the SHA-256 fingerprint of the exported root certificate.
    Fingerprint {
        #[command(flatten)]
        input: InputArgs,
    },
}

fn build(input: &InputArgs) -> Result<(phx_common::Inventory, phx_ca::Output), Failure> {
    let inv = input.load(phx_ca::TOOL)?;
    let out = phx_ca::build(&inv).map_err(Failure::Invalid)?;
    for w in &out.warnings {
        eprintln!("{}: warning: {w}", phx_ca::TOOL);
    }
    Ok((inv, out))
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.cmd {
        None => cli::emit(&build(&cli.input)?.1.plan),
        Some(Cmd::Plan { input }) => cli::emit(&build(&input)?.1.plan),
        Some(Cmd::Render(RenderArgs { input, out })) => {
            let (inv, o) = build(&input)?;
            let files = phx_ca::render(&inv, &o.topology, &input.state_root)?;
            cli::render(&files, out.as_deref())
        }
        Some(Cmd::Fingerprint { input }) => {
            let (_, o) = build(&input)?;
            let path = o.topology.exported_root();
            let pem = std::fs::read_to_string(input.observed(&path));
            match pem.ok().as_deref().and_then(phx_ca::fingerprint::sha256) {
                Some(fp) => {
                    println!("{fp}  {path}");
                    Ok(EXIT_OK)
                }
                None => {
                    eprintln!(
                        "{}: {path}: no root certificate exported yet (run the plan first)",
                        phx_ca::TOOL
                    );
                    Ok(EXIT_FAILED)
                }
            }
        }
    }
}

fn main() -> ExitCode {
    cli::finish(phx_ca::TOOL, run(Cli::parse()))
}
