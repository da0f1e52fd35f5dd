//! phx-migrate's integration tests: one test binary, each area a module.

mod cli;
mod dns;
mod scripts;
