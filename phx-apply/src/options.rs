//! How a run is told to behave: where the root is, whether commands run,
//! check and diff modes, and the PATH commands see.

use phx_common::fsutil::under_root;
use std::path::{Path, PathBuf};

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            root: PathBuf::from("/"),
            run_commands: false,
            check: false,
            diff: false,
            path: None,
        }
    }
}

impl Options {
    pub fn live(&self) -> bool {
        self.root == Path::new("/")
    }
    /// Whether command and handler steps may be executed at all in this run.
    pub(crate) fn may_run(&self) -> bool {
        self.live() || self.run_commands
    }
    pub fn state_dir(&self) -> PathBuf {
        under_root(&self.root, "/var/lib/phoenix")
    }
}
