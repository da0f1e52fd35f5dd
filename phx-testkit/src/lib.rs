//! What every Phoenix crate's tests share: where the repository's example and
//! fixture configurations are, loading and editing them in temp copies, and
//! the test doubles of programs that only exist on Proxmox (`doubles/`).
//!
//! Commands reach the doubles through the PATH this crate builds
//! ([`doubles_path`]), handed to the executor in its options, never by
//! changing the test process's environment: test threads read it concurrently.

pub mod alone;
pub mod config;
pub mod doubles;
pub mod fresh;
pub mod guests;
pub mod http;
pub mod real;
pub mod report;
pub mod units;

pub use alone::alone;
pub use config::*;
pub use doubles::*;
pub use fresh::*;
pub use guests::*;
pub use real::real_component;
pub use report::*;
pub use units::systemd_verify;

/// Every program the package ships besides phoenix-cli, by binary name
/// (phx_common::registry).
pub fn shipped_tools() -> impl Iterator<Item = &'static str> {
    phx_common::registry::shipped().filter(|&b| b != "phoenix-cli")
}

/// `cargo metadata` of the workspace, without its dependencies.
pub fn workspace_metadata() -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// A finished command's stdout, after checking it succeeded (its stderr
/// is the failure message).
pub fn stdout_of(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
