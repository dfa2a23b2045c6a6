//! Time is passed in by the caller as unix milliseconds; this formats it for the wire.

/// Unix milliseconds (UTC).
pub type UnixMillis = u64;

/// `2026-11-26T11:52:54+00:00`: ISO 8601 / RFC 3339 with an explicit offset, second
/// precision, as the contract's `dateCreated` / `dateExpires`.
pub fn format_rfc3339(ms: UnixMillis) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00+00:00");
        // `date -u -d @1795694774` → Thu Nov 26 12:06:14 UTC 2026
        assert_eq!(
            format_rfc3339(1_795_694_774_999),
            "2026-11-26T12:06:14+00:00"
        );
        // Leap day and end of a leap year.
        assert_eq!(format_rfc3339(951_782_400_000), "2000-02-29T00:00:00+00:00");
        assert_eq!(
            format_rfc3339(1_735_603_199_000),
            "2024-12-30T23:59:59+00:00"
        );
    }
}
