//! phx-apply's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use crate::color::ColorChoice;
use clap::{CommandFactory, Parser};
use std::path::PathBuf;

/// Carry out a Phoenix plan: write files atomically, run commands and the
/// handlers they notify. Unchanged files are not rewritten, so a converged
/// host sees zero writes and zero restarts.
#[derive(Parser)]
#[command(
    name = "phx-apply",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  phx-net --config-dir etc | phx-apply --check --diff                      # what would change
  { phx-net --config-dir etc; phx-dns --config-dir etc; } | phx-apply      # do it
  phx-dns etc/*.json | phx-apply --root /tmp/preview                       # stage into a tree

Exit status: 0 done (with --check: nothing to change), 1 a step failed,
2 bad plan or usage, 3 --check found pending changes."
)]
pub struct Args {
    /// The plans (JSON Lines), one or several (each tool's, in the order
    /// they run; guest shutdowns and destroys go first, dependents first,
    /// and guest starts last, in their start order); `-` or
    /// nothing reads stdin, which may hold several plans one after another.
    #[arg(value_name = "PLAN")]
    pub plans: Vec<PathBuf>,
    /// Print the plans as the one plan this would carry out (stops first,
    /// starts last, in their order; one trailer), and do nothing.
    #[arg(long, conflicts_with_all = ["check", "diff", "json"])]
    pub print_plan: bool,
    /// Map every path under DIR (previews, staging, tests). Commands and
    /// handlers are reported, not run, unless --run-commands is given.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Under --root, run command and handler steps too (tests put doubles on PATH).
    #[arg(long)]
    pub run_commands: bool,
    /// Change nothing; exit 3 when something would change, 0 when converged.
    /// Guards still run (they only read). Under --root without --run-commands,
    /// commands are not evaluated and do not count.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of every file that changes (secrets as <secret>).
    #[arg(long)]
    pub diff: bool,
    /// Print the report as JSON on stdout (diffs inside it); the step lines
    /// and recap still go to stderr, without a spinner.
    #[arg(long)]
    pub json: bool,
    /// Also write the report, as --json prints it, to FILE (created or
    /// replaced), whatever is printed: phoenix-cli reads from it whether a
    /// phase changed anything.
    #[arg(long, value_name = "FILE")]
    pub report_to: Option<std::path::PathBuf>,
    /// Undo one earlier run: restore the files it replaced or removed from
    /// RUN (a directory under /var/lib/phoenix/backups, as the report names it,
    /// or just its name), remove the files it created, then re-run the
    /// handlers it ran. Refused, with nothing restored, unless the backup
    /// verifies against its manifest (whose lines carry a keyed MAC). A
    /// file changed since the run wrote it is not restored (exit 1).
    /// Commands are not undone.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["plans", "check", "diff", "confirm"])]
    pub rollback: Option<PathBuf>,
    /// Disarm every automatic rollback a lockout-prone change armed: the
    /// operator still reaches the host, the changes stay.
    #[arg(long, conflicts_with_all = ["plans", "check", "diff"])]
    pub confirm: bool,
    /// With --rollback: roll back only if the run is still armed (what the
    /// automatic rollback's timer runs: a confirm that came first wins).
    #[arg(long, requires = "rollback")]
    pub if_armed: bool,
    /// With --rollback: wait up to N seconds for a run that holds the lock
    /// to finish, then roll back (a timer must not be lost to a busy host).
    #[arg(long, value_name = "N", requires = "rollback", default_value_t = crate::DEFAULT_LOCK_WAIT.as_secs())]
    pub lock_wait: u64,
    /// Before a lockout-prone handler (bridge reload, firewall restart), arm
    /// an automatic rollback N seconds out (N at least 1). Default: 120 when
    /// on SSH ($SSH_CLIENT or $SSH_CONNECTION set), else none.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub confirm_timeout: Option<u64>,
    /// Kill any command, guard, validator or handler still running after N
    /// seconds (its whole process group) and fail its step. A lockout-prone
    /// handler gets at most 60 s and half the confirm window. In a VM it is
    /// `qm guest exec --timeout N` (not qm's 30 s default, too short for an
    /// apt-get install): a command still running then fails its step. A
    /// step whose `timeout_s` is larger (a vLLM or CUDA install, a driver
    /// build) gets that instead.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          default_value_t = crate::DEFAULT_COMMAND_TIMEOUT.as_secs())]
    pub command_timeout: u64,
    /// Wait up to N seconds for a running VM's guest agent to answer before
    /// its first in-guest step (0: ask once). A VM's first boot installs the
    /// agent through cloud-init, minutes after `qm start` returned; a VM
    /// without an agent configured, or stopped, fails at once.
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_AGENT_WAIT.as_secs())]
    pub agent_wait: u64,
    /// Keep the backup directories of the last N runs; older ones are
    /// removed, with their backups inside guests (a run whose guest is
    /// stopped stays until a later run can). This run's own backup, and
    /// those of runs still armed or owing a handler, are never removed (so
    /// 0 keeps only those).
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_KEEP_BACKUPS)]
    pub keep_backups: usize,
    /// Show every step (ok and skipped ones too) and how long each took;
    /// by default a converged run prints only one recap line per subsystem.
    #[arg(short, long)]
    pub verbose: bool,
    /// Colour diffs and the report: auto (on a terminal, unless NO_COLOR is
    /// set and not empty), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The command line phx-apply parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
