//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

pub use phx_testkit::*;

pub fn phx_fw() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("phx-fw").unwrap()
}
