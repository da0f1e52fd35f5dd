//! phoenix-cli: plans and applies by phase. It plans with the planners'
//! libraries through the tool contract, on one load of the configuration
//! (run/in_process.rs), and runs phx-apply as a program; the registry
//! (phx_common::registry) says which planners a phase has, in which order,
//! which flags are whose, what a planner says after its plan ran.

mod bins;
pub mod cli;
mod observe;
mod run;
pub mod signals;

pub use run::{run, Stop};
