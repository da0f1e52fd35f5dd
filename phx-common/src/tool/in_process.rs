//! A planner run inside another program on an inventory that program
//! loaded: phoenix-cli loads the configuration once and plans every
//! subsystem of a run in its own process (docs/tools.md, "One load per
//! run"), where nine processes each loaded the same files. The planner
//! keeps its contract: its own command line, parsed by its own parser, the
//! same observe, plan and summary, the same plan bytes.

use super::{plan_on, Route, Tool};
use crate::cli::{finish_to, leave_to_exit, Failure};
use crate::config::{Inventory, Rules};
use phx_plan::PlanWriter;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One planner's run: the exit status its binary would have given, and
/// what it would have said on stderr.
pub struct Outcome {
    pub code: u8,
    pub said: Vec<u8>,
}

/// A planner as another program calls it, on an inventory it loaded.
#[derive(Clone, Copy)]
pub struct Library {
    /// Whether it plans from the firewall rules ([`Tool::RULES`]): the
    /// inventory it is given must have kept them.
    pub rules: Rules,
    /// See [`plan_loaded`].
    pub plan: fn(&Inventory, &[OsString], Box<dyn Write + Send>, Duration) -> Outcome,
    /// See [`after_loaded`].
    pub after_run: fn(&Inventory, &[OsString]) -> Option<String>,
    /// See [`extra_loaded`].
    pub extra: fn(&Inventory, &[OsString], &mut dyn Write) -> Outcome,
}

/// `T`'s library.
pub fn library<T: Tool>() -> Library {
    Library {
        rules: T::RULES,
        plan: plan_loaded::<T>,
        after_run: after_loaded::<T>,
        extra: extra_loaded::<T>,
    }
}

/// `argv` (the planner's name first, then its arguments, as its binary
/// would get them) planned on `inv`, which was loaded as the planner's own
/// load would have loaded it, in `loaded` (said in the guest tools'
/// closing line), with the same input arguments. The plan goes to `out`.
/// Only planning is offered: `render` and the planners' own subcommands
/// are their binaries'.
fn plan_loaded<T: Tool>(
    inv: &Inventory,
    argv: &[OsString],
    out: Box<dyn Write + Send>,
    loaded: Duration,
) -> Outcome {
    use clap::Parser;
    let mut said = Vec::new();
    let result = match T::Cli::try_parse_from(argv) {
        Err(e) => Err(Failure::Usage(e.render().to_string().trim_end().to_string())),
        Ok(cli) => match T::route(cli) {
            Route::Plan { input, options } => {
                let sink = PlanWriter::new(T::NAME, out);
                let now = Instant::now();
                let start = now.checked_sub(loaded).unwrap_or(now);
                plan_on::<T>(inv, &input, options, sink, &mut said, (start, loaded))
                    .map(|seen| {
                        leave_to_exit(seen);
                        phx_plan::exit::EXIT_OK
                    })
            }
            _ => Err(Failure::Usage(format!(
                "{} plans in another program only as a plan (render and its own subcommands are its binary's)",
                T::NAME
            ))),
        },
    };
    let code = finish_to(&mut said, T::NAME, result);
    Outcome { code, said }
}

/// One of `T`'s own subcommands (`argv`: its name, the subcommand, its
/// arguments) on `inv`, its output into `out`, as its binary would run it,
/// where the tool offers it so ([`Tool::extra_loaded`]).
fn extra_loaded<T: Tool>(inv: &Inventory, argv: &[OsString], out: &mut dyn Write) -> Outcome {
    use clap::Parser;
    let mut said = Vec::new();
    let not_here = || {
        Failure::Usage(format!(
            "{} offers this only as its binary: {}",
            T::NAME,
            argv.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        ))
    };
    let result = match T::Cli::try_parse_from(argv) {
        Err(e) => Err(Failure::Usage(
            e.render().to_string().trim_end().to_string(),
        )),
        Ok(cli) => match T::route(cli) {
            Route::Extra(cmd) => {
                T::extra_loaded(inv, cmd, out, &mut said).unwrap_or_else(|| Err(not_here()))
            }
            _ => Err(not_here()),
        },
    };
    let code = finish_to(&mut said, T::NAME, result);
    Outcome { code, said }
}

/// What `T` says once its plan ran ([`Tool::after_run`]), for the command
/// line `argv` it planned with; nothing when there is nothing to say or
/// saying it failed (a preview made no root to fingerprint).
pub fn after_loaded<T: Tool>(inv: &Inventory, argv: &[OsString]) -> Option<String> {
    use clap::Parser;
    match T::route(T::Cli::try_parse_from(argv).ok()?) {
        Route::Plan { input, .. } => T::after_run(inv, &input).ok().flatten(),
        _ => None,
    }
}

/// The planners' own programs, by name, where a plan step calls one back
/// (phx-dns's and phx-gpu's guards): set once by the program that plans
/// in its own process, whose own path would be the wrong one.
static PROGRAMS: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();

/// Names each planner's program for [`own_program`]; the first call wins.
pub fn set_programs(programs: BTreeMap<String, PathBuf>) {
    let _ = PROGRAMS.set(programs);
}

/// The path of `tool`'s own program, as its plan's guards call it: the one
/// [`set_programs`] named (none when it named the planners and `tool`'s
/// program was not found: the guard then calls it by name, from PATH),
/// else this process's own (the tool running as itself).
pub fn own_program(tool: &str) -> Option<String> {
    let path = match PROGRAMS.get() {
        Some(named) => named.get(tool).cloned(),
        None => std::env::current_exe().ok(),
    };
    path.and_then(|p| p.to_str().map(String::from))
}
