//! The configuration read once by phoenix-cli itself, before any planner:
//! a mistake in it is said once, as `phoenix-cli: FILE: PATH: …`, and
//! blamed on the file, not on whichever planner loaded it first ("phx-net
//! refused to plan" for a container's memory). Its warnings are said here,
//! once, and the planners' copies of them are dropped (`not_yet_said`).
//!
//! The input follows the planners' rules (phx_common::cli::InputArgs):
//! --config-dir, else the default directory, else stdin when it is not a
//! terminal and the default directory does not exist (read once, here;
//! the planners plan on this load, in_process.rs).

use super::Stop;
use phx_common::cli::{finish, Failure, DEFAULT_CONFIG_DIR};
use phx_common::config::load::{self, Input, Options, Rules, MAX_STREAM};
use phx_common::{guests, Inventory};
use phx_plan::exit::EXIT_INVALID;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// Where the planners read the configuration.
pub(super) enum Source {
    /// A directory (--config-dir, or the default): the planners read it themselves.
    Dir,
    /// Stdin, read once here: the bytes load_once reads the configuration from.
    Stdin(Vec<u8>),
}

/// The source as the planners would choose it for `config_dir`.
pub(super) fn source(config_dir: Option<&Path>) -> Result<Source, Stop> {
    let default = Path::new(DEFAULT_CONFIG_DIR);
    if config_dir.is_some() || std::io::stdin().is_terminal() || default.exists() {
        return Ok(Source::Dir);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STREAM + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Stop::Failed(format!("stdin: {e}")))?;
    Ok(Source::Stdin(bytes))
}

/// Loads the inventory as the planners would, firewall rules kept or
/// dropped as `rules` says, each existing guest's unwritten name and
/// address resolved under `root` (`guests::unwritten`): every planner of
/// the run plans on this one copy (in_process.rs). Problems are printed and stop
/// the run (exit 2); the warnings are printed and returned, for the
/// planners' copies of them to be dropped.
pub(super) fn load(
    source: &Source,
    config_dir: Option<&Path>,
    (strict, allow_rename, rules): (bool, bool, Rules),
    root: &Path,
) -> Result<(Vec<String>, Inventory), Stop> {
    phx_common::alloc::return_freed_memory_at_once();
    let opts = Options { strict, rules };
    let loaded = match source {
        Source::Dir => {
            let dir =
                config_dir.map_or_else(|| PathBuf::from(DEFAULT_CONFIG_DIR), Path::to_path_buf);
            load::load_with(&Input::Dir(dir), opts)
        }
        Source::Stdin(bytes) => load::load_stream(&mut bytes.as_slice(), opts)
            .map_err(|p| load::read_instead_of(Path::new(DEFAULT_CONFIG_DIR), p)),
    };
    let mut inv = match loaded {
        Ok(inv) => inv,
        Err(problems) => {
            // Said the way every tool says it, under phoenix-cli.
            let _ = finish("phoenix-cli", Err(Failure::Invalid(problems)));
            return Err(Stop::Exit(EXIT_INVALID));
        }
    };
    let held = guests::unwritten::resolve(&mut inv, root, allow_rename)
        .map_err(|e| Stop::Failed(format!("{e:#}")))?;
    inv.warnings.extend(held);
    let warnings = std::mem::take(&mut inv.warnings);
    for w in &warnings {
        eprintln!("phoenix-cli: warning: {w}");
    }
    Ok((warnings, inv))
}
