use clap::Parser;
use phx_common::cli::{finish, Failure, InputArgs, EXIT_OK};
use phx_graph::Format;
use std::io::Write;
use std::process::ExitCode;

/// Draw the estate the configuration describes: guests (LXC and VM) grouped
/// by boot order, clone and dependency edges, which guests trust the CA,
/// Traefik routes (`name.domain → guest:port`), DNS names, firewalled guests.
#[derive(Parser)]
#[command(
    name = "phx-graph",
    version,
    after_help = "Examples:
  phx-graph --config-dir examples/etc                         Mermaid, for Markdown
  phx-graph --format dot --config-dir etc | dot -Tsvg > estate.svg

Exit status: 0 ok, 1 runtime error, 2 invalid configuration or usage."
)]
struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    format: Format,
    #[command(flatten)]
    input: InputArgs,
}

fn run(args: Args) -> Result<u8, Failure> {
    let inv = args.input.load()?;
    let text = phx_graph::draw(&inv, args.format);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}

fn main() -> ExitCode {
    finish("phx-graph", run(Args::parse()))
}
