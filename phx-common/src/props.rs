//! Proxmox property strings (`name=eth0,bridge=vmbr0,ip=dhcp`,
//! `local-lvm:vm-101-disk-0,size=8G`, `order=1,up=30`) as maps, so order and
//! formatting differences are not seen as changes. Shared by phx-lxc (`pct`)
//! and phx-vm (`qm`), whose confs use the same grammar.

use std::collections::BTreeMap;

/// Parses `a=1,b=2`. An element without `=` is the value of `default_key`
/// (`volume` for rootfs/mpN, `order` for startup); without a default key it
/// is kept under its own name with an empty value.
pub fn parse(s: &str, default_key: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) => {
                out.insert(k.trim().to_string(), v.trim().to_string());
            }
            None => {
                let k = default_key.unwrap_or(part);
                let v = if default_key.is_some() { part } else { "" };
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

/// Proxmox booleans: 1/0/yes/no/on/off/true/false, stored as 1/0.
pub fn norm_bool(v: &str) -> Option<&'static str> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => Some("1"),
        "0" | "no" | "off" | "false" => Some("0"),
        _ => None,
    }
}

/// Prints a map with `first` keys first (in that order), then the rest
/// sorted; a key named `volume` is printed bare, the way pct and qm print it.
pub fn format(map: &BTreeMap<String, String>, first: &[&str]) -> String {
    // Appended piece by piece, not format!ed and joined: every guest's net0
    // is printed, 10,000 times at scale.
    let mut out = String::with_capacity(map.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    let mut parts = 0;
    let mut show = |k: &str, v: &str| {
        if parts > 0 {
            out.push(',');
        }
        parts += 1;
        if k != "volume" {
            out.push_str(k);
            out.push('=');
        }
        out.push_str(v);
    };
    for k in first {
        if let Some(v) = map.get(*k) {
            show(k, v);
        }
    }
    for (k, v) in map {
        if !first.contains(&k.as_str()) {
            show(k, v);
        }
    }
    out
}

/// A disk size (`8G`, `512M`, `1.5T`, bare bytes) in bytes.
pub fn size_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        'T' | 't' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let n: f64 = num.parse().ok()?;
    (n >= 0.0).then(|| (n * mult as f64).round() as u64)
}

pub const GIB: u64 = 1 << 30;

/// `2G` for whole GiB, else the bytes, for messages.
pub fn human(bytes: u64) -> String {
    if (bytes / GIB) * GIB == bytes {
        format!("{}G", bytes / GIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Whether a stored value equals the wanted one, for the keys pct and qm
/// read alike: sizes and counts as numbers, booleans however spelled,
/// `startup` in any order, `nameserver` however separated; any other key
/// byte for byte.
pub fn same_value(key: &str, want: &str, have: &str) -> bool {
    match key {
        "memory" | "swap" | "cores" => have.trim().parse::<u64>().ok() == want.parse::<u64>().ok(),
        "onboot" => norm_bool(have) == norm_bool(want),
        "startup" => parse(have, Some("order")) == parse(want, Some("order")),
        "nameserver" => {
            let split = |s: &str| {
                s.split([' ', ',', ';'])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            split(have) == split(want)
        }
        _ => have == want,
    }
}

/// `have` with its `managed` parts as `want` has them: taken from `want`,
/// or removed where `want` has none — except `kept` (the MAC address Proxmox
/// generated), which stays. Every other part of `have` is kept.
pub fn overlay(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    managed: &[&str],
    kept: &str,
) -> BTreeMap<String, String> {
    let mut new = have.clone();
    for &k in managed {
        match want.get(k) {
            Some(v) => {
                new.insert(k.to_string(), v.clone());
            }
            None if k == kept => {}
            None => {
                new.remove(k);
            }
        }
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_puts_the_first_keys_first_and_the_volume_bare() {
        let m = parse("size=8G,mp=/data,tank:vol-1,backup=0", Some("volume"));
        assert_eq!(
            format(&m, &["volume", "mp"]),
            "tank:vol-1,mp=/data,backup=0,size=8G"
        );
        let empty: BTreeMap<String, String> = [("volume", ""), ("mp", "/x")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        assert_eq!(format(&empty, &["volume"]), ",mp=/x");
        assert_eq!(format(&BTreeMap::new(), &["name"]), "");
    }

    #[test]
    fn order_and_spacing_do_not_matter() {
        assert_eq!(
            parse("ip=10.0.0.2/24,name=eth0", None),
            parse("name=eth0, ip=10.0.0.2/24", None)
        );
        assert_ne!(
            parse("name=eth0,ip=10.0.0.2/24", None),
            parse("name=eth0,ip=10.0.0.3/24", None)
        );
    }

    #[test]
    fn bare_elements_take_the_default_key() {
        let v = parse("local-lvm:vm-101-disk-0,size=8G", Some("volume"));
        assert_eq!(v["volume"], "local-lvm:vm-101-disk-0");
        assert_eq!(v["size"], "8G");
        let s = parse("2,up=30", Some("order"));
        assert_eq!(s, parse("order=2,up=30", Some("order")));
    }

    #[test]
    fn sizes() {
        assert_eq!(size_bytes("8G"), Some(8 * GIB));
        assert_eq!(size_bytes("512M"), Some(512 << 20));
        assert_eq!(size_bytes("1.5T"), Some(3 << 39));
        assert_eq!(size_bytes("4096"), Some(4096));
        assert_eq!(size_bytes("x"), None);
        assert_eq!(human(2 * GIB), "2G");
        assert_eq!(human(5), "5 bytes");
    }

    #[test]
    fn values_compare_the_way_proxmox_reads_them() {
        assert!(same_value("memory", "1024", " 1024"));
        assert!(same_value("onboot", "1", "yes"));
        assert!(same_value("startup", "order=2,up=5", "up=5,order=2"));
        assert!(same_value(
            "nameserver",
            "1.1.1.1 8.8.8.8",
            "1.1.1.1,8.8.8.8"
        ));
        assert!(!same_value(
            "nameserver",
            "1.1.1.1 8.8.8.8",
            "8.8.8.8 1.1.1.1"
        ));
        assert!(!same_value("cores", "2", "3"));
        assert!(!same_value("hostname", "web", "Web"));
    }

    #[test]
    fn an_overlay_keeps_unmanaged_parts_and_the_generated_mac() {
        let have = parse(
            "name=eth0,bridge=vmbr1,hwaddr=AA,mtu=9000,gw=10.0.0.1",
            None,
        );
        let want = parse("name=eth0,bridge=vmbr0,ip=10.0.0.5/24", None);
        let new = overlay(
            &have,
            &want,
            &["name", "bridge", "ip", "gw", "hwaddr"],
            "hwaddr",
        );
        assert_eq!(
            new,
            parse(
                "name=eth0,bridge=vmbr0,ip=10.0.0.5/24,hwaddr=AA,mtu=9000",
                None
            )
        );
    }
}
