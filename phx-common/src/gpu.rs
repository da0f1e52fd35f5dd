//! Where the node keeps the NVIDIA runfile: phx-gpu fetches it there for
//! the host's driver, and the `nvidia` recipe pushes the same file into a
//! container (its userspace must be the host module's version) instead of
//! downloading it again inside the guest.

/// Not under /var/lib/phoenix: that is phx-apply's own state (its lock and
/// backups), which it refuses to let any step write or push into a guest.
/// A cache in the FHS sense: the file can be fetched again (and is verified
/// again when it is).
pub const RUNFILE_DIR: &str = "/var/cache/phoenix/nvidia";

/// `RUNFILE_DIR/<the URL's file name>`.
pub fn runfile_path(url: &str) -> String {
    let name = runfile_name(url).unwrap_or("nvidia.run");
    format!("{RUNFILE_DIR}/{name}")
}

/// The driver version NVIDIA's runfile name carries
/// (`NVIDIA-Linux-<arch>-<version>[-<flavour>].run`, e.g.
/// `NVIDIA-Linux-x86_64-580.76.05.run`, `…-470.256.02-no-compat32.run`,
/// `…-535.104.06-grid.run`); `None` for a name not of that form. The runfile
/// installs exactly this version, so a `version` key saying another one
/// would make the driver guard (`nvidia-smi` reports `version`) false
/// forever: the installer would run on every apply.
pub fn runfile_version(url: &str) -> Option<&str> {
    let name = runfile_name(url)?;
    let rest = name.strip_prefix("NVIDIA-Linux-")?.strip_suffix(".run")?;
    let (_arch, rest) = rest.split_once('-')?;
    let version = rest.split('-').next()?;
    let ok = !version.is_empty()
        && version.split('.').count() >= 2
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some(version)
}

fn runfile_name(url: &str) -> Option<&str> {
    url.split(['?', '#'])
        .next()
        .unwrap_or(url)
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runfile_name_carries_its_version() {
        use super::runfile_version as v;
        let base = "https://us.download.nvidia.com/XFree86/Linux-x86_64";
        assert_eq!(
            v(&format!(
                "{base}/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run"
            )),
            Some("580.76.05")
        );
        assert_eq!(
            v(&format!(
                "{base}/470.256.02/NVIDIA-Linux-x86_64-470.256.02-no-compat32.run"
            )),
            Some("470.256.02")
        );
        assert_eq!(
            v("https://example.org/NVIDIA-Linux-aarch64-550.54.14.run?x=1"),
            Some("550.54.14")
        );
        assert_eq!(v("https://example.org/driver.run"), None);
        assert_eq!(
            v("https://example.org/NVIDIA-Linux-x86_64-latest.run"),
            None
        );
    }

    #[test]
    fn the_runfile_is_kept_under_its_own_name() {
        assert_eq!(
            super::runfile_path("https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run"),
            "/var/cache/phoenix/nvidia/NVIDIA-Linux-x86_64-580.76.05.run"
        );
    }
}
