//! phx-verify's command line, in the library so the packaging crate can
//! make its man page and completions from the definition the binary parses.

use crate::report::Kind;
use clap::{CommandFactory, Parser};
use phx_common::cli::InputArgs;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Check, read-only, that the live estate serves what the configuration
/// declares: every DNS name answers its address from the host's dnsmasq;
/// the CA's /health answers over TLS chaining to the exported root; each
/// Traefik route answers over HTTPS with a certificate for its name that
/// chains to the root and lives at most 25 h (days/hours to expiry shown);
/// each running trusted_ca container's certificate store holds the root
/// (by SHA-256 fingerprint, read with `pct exec … cat`); with
/// nvidia_driver.install, `nvidia-smi` on the host reports the configured
/// driver version (a host whose `lspci -mm -n` shows no NVIDIA GPU is
/// skipped), and so does each running container with a gpu_assignment
/// (`pct exec … nvidia-smi`, the version its nvidia feature installs);
/// each running vLLM server answers GET /v1/models on its engine port
/// (default 8000) listing its served_model_name (else its model), and each
/// Ollama server GET /api/tags on its port (the guest side of `ports`,
/// default 11434); a failure names the container and the port. Nothing is
/// changed and no secret is read or printed.
#[derive(Parser, Debug)]
#[command(
    name = "phx-verify",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-verify --config-dir /usr/local/phoenix_hypervisor/etc
  phx-verify --json --config-dir etc > verify.json          # one document: checks, ok, failed, skipped

Output: one line per check (ok, FAIL or skip, what, why), then a summary; --json one document.
Exit status: 0 every check passed, 1 a check failed (each named), 2 invalid configuration or usage."
)]
pub struct Args {
    /// One JSON document on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
    /// The DNS server to ask. Default: the host's bridge address, port 53.
    #[arg(long, value_name = "ADDR:PORT")]
    pub dns_server: Option<SocketAddr>,
    /// The exported root certificate the chains must end in.
    /// Default: the host's copy, /usr/local/share/ca-certificates/phoenix-root-ca.crt
    /// (under --root DIR).
    #[arg(long, value_name = "FILE")]
    pub root_cert: Option<PathBuf>,
    /// The CA's TLS port, overriding the configuration's step_ca.port
    /// (where phx-ca's `step ca init --address` puts it; 9000 by default).
    #[arg(long, value_name = "PORT")]
    pub ca_port: Option<u16>,
    /// Leave one kind of check out (repeatable); it is listed as skipped.
    #[arg(long, value_enum, value_name = "KIND")]
    pub skip: Vec<Kind>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The command line phx-verify parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
