//! phoenix-cli: plans and applies by phase. It runs the phx-* planners and
//! phx-apply as programs (never links them), chosen by the registry
//! (phx_common::registry): which planners a phase has, in which order, which
//! flags are whose, what a planner says after its plan ran.

mod bins;
pub mod cli;
mod observe;
mod run;
pub mod signals;

pub use run::{run, Stop};
