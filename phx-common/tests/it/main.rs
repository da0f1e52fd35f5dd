//! phx-common's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

/// Runs a test that touches process-wide state in a child process, alone.
#[path = "../../../phx-testkit/src/alone.rs"]
mod alone;
mod config_layers;
mod flows;
mod image_source;
mod input_holes;
mod input_trust;
mod load_upstream;
mod no_value_tree;
mod nvidia_keys;
mod streamed_load;
mod unhandled;
mod validation;
