//! The dates `openssl x509 -startdate -enddate` prints
//! (`notAfter=Dec  7 04:00:00 2026 GMT`, ASN1_TIME_print's form), as Unix
//! seconds.

use phx_plan::utc::days_from_civil;

pub fn parse(text: &str) -> Option<i64> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let [mon, day, time, year, "GMT"] = f.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? as i64 + 1;
    let d: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let y: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, s] = hms.as_slice() else {
        return None;
    };
    Some(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s)
}

/// `1d 23h` / `5h 10m` / `expired 2h ago`: how long until `not_after`.
pub fn until(not_after: i64, now: i64) -> String {
    let left = not_after - now;
    let (sign, s) = if left < 0 {
        ("expired ", -left)
    } else {
        ("", left)
    };
    let (d, h, m) = (s / 86400, s % 86400 / 3600, s % 3600 / 60);
    let span = if d > 0 {
        format!("{d}d {h}h")
    } else {
        format!("{h}h {m}m")
    };
    if left < 0 {
        format!("{sign}{span} ago")
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_dates() {
        // date -u -d '2026-12-07 04:00:00' +%s
        assert_eq!(parse("Dec  7 04:00:00 2026 GMT"), Some(1796616000));
        assert_eq!(parse("Jan  1 00:00:00 1970 GMT"), Some(0));
        assert_eq!(parse("Feb 29 12:00:00 2024 GMT"), Some(1709208000));
        assert_eq!(parse("Dec  7 04:00:00 2026"), None);
        assert_eq!(parse("Foo  7 04:00:00 2026 GMT"), None);
    }

    #[test]
    fn spans() {
        assert_eq!(until(90_000, 0), "1d 1h");
        assert_eq!(until(3_900, 0), "1h 5m");
        assert_eq!(until(0, 7_200), "expired 2h 0m ago");
    }
}
