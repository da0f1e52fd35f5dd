//! A pool's vdev layout, as `zfs.pools[].raid_level` names it.

/// The vdev layout `raid_level` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaidLevel {
    /// Every disk its own top-level vdev (a stripe; one disk in the fixture).
    Single,
    Mirror,
    Raidz1,
    Raidz2,
    Raidz3,
}

impl RaidLevel {
    /// The original wrote `mirror` and `RAIDZ1`; case is not meaningful.
    pub fn parse(s: &str) -> Option<RaidLevel> {
        Some(match s.to_ascii_lowercase().as_str() {
            "single" | "stripe" => RaidLevel::Single,
            "mirror" => RaidLevel::Mirror,
            "raidz" | "raidz1" => RaidLevel::Raidz1,
            "raidz2" => RaidLevel::Raidz2,
            "raidz3" => RaidLevel::Raidz3,
            _ => return None,
        })
    }

    /// The vdev keyword `zpool create` takes before the disks.
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            RaidLevel::Single => None,
            RaidLevel::Mirror => Some("mirror"),
            RaidLevel::Raidz1 => Some("raidz1"),
            RaidLevel::Raidz2 => Some("raidz2"),
            RaidLevel::Raidz3 => Some("raidz3"),
        }
    }

    /// Fewest disks `zpool create` accepts for the layout (a raidzN vdev
    /// needs more disks than parity, OpenZFS cmd/zpool/zpool_vdev.c).
    pub fn min_disks(self) -> usize {
        match self {
            RaidLevel::Single => 1,
            RaidLevel::Mirror | RaidLevel::Raidz1 => 2,
            RaidLevel::Raidz2 => 3,
            RaidLevel::Raidz3 => 4,
        }
    }
}
