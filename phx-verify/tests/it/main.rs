//! phx-verify's integration tests: one test binary, each area a module. The
//! checks against real dnsmasq, step-ca and Traefik run in the CA
//! end-to-end test (phx-ca/tests/it/e2e_chain/), which starts them.

mod cli;
mod flows;
mod gpu;
mod trust;
