//! phx-verify: checks a live estate against its configuration, read-only.

use clap::Parser;
use phx_common::cli::{finish, Failure};
use phx_plan::exit::{EXIT_FAILED, EXIT_OK};
use phx_verify::cli::Args;
use phx_verify::{report, Settings, HOST_ROOT};
use std::io::Write;
use std::net::SocketAddr;

fn run(args: Args) -> Result<u8, Failure> {
    let inv = args.input.load_without_rules("phx-verify")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| Failure::Runtime(e.into()))?
        .as_secs() as i64;
    let settings = Settings {
        dns_server: args
            .dns_server
            .unwrap_or_else(|| SocketAddr::from((inv.host.network.address.addr(), 53))),
        root: args
            .root_cert
            .clone()
            .unwrap_or_else(|| args.input.observed(HOST_ROOT)),
        ca_port: args.ca_port.unwrap_or(inv.host.step_ca.port),
        skip: args.skip.clone(),
        now,
    };
    let checks = phx_verify::verify(&inv, &settings).map_err(Failure::Invalid)?;
    let text = if args.json {
        report::json(&checks)
    } else {
        report::text(&checks)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if report::any_failed(&checks) {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

fn main() -> std::process::ExitCode {
    finish("phx-verify", run(Args::parse()))
}

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
