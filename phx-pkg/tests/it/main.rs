//! phx-pkg's integration tests: one test binary (one link, one process
//! running them on several threads), each former test file a module.

mod build_shim;
mod completions;
mod docs_links;
mod gen_docs;
mod interface;
mod manual;
