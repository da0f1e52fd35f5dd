//! `phx-gpu driver-is VERSION`, the driver step's guard: the driver that
//! answers is the configured one. `nvidia-smi --query-gpu=driver_version
//! --format=csv,noheader` prints one line per GPU, all the loaded module's
//! version; it fails ("NVIDIA-SMI has failed because it couldn't
//! communicate with the NVIDIA driver", exit 9) when no driver is loaded,
//! and is missing before the first install. Either way: not converged.

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

/// Asks nvidia-smi.
pub fn driver_is(version: &str) -> bool {
    Command::new(QUERY[0])
        .args(&QUERY[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && reports(&String::from_utf8_lossy(&o.stdout), version))
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
