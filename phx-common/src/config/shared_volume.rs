//! `shared_volumes`: host directories bind-mounted into several containers
//! (`{name: {host_path, mounts: {"<ctid>": "<path in guest>"}}}`). The
//! checks that need the containers too are `mounts`'.

/// One `shared_volumes` entry.
#[derive(Debug, Clone)]
pub struct SharedVolume {
    pub name: String,
    /// Absolute, in normal form.
    pub host_path: String,
    /// In file order.
    pub mounts: Vec<SharedMount>,
    /// `mode` of the source phx-storage makes (default 0755).
    pub mode: Option<u32>,
}

/// One `mounts` item: the container and where it sees the volume.
#[derive(Debug, Clone)]
pub struct SharedMount {
    pub ctid: u32,
    pub guest_path: String,
    /// Its JSON path (`shared_volumes.ssl_certs.mounts."910"`), for messages.
    pub at: String,
}

/// The volumes of `volumes` CT `ctid` mounts, with its mount of each.
pub fn mounts_in(
    volumes: &[SharedVolume],
    ctid: u32,
) -> impl Iterator<Item = (&SharedVolume, &SharedMount)> {
    volumes.iter().flat_map(move |v| {
        v.mounts
            .iter()
            .filter(move |m| m.ctid == ctid)
            .map(move |m| (v, m))
    })
}
