//! phx-ca: placeholder. The certificate tool (Step-CA, root export, trust in
//! guests, Traefik ACME) is a later issue; this binary refuses to pretend.

use clap::Parser;
use std::process::ExitCode;

/// Phoenix certificates: Step-CA in its container, its root exported to a
/// shared volume and trusted by every guest with `trusted_ca`, Traefik's ACME.
///
/// NOT IMPLEMENTED YET: this binary plans nothing and exits with status 2.
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// Accepted for forward compatibility; ignored.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

fn main() -> ExitCode {
    let _ = Args::parse();
    eprintln!("phx-ca: not implemented yet; certificates are planned in a later issue. Nothing was planned.");
    ExitCode::from(2)
}
