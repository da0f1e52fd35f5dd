//! A regular expression for the decimal integers from `min` to `max`: how a
//! schema says what `Reader::int` accepts when the number is written as a
//! string (`"memory_mb": "2048"` occurs in the original system's files).

/// Alternatives matching exactly the numbers `min..=max`, written without
/// leading zeros (the caller adds what the loader tolerates around them).
pub fn alternatives(min: u64, max: u64) -> String {
    let mut out = Vec::new();
    if min <= max {
        let (lo, hi) = (min.to_string(), max.to_string());
        for digits in lo.len()..=hi.len() {
            let first = if digits == 1 {
                0
            } else {
                10u64.pow(digits as u32 - 1)
            };
            let last = 10u64.checked_pow(digits as u32).map_or(u64::MAX, |p| p - 1);
            let (a, b) = (min.max(first), max.min(last));
            same_length(&a.to_string(), &b.to_string(), &mut out);
        }
    }
    out.join("|")
}

/// Pieces for `lo..=hi`, two numbers of the same length.
fn same_length(lo: &str, hi: &str, out: &mut Vec<String>) {
    if lo == hi {
        out.push(lo.to_string());
        return;
    }
    let common = lo
        .bytes()
        .zip(hi.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let prefix = &lo[..common];
    let (lo_d, hi_d) = (lo.as_bytes()[common] - b'0', hi.as_bytes()[common] - b'0');
    let rest = lo.len() - common - 1;
    let lo_full = lo[common + 1..].bytes().all(|b| b == b'0');
    let hi_full = hi[common + 1..].bytes().all(|b| b == b'9');
    if !lo_full {
        same_length(lo, &format!("{prefix}{lo_d}{}", "9".repeat(rest)), out);
    }
    let a = if lo_full { lo_d } else { lo_d + 1 };
    let b = if hi_full { hi_d } else { hi_d - 1 };
    if a <= b {
        let digit = if a == b {
            a.to_string()
        } else {
            format!("[{a}-{b}]")
        };
        let tail = match rest {
            0 => String::new(),
            1 => "[0-9]".to_string(),
            n => format!("[0-9]{{{n}}}"),
        };
        out.push(format!("{prefix}{digit}{tail}"));
    }
    if !hi_full {
        same_length(&format!("{prefix}{hi_d}{}", "0".repeat(rest)), hi, out);
    }
}

#[cfg(test)]
mod tests {
    use super::alternatives;

    /// A tiny matcher for the only shapes `alternatives` writes (digits,
    /// `[a-b]` classes, `[0-9]{n}`), so the test needs no regex engine.
    fn matches(pattern: &str, s: &str) -> bool {
        pattern.split('|').any(|alt| matches_one(alt, s))
    }

    fn matches_one(alt: &str, s: &str) -> bool {
        let mut classes: Vec<(u8, u8)> = Vec::new();
        let b = alt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'[' {
                classes.push((b[i + 1], b[i + 3]));
                i += 5;
            } else if b[i] == b'{' {
                let end = alt[i..].find('}').unwrap() + i;
                let n: usize = alt[i + 1..end].parse().unwrap();
                let last = *classes.last().unwrap();
                classes.extend(std::iter::repeat_n(last, n - 1));
                i = end + 1;
            } else {
                classes.push((b[i], b[i]));
                i += 1;
            }
        }
        classes.len() == s.len()
            && s.bytes()
                .zip(classes)
                .all(|(c, (a, z))| (a..=z).contains(&c))
    }

    #[test]
    fn every_number_in_range_and_none_outside() {
        for (min, max) in [
            (0, 0),
            (0, 9),
            (1, 65535),
            (16, 4_294_967_295),
            (100, 999_999_999),
            (37, 1234),
            (5, 5),
            (0, 1 << 20),
        ] {
            let p = alternatives(min, max);
            let probe = (0..3000u64)
                .chain([
                    min.saturating_sub(1),
                    min,
                    max,
                    max + 1,
                    max / 2,
                    max / 3 + 7,
                ])
                .chain((0..20).map(|k| 10u64.pow(k) - 1))
                .chain((1..20).map(|k| 10u64.pow(k)));
            for n in probe {
                assert_eq!(
                    matches(&p, &n.to_string()),
                    (min..=max).contains(&n),
                    "{n} against {min}..={max}: {p}"
                );
            }
        }
    }

    #[test]
    fn an_empty_range_matches_nothing() {
        assert_eq!(alternatives(5, 4), "");
    }

    #[test]
    fn up_to_the_largest_u64() {
        let p = alternatives(1, u64::MAX);
        assert!(matches(&p, &u64::MAX.to_string()));
        assert!(matches(&p, "10000000000000000000"));
        assert!(!matches(&p, "18446744073709551616"));
    }
}
