//! `phx-gpu driver-is VERSION`, the driver step's guard: the driver that
//! answers is the configured one. `nvidia-smi --query-gpu=driver_version
//! --format=csv,noheader` prints one line per GPU, all the loaded module's
//! version; it fails ("NVIDIA-SMI has failed because it couldn't
//! communicate with the NVIDIA driver", exit 9) when no driver is loaded,
//! and is missing before the first install.
//!
//! Or the driver is installed and waits for the reboot that loads it:
//! `modinfo -F version nvidia` (the module DKMS installed for the running
//! kernel) is the configured version. Installed with nouveau still loaded
//! (`--skip-module-load`) or over a driver in use
//! (`--allow-installation-with-running-driver`), the new module is not
//! loaded until the reboot phx-gpu never makes; without this a second run
//! before it would install the same driver again.

use std::process::{Command, Stdio};

pub const QUERY: [&str; 3] = [
    "nvidia-smi",
    "--query-gpu=driver_version",
    "--format=csv,noheader",
];

/// Whether `out` (nvidia-smi's answer) says every GPU runs `version`.
pub fn reports(out: &str, version: &str) -> bool {
    let mut lines = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    lines.peek().is_some() && lines.all(|l| l == version)
}

pub const INSTALLED: [&str; 4] = ["modinfo", "-F", "version", "nvidia"];

fn answer(argv: &[&str]) -> Option<String> {
    Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Asks nvidia-smi, then (when it does not say `version`) modinfo.
pub fn driver_is(version: &str) -> bool {
    answer(&QUERY).is_some_and(|out| reports(&out, version))
        || answer(&INSTALLED).is_some_and(|out| out.trim() == version)
}

#[cfg(test)]
mod tests {
    use super::reports;

    #[test]
    fn every_gpu_must_report_the_version() {
        assert!(reports("580.76.05\n", "580.76.05"));
        assert!(reports("580.76.05\n580.76.05\n", "580.76.05"));
        assert!(!reports("570.133.07\n", "580.76.05"));
        assert!(!reports("", "580.76.05"));
        assert!(!reports("580.76.05\n570.133.07\n", "580.76.05"));
    }
}
