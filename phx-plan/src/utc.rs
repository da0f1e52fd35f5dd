//! UTC civil dates from Unix seconds and back, without a date library
//! (Howard Hinnant's days-from-civil algorithms, proleptic Gregorian):
//! phx-apply names its runs with them, phx-verify reads certificate dates.

/// Days from 1970-01-01 to the civil date `y`-`m`-`d`.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date (year, month, day) `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-12-06T23:24:05Z`: ISO 8601 in UTC, for records people read.
pub fn iso(unix_secs: i64) -> String {
    let stamp = file_stamp(unix_secs);
    let (date, time) = stamp.split_at(10);
    [date, &time.replace('-', ":")].concat()
}

/// `2026-12-06T23-24-05Z`: ISO 8601 in UTC with `-` for `:`, which file
/// names and shells take as they are; sorts as the times do (from year 1000
/// to 9999).
pub fn file_stamp(unix_secs: i64) -> String {
    let (days, secs) = (unix_secs.div_euclid(86400), unix_secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 2, 29), 11016);
        for days in [-719468, -1, 0, 59, 11016, 20794, 2932896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{days}");
        }
    }

    #[test]
    fn file_stamps_read_as_utc_and_sort_as_time() {
        // `date -u -d @1796599445 +%FT%H-%M-%SZ`
        assert_eq!(file_stamp(1796599445), "2026-12-06T23-24-05Z");
        assert_eq!(file_stamp(0), "1970-01-01T00-00-00Z");
        assert_eq!(file_stamp(951782399), "2000-02-28T23-59-59Z");
        assert_eq!(file_stamp(951782400), "2000-02-29T00-00-00Z");
        assert!(file_stamp(1796599445) < file_stamp(1796599446));
        assert!(file_stamp(1799999999) < file_stamp(1800000000));
    }

    #[test]
    fn iso_times_have_colons_in_the_time_only() {
        assert_eq!(iso(1796599445), "2026-12-06T23:24:05Z");
    }
}
