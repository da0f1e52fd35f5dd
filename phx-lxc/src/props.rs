//! pct's property strings: the shared grammar (phx-common's `props`) plus
//! what is pct's own — `features` flags and the order pct prints `netN`,
//! `rootfs` and `mpN` in (pve-container's LXC/Config.pm, the rootfs/mpN formats).

pub use phx_common::props::*;
use std::collections::BTreeMap;

/// `features`: every flag defaults to 0, so `nesting=1,keyctl=0` equals
/// `nesting=1`; booleans compare as 1/0.
pub fn features_map(s: &str) -> BTreeMap<String, String> {
    parse(s, None)
        .into_iter()
        .map(|(k, v)| {
            let v = norm_bool(&v).map(str::to_string).unwrap_or(v);
            (k, v)
        })
        .filter(|(_, v)| v != "0")
        .collect()
}

/// `netN` printed as pct does: `name=` first, then alphabetical.
pub fn format_net(map: &BTreeMap<String, String>) -> String {
    format(map, &["name"])
}

/// `rootfs`/`mpN` printed as pct does: the volume, `mp=`, then alphabetical.
pub fn format_volume(map: &BTreeMap<String, String>) -> String {
    format(map, &["volume", "mp"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_ignore_zero_flags_and_boolean_spelling() {
        assert_eq!(
            features_map("nesting=1,keyctl=0"),
            features_map("nesting=yes")
        );
        assert_ne!(
            features_map("nesting=1"),
            features_map("nesting=1,keyctl=1")
        );
        assert_eq!(features_map("mount=nfs;cifs")["mount"], "nfs;cifs");
    }

    #[test]
    fn printing_follows_pct_order() {
        let m = parse("type=veth,ip=dhcp,bridge=vmbr0,name=eth0", None);
        assert_eq!(format_net(&m), "name=eth0,bridge=vmbr0,ip=dhcp,type=veth");
        let v = parse(
            "size=1G,mp=/x,backup=1,tank:subvol-1-disk-1",
            Some("volume"),
        );
        assert_eq!(
            format_volume(&v),
            "tank:subvol-1-disk-1,mp=/x,backup=1,size=1G"
        );
    }
}
