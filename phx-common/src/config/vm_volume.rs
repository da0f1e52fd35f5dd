//! A VM's NFS volume as the loader keeps it (`vms[].volumes[]`), and the
//! fstab line phx-features puts in the VM for it.

/// One `vms[].volumes[]` entry: an NFS share (`type` "nfs", the only one
/// the loader accepts) mounted at `mount_point` inside the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmVolume {
    pub name: Option<String>,
    /// An IP address or a DNS name.
    pub server: String,
    /// The exported directory on `server` (absolute).
    pub path: String,
    /// Where it is mounted inside the guest (absolute, not `/`).
    pub mount_point: String,
    /// JSON path of the entry (`vms[1].volumes[0]`), for messages.
    pub at: String,
}

impl VmVolume {
    /// Its /etc/fstab line (fstab(5); `_netdev`: mounted once the network is up).
    pub fn fstab_line(&self) -> String {
        format!(
            "{}:{} {} nfs defaults,_netdev 0 0",
            self.server, self.path, self.mount_point
        )
    }
}
