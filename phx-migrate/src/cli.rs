//! phx-migrate's command line, in the library so the packaging crate can
//! make its man page and completions from the definition the binary parses.

use clap::{CommandFactory, Parser};
use std::path::PathBuf;

/// Make Phoenix files from the original bash system's (SirHeads/Testing-ideas,
/// at 260ca13 or at HEAD): the three JSON files, plus what the original
/// hard-coded in its scripts, each change listed on stderr with the script
/// and line it comes from — `step_ca.dns_name` (ca.internal.thinkheads.ai),
/// `step_ca.port` (9000), 260ca13's four Traefik routes as `traefik_service`
/// entries, a `scheme` for each of HEAD's `traefik_service` entries. HEAD's
/// `step_cli` feature (no Phoenix equivalent) is dropped
/// (listed too). Each `application_script` a container names is copied from
/// the original's bin directory (beside its etc, where lxc-manager.sh ran it
/// from) into OUT/scripts/ (0755), where phx-features looks for it; one not
/// found is a warning naming its containers (LetsGo refuses them until it is
/// there). The result is loaded with Phoenix's loader before anything is
/// written; OUT's existing files are never overwritten unless identical.
#[derive(Parser, Debug)]
#[command(
    name = "phx-migrate",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-migrate --from-original /usr/local/phoenix_hypervisor/etc /etc/phoenix
  phx-migrate --from-original tests/fixtures/phoenix-upstream /tmp/migrated

Exit status: 0 written (or already identical), 1 runtime error (writing OUT),
2 unreadable or invalid input, a migration Phoenix would refuse, or OUT's files differ (nothing written)."
)]
pub struct Args {
    /// The original's etc directory (phoenix_hypervisor_config.json,
    /// phoenix_lxc_configs.json, phoenix_vm_configs.json), or a checkout of
    /// its repository (its usr/local/phoenix_hypervisor/etc is read).
    #[arg(long, value_name = "DIR")]
    pub from_original: PathBuf,
    /// Where the Phoenix files are written (made if missing).
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
}

/// The command line phx-migrate parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
