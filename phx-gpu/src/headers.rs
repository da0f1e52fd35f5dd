//! Which headers package builds a module for the running kernel. Proxmox
//! ships its kernels in two lines: `pve-kernel-<release>` (PVE 7 and
//! earlier; headers `pve-headers-<release>`, proxmox/pve-kernel debian/rules
//! `PVE_KERNEL_PKG`/`PVE_HEADER_PKG`) and, since PVE 8.0,
//! `proxmox-kernel-<release>-signed` or `proxmox-kernel-<release>` (headers
//! `proxmox-headers-<release>`). The original installed
//! `pve-headers-$(uname -r)` only, which on PVE 8 names no package for
//! kernels after 6.2. The line is read from what dpkg says is installed for
//! the running release (`/proc/sys/kernel/osrelease`, what `uname -r`
//! prints).

/// A kernel package line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Proxmox,
    Pve,
}

impl Line {
    /// The kernel packages of `release` in this line, as dpkg names them.
    pub fn kernel_packages(self, release: &str) -> Vec<String> {
        match self {
            Line::Proxmox => vec![
                format!("proxmox-kernel-{release}-signed"),
                format!("proxmox-kernel-{release}"),
            ],
            Line::Pve => vec![format!("pve-kernel-{release}")],
        }
    }

    /// The line's headers meta package, which pulls in the headers of each
    /// new kernel the line installs: without it, DKMS's kernel postinst
    /// hook finds no headers for the new kernel, builds no nvidia module,
    /// and the node comes back from the kernel update without its GPUs.
    /// `proxmox-default-headers` (PVE 8 on, beside `proxmox-default-kernel`),
    /// `pve-headers` (PVE 7's, beside `pve-kernel`).
    pub fn meta_headers(self) -> &'static str {
        match self {
            Line::Proxmox => "proxmox-default-headers",
            Line::Pve => "pve-headers",
        }
    }

    pub fn headers(self, release: &str) -> String {
        match self {
            Line::Proxmox => format!("proxmox-headers-{release}"),
            Line::Pve => format!("pve-headers-{release}"),
        }
    }
}

/// Every kernel package name that tells the line of `release`, with its line.
pub fn candidates(release: &str) -> Vec<(String, Line)> {
    [Line::Proxmox, Line::Pve]
        .into_iter()
        .flat_map(|l| l.kernel_packages(release).into_iter().map(move |p| (p, l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_names_its_headers() {
        assert_eq!(
            Line::Proxmox.headers("6.8.12-4-pve"),
            "proxmox-headers-6.8.12-4-pve"
        );
        assert_eq!(
            Line::Pve.headers("5.15.158-2-pve"),
            "pve-headers-5.15.158-2-pve"
        );
        assert_eq!(Line::Proxmox.meta_headers(), "proxmox-default-headers");
        assert_eq!(Line::Pve.meta_headers(), "pve-headers");
        let c = candidates("6.8.12-4-pve");
        assert_eq!(c[0].0, "proxmox-kernel-6.8.12-4-pve-signed");
        assert_eq!(c[2], ("pve-kernel-6.8.12-4-pve".to_string(), Line::Pve));
    }
}
