//! Property values as `zfs get -p` prints them, so the JSON's `800G` and the
//! node's `858993459200` compare equal.

/// Properties whose values are byte counts (OpenZFS module/zcommon/zfs_prop.c
/// registers them with `zprop_register_number` and a size).
const SIZES: [&str; 8] = [
    "quota",
    "refquota",
    "reservation",
    "refreservation",
    "recordsize",
    "volsize",
    "volblocksize",
    "special_small_blocks",
];

/// Sizes whose `none` `zfs get -p` prints as 0.
const NONE_IS_ZERO: [&str; 4] = ["quota", "refquota", "reservation", "refreservation"];

/// `value` of `prop` as `zfs get -p` prints it, or `None` when a size does
/// not parse (then `zfs set` would refuse it too).
pub fn parsable(prop: &str, value: &str) -> Option<String> {
    if !SIZES.contains(&prop) {
        return Some(value.to_string());
    }
    if value == "none" && NONE_IS_ZERO.contains(&prop) {
        return Some("0".to_string());
    }
    size_bytes(value).map(|n| n.to_string())
}

/// `128K`, `1.4T`, `2048`: libzfs's zfs_nicestrtonum (lib/libzfs/libzfs_util.c:1670):
/// a number, then an optional B/K/M/G/T/P/E, optionally followed by `B` or
/// `iB`, powers of 1024; a fraction is multiplied out and truncated.
pub fn size_bytes(value: &str) -> Option<u64> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (num, suffix) = value.split_at(split);
    if num.is_empty() || num.starts_with('.') {
        return None;
    }
    let suffix = suffix.to_ascii_uppercase();
    let unit = match suffix.as_str() {
        "" | "B" => 0,
        s => {
            let letter = s.chars().next()?;
            let rest = &s[1..];
            // `BB` and `BiB` are refused (str2shift, libzfs_util.c:1627).
            if !matches!(rest, "" | "B" | "IB") || (letter == 'B' && !rest.is_empty()) {
                return None;
            }
            "BKMGTPE".find(letter)? as u32
        }
    };
    let scale = 1u64.checked_shl(10 * unit)?;
    if num.contains('.') {
        let f: f64 = num.parse().ok()?;
        let bytes = f * scale as f64;
        (bytes.is_finite() && bytes < u64::MAX as f64).then_some(bytes as u64)
    } else {
        num.parse::<u64>().ok()?.checked_mul(scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_zfs_get_p_prints_them() {
        assert_eq!(size_bytes("128K"), Some(131_072));
        assert_eq!(size_bytes("1M"), Some(1_048_576));
        assert_eq!(size_bytes("800G"), Some(858_993_459_200));
        assert_eq!(size_bytes("2T"), Some(2_199_023_255_552));
        // 1.4 * 2^40 = 1539316278886.4, truncated.
        assert_eq!(size_bytes("1.4T"), Some(1_539_316_278_886));
        assert_eq!(size_bytes("16KiB"), Some(16_384));
        assert_eq!(size_bytes("4096"), Some(4096));
        assert_eq!(size_bytes("12Q"), None);
        assert_eq!(size_bytes("K"), None);
    }

    #[test]
    fn only_sizes_are_converted() {
        assert_eq!(parsable("compression", "lz4").as_deref(), Some("lz4"));
        assert_eq!(parsable("quota", "none").as_deref(), Some("0"));
        assert_eq!(parsable("recordsize", "16K").as_deref(), Some("16384"));
        assert_eq!(parsable("quota", "lots"), None);
    }
}
