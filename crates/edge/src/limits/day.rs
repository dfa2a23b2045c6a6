//! The limits per account per UTC day: the account's SMS (`limits.dailySendCap`,
//! [`AbuseLimits::check_daily_cap`], 2116) and, of those, the SMS started from browsers
//! (`limits.browserDailySendCap`, [`AbuseLimits::check_browser_daily_cap`], 2131); both
//! reset at midnight UTC ([`utc_day`] keys the counters).

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::time::UnixMillis;

use super::{seconds_until, AbuseLimits, DAY};

/// The UTC day of `now`, in days since 1970-01-01: the key of the daily cap's counter.
pub fn utc_day(now: UnixMillis) -> u32 {
    u32::try_from(now / DAY).unwrap_or(u32::MAX)
}

/// A cap per UTC day (0: none): `code`, retryable at the next midnight UTC, once `sent`
/// reached it.
fn day_cap(cap: u32, sent: u32, code: ErrorCode, now: UnixMillis) -> Result<(), ApiError> {
    if cap == 0 || sent < cap {
        return Ok(());
    }
    let midnight = (now / DAY + 1) * DAY;
    Err(ApiError::new(code).retry_after(seconds_until(midnight, now)))
}

impl AbuseLimits {
    /// May the account send one more SMS today? `sent_today`: its SMS in the UTC day
    /// [`utc_day`]`(now)`. Refused with 2116, retryable at the next midnight UTC.
    pub fn check_daily_cap(&self, sent_today: u32, now: UnixMillis) -> Result<(), ApiError> {
        day_cap(
            self.daily_send_cap,
            sent_today,
            ErrorCode::DailySendCap,
            now,
        )
    }

    /// May one more SMS started from the browser API go today, `browser_sent_today`
    /// having gone (besides [`AbuseLimits::check_daily_cap`], which counts them too)?
    /// Refused with 2131 until midnight UTC.
    pub fn check_browser_daily_cap(
        &self,
        browser_sent_today: u32,
        now: UnixMillis,
    ) -> Result<(), ApiError> {
        let code = ErrorCode::BrowserDailySendCap;
        day_cap(self.browser_daily_send_cap, browser_sent_today, code, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::testing::{refused, NOW, S};

    #[test]
    fn days() {
        assert_eq!(utc_day(0), 0);
        // `date -u -d @1800000000` → 2027-01-15 08:00:00 UTC, 20833 days after 1970-01-01.
        assert_eq!(utc_day(1_800_000_000_000), 20_833);
        assert_eq!(utc_day(20_834 * 86_400_000 - 1), 20_833);
        assert_eq!(utc_day(20_834 * 86_400_000), 20_834);
    }

    #[test]
    fn the_daily_cap_resets_at_midnight_utc() {
        let l = AbuseLimits {
            daily_send_cap: 100,
            ..AbuseLimits::default()
        };
        assert!(l.check_daily_cap(99, NOW).is_ok());
        // NOW is 08:00:00 UTC: 16 hours to midnight.
        assert_eq!(
            refused(l.check_daily_cap(100, NOW)),
            (2116, Some(16 * 3600))
        );
        assert_eq!(
            refused(l.check_daily_cap(150, NOW + 16 * 3600 * S - 1)),
            (2116, Some(1))
        );
        let off = AbuseLimits {
            daily_send_cap: 0,
            ..l
        };
        assert!(off.check_daily_cap(u32::MAX, NOW).is_ok());
    }
}
