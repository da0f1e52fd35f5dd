//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

pub use phx_testkit::*;

pub fn phx_fw() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("phx-fw").unwrap()
}

/// A state root whose /etc/hostname names the node `phoenix` (the example's
/// network.hostname): the plan and `render` put host.fw under the node's
/// name as pve-firewall reads it (`uname -n` live), so a test that checks
/// where host.fw goes says which node it runs on.
pub fn phoenix_node() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/hostname"), "phoenix\n").unwrap();
    root
}
