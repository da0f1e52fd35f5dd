//! How a run is told to behave: where the root is, whether commands run,
//! check and diff modes, and the PATH commands see.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    /// `/` for the live host; anything else maps every path under it.
    pub root: PathBuf,
    /// Under a root other than `/`, commands and handlers run only with this.
    pub run_commands: bool,
    pub check: bool,
    pub diff: bool,
    /// PATH for commands, guards, handlers and validators; `None` inherits the
    /// process's. Tests put their doubles first here instead of mutating the
    /// process environment, which other test threads read concurrently.
    pub path: Option<std::ffi::OsString>,
    /// Backup directories of this many runs are kept; older ones are removed.
    pub keep_backups: usize,
    /// Arm an automatic rollback this many seconds out before a lockout-prone
    /// handler runs (set when the operator is on SSH, or asked for).
    pub confirm_timeout: Option<u64>,
    /// The phx-apply the armed timer runs; `None`: `phx-apply` on PATH.
    pub self_exe: Option<PathBuf>,
    /// How long any command, guard, validator or handler may run before its
    /// process group is killed and its step fails.
    pub command_timeout: Duration,
    /// How long `--rollback` waits for another run's lock before it gives up.
    pub lock_wait: Duration,
    /// How long a running VM's guest agent is waited for before its first
    /// in-guest step (a VM's first boot installs the agent through
    /// cloud-init, minutes after `qm start` returned).
    pub agent_wait: Duration,
}

pub const DEFAULT_KEEP_BACKUPS: usize = 20;

/// `--command-timeout`'s default: a `pct create` from a large template fits.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// A lockout-prone handler (`ifreload -a`, `pve-firewall restart`) gets at
/// most this long, and at most half the confirm window, so a hung one is
/// killed well before the automatic rollback has to wait for its lock.
pub const CONFIRM_HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

/// `--lock-wait`'s default: a rollback fired by its timer waits this long for
/// a run that holds the lock (a guests phase creating containers) to end.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(900);

/// `--agent-wait`'s default: a cloud image's first boot, its package
/// index refreshed and the agent installed, fits.
pub const DEFAULT_AGENT_WAIT: Duration = Duration::from_secs(300);

/// Where the executor keeps its lock and backups; no step may touch it.
pub const STATE_DIR: &str = "/var/lib/phoenix";

impl Default for Options {
    fn default() -> Self {
        Options {
            root: PathBuf::from("/"),
            run_commands: false,
            check: false,
            diff: false,
            path: None,
            keep_backups: DEFAULT_KEEP_BACKUPS,
            confirm_timeout: None,
            self_exe: None,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            lock_wait: DEFAULT_LOCK_WAIT,
            agent_wait: DEFAULT_AGENT_WAIT,
        }
    }
}

impl Options {
    pub fn live(&self) -> bool {
        self.root == Path::new("/")
    }
    /// Whether command and handler steps may be executed at all in this run.
    pub fn may_run(&self) -> bool {
        self.live() || self.run_commands
    }
    /// The time limit of a handler marked `confirm`: shorter than the
    /// command timeout and than the confirm window.
    pub fn confirm_handler_timeout(&self) -> Duration {
        let window = self.confirm_timeout.map_or(Duration::MAX, |s| {
            Duration::from_millis(s.saturating_mul(500))
        });
        self.command_timeout
            .min(CONFIRM_HANDLER_TIMEOUT)
            .min(window)
    }
    /// The executor's own state (lock, backups), resolved inside the root.
    pub fn state_dir(&self) -> std::io::Result<PathBuf> {
        crate::confine::resolve(&self.root, Path::new(STATE_DIR))
    }
}
