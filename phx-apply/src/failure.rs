//! Why phx-apply stopped, and the exit status it says so with (the contract
//! in `phx_plan::exit`). phx-apply reads plans, never the configuration, so
//! it has no configuration problems to report: only usage and run time.

use phx_plan::exit::{EXIT_FAILED, EXIT_INVALID};
use std::process::ExitCode;

#[derive(Debug)]
pub enum Failure {
    /// The command line or a plan is wrong: exit 2, nothing done.
    Usage(String),
    /// Something failed at run time: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Runtime(e.into())
    }
}

/// Prints the failure as every Phoenix tool does and maps it to the exit status.
pub fn finish(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(msg)) => {
            eprintln!("phx-apply: {msg}");
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("phx-apply: error: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}
