//! The cloud-init vendor data that brings the QEMU guest agent into every VM
//! Phoenix makes: phx-vm writes it and names it in each VM's `cicustom`;
//! tests that make VMs "as phx-vm makes them" name the same file. Here so
//! that both read one definition (tools never depend on each other).

/// The storage the snippet lives on (`/var/lib/vz`, the `local` directory
/// storage Phoenix takes cloud images from).
pub const STORAGE: &str = "local";
pub const FILE: &str = "phoenix-vendor.yaml";
/// Where the snippet is on the host.
pub const PATH: &str = "/var/lib/vz/snippets/phoenix-vendor.yaml";

/// The vendor volume, as `cicustom vendor=` names it.
pub fn volume() -> String {
    format!("{STORAGE}:snippets/{FILE}")
}

/// The vendor data: the QEMU guest agent installed and started at first
/// boot. cloud-init runs `packages` (cc_package_update_upgrade_install)
/// and `runcmd` once per instance, and merges user cloud-config OVER vendor
/// cloud-config key by key (cloud-init doc/rtd/explanation/vendordata.rst;
/// cloudinit/helpers.py ConfigMerger): user data with its own `packages` or
/// `runcmd`, or `vendor_data: {enabled: false}`, would drop this. The
/// agent's unit in Debian and Ubuntu is static (udev starts it when the
/// agent's virtio port appears at boot, which happened before the package
/// was there): started, not enabled.
pub fn vendor_data() -> String {
    "#cloud-config\n\
     # Written by phx-vm: vendor data of every VM Phoenix makes (no secret).\n\
     # In-guest steps reach a VM through the QEMU guest agent (qm guest exec).\n\
     packages:\n  - qemu-guest-agent\n\
     runcmd:\n  - [systemctl, start, qemu-guest-agent]\n"
        .to_string()
}
