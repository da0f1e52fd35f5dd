//! Where the node keeps the NVIDIA runfile: phx-gpu fetches it there for
//! the host's driver, and the `nvidia` recipe pushes the same file into a
//! container (its userspace must be the host module's version) instead of
//! downloading it again inside the guest.

///
/// Not under /var/lib/phoenix: that is phx-apply's own state (its lock and
/// backups), which it refuses to let any step write or push into a guest.
/// A cache in the FHS sense: the file can be fetched again (and is verified
/// again when it is).
pub const RUNFILE_DIR: &str = "/var/cache/phoenix/nvidia";

/// `RUNFILE_DIR/<the URL's file name>`.
pub fn runfile_path(url: &str) -> String {
    let name = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("nvidia.run");
    format!("{RUNFILE_DIR}/{name}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runfile_is_kept_under_its_own_name() {
        assert_eq!(
            super::runfile_path("https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run"),
            "/var/cache/phoenix/nvidia/NVIDIA-Linux-x86_64-580.76.05.run"
        );
    }
}
