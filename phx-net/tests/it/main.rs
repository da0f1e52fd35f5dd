//! phx-net's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod net;
