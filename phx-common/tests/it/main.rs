//! phx-common's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod input_trust;
mod load_upstream;
mod no_value_tree;
mod streamed_load;
mod validation;
