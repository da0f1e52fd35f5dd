//! Is a Debian package installed? `dpkg-query -W` succeeds for a package that
//! was removed but left its config files behind, so the host tools' install
//! guards (`phx-dns pkg-installed dnsmasq`, `phx-gpu pkg-installed …`) and
//! their planning read the status word itself.

use std::process::Command;

/// `${Status}` as dpkg-query prints it (`want flag status`): installed means
/// the status word is `installed`, the flag `ok`, and the package is wanted
/// (`install`) or held at its version (`hold`).
pub fn status_is_installed(status: &str) -> bool {
    matches!(
        status.split_whitespace().collect::<Vec<_>>().as_slice(),
        ["install" | "hold", "ok", "installed"]
    )
}

/// Asks dpkg-query; an unknown package or a missing dpkg-query is "not installed".
pub fn installed(package: &str) -> bool {
    installed_with(package, |_| {})
}

/// `installed`, with the command adjusted first (a state root's `PHX_ROOT`
/// for the test doubles, a PATH).
pub fn installed_with(package: &str, adjust: impl FnOnce(&mut Command)) -> bool {
    let mut cmd = Command::new("dpkg-query");
    cmd.args(["-W", "-f=${Status}", "--", package])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    adjust(&mut cmd);
    cmd.output().is_ok_and(|o| {
        o.status.success() && status_is_installed(&String::from_utf8_lossy(&o.stdout))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Status triples as documented in dpkg-query(1) and dpkg(1): want / error flag / status.
    #[test]
    fn only_fully_installed_counts() {
        assert!(status_is_installed("install ok installed"));
        assert!(status_is_installed("hold ok installed"));
        assert!(!status_is_installed("deinstall ok config-files"));
        assert!(!status_is_installed("purge ok not-installed"));
        assert!(!status_is_installed("install ok unpacked"));
        assert!(!status_is_installed("install ok half-configured"));
        assert!(!status_is_installed("install reinstreq half-installed"));
        assert!(!status_is_installed(""));
    }
}
