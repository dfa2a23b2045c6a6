//! The limit per number range: a range is the E.164 number without its last 4 digits
//! ([`number_prefix`]: at most 10,000 numbers), since SMS pumping goes through consecutive
//! numbers of one range. Its unverified SMS per hour are capped
//! (`limits.prefixUnverifiedPerHour`), and a range over the cap is blocked for
//! `limits.prefixBlockSeconds` ([`AbuseLimits::check_prefix`], 2115).

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::time::UnixMillis;

use super::{seconds_until, window_full, AbuseLimits, HOUR, SECOND};

/// The range of a number whose unverified SMS are counted together: its E.164 without
/// the last 4 digits (at most 10,000 numbers), since pumping goes through consecutive
/// numbers of one range.
///
/// ```
/// assert_eq!(smsotp_edge::limits::number_prefix("+33612345678"), "+3361234");
/// ```
pub fn number_prefix(e164: &str) -> &str {
    let mut cut = e164.len().saturating_sub(4);
    // E.164 is ASCII; anything else is cut at a character boundary rather than panicking.
    while !e164.is_char_boundary(cut) {
        cut -= 1;
    }
    &e164[..cut]
}

/// A refused send to a number range: the error for the client, and, when this refusal is
/// the one that crosses the limit, until when the shell must block the range (store it,
/// and pass it back as `blocked_until`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a refusal may carry a block the caller must store"]
pub struct PrefixRefusal {
    /// 2115, with `retry_after`.
    pub error: ApiError,
    /// `Some(until)`: block the range until then (unix milliseconds).
    pub block_until: Option<UnixMillis>,
}

impl AbuseLimits {
    /// May an SMS go to a number of this range ([`number_prefix`])?
    /// `unverified_sends_last_hour`: the times of the range's SMS whose OTP has not been
    /// verified (a verified OTP shows a real user; the shell drops its send from the list);
    /// `blocked_until`: the range's block (0: none).
    ///
    /// Refused with 2115 while blocked; and when this SMS would be the (limit + 1)-th
    /// unverified one in the hour, refused with a block of `prefix_block_seconds` that the
    /// shell must store ([`PrefixRefusal::block_until`]). Either refusal's `retry_after`
    /// is when both the block and the full hour are over.
    ///
    /// ```
    /// use smsotp_edge::limits::AbuseLimits;
    ///
    /// let limits = AbuseLimits::default(); // 10 per hour, then blocked an hour
    /// let now = 1_800_000_000_000;
    /// let ten: Vec<u64> = (1..=10).map(|i| now - i * 60_000).collect();
    /// let refusal = limits.check_prefix(&ten, 0, now).unwrap_err();
    /// assert_eq!(refusal.block_until, Some(now + 3_600_000));
    /// assert_eq!((refusal.error.code.code(), refusal.error.retry_after), (2115, Some(3600)));
    /// // Then, while blocked: refused, with nothing new to store.
    /// let refusal = limits.check_prefix(&[], now + 3_600_000, now + 1000).unwrap_err();
    /// assert_eq!((refusal.block_until, refusal.error.retry_after), (None, Some(3599)));
    /// ```
    pub fn check_prefix(
        &self,
        unverified_sends_last_hour: &[UnixMillis],
        blocked_until: UnixMillis,
        now: UnixMillis,
    ) -> Result<(), PrefixRefusal> {
        // When the hour holds the limit's unverified sends: when it frees one.
        let full = (self.prefix_unverified_per_hour > 0)
            .then(|| {
                window_full(
                    unverified_sends_last_hour,
                    self.prefix_unverified_per_hour,
                    HOUR,
                    now,
                )
            })
            .flatten();
        if blocked_until > now {
            // A block that ends while the range is still over its limit would only be
            // followed by another: retry when both are over (as for the refusal that set it).
            let retry_at = blocked_until.max(full.unwrap_or(0));
            return Err(PrefixRefusal {
                error: ApiError::new(ErrorCode::PrefixBlocked)
                    .retry_after(seconds_until(retry_at, now)),
                block_until: None,
            });
        }
        let Some(frees_at) = full else {
            return Ok(());
        };
        let block_until = now.saturating_add(u64::from(self.prefix_block_seconds) * SECOND);
        // A block shorter than the window would end while the range is still over its
        // limit: the client may retry when both are over.
        let retry_at = block_until.max(frees_at);
        Err(PrefixRefusal {
            error: ApiError::new(ErrorCode::PrefixBlocked)
                .retry_after(seconds_until(retry_at, now)),
            block_until: (block_until > now).then_some(block_until),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::testing::{NOW, S};

    #[test]
    fn prefixes() {
        assert_eq!(number_prefix("+12015550123"), "+1201555");
        assert_eq!(number_prefix("+4470112345"), "+447011");
        assert_eq!(number_prefix("+12"), "");
        // Not E.164 (validated upstream): cut at a character boundary, no panic.
        assert_eq!(number_prefix("+336é123"), "+336");
    }

    #[test]
    fn a_range_over_its_unverified_limit_is_blocked() {
        let l = AbuseLimits::default();
        let nine: Vec<u64> = (1..=9).map(|i| NOW - i * 60 * S).collect();
        assert_eq!(l.check_prefix(&nine, 0, NOW), Ok(()));
        let mut ten = nine.clone();
        ten.push(NOW - 3599 * S);
        let r = l.check_prefix(&ten, 0, NOW).unwrap_err();
        assert_eq!(r.block_until, Some(NOW + 3600 * S));
        assert_eq!(
            (r.error.code.code(), r.error.retry_after),
            (2115, Some(3600))
        );
        // An expired block changes nothing; an active one refuses without a new block.
        assert_eq!(l.check_prefix(&nine, NOW, NOW), Ok(()));
        let r = l.check_prefix(&[], NOW + 90 * S, NOW).unwrap_err();
        assert_eq!((r.block_until, r.error.retry_after), (None, Some(90)));
        // A block shorter than the window: retry when the window frees too.
        let short = AbuseLimits {
            prefix_block_seconds: 60,
            ..l
        };
        let r = short.check_prefix(&ten, 0, NOW).unwrap_err();
        assert_eq!(r.block_until, Some(NOW + 60 * S));
        // The 10th-newest send (59 min 59 s ago) leaves the hour in 1 s; the block is longer.
        assert_eq!(r.error.retry_after, Some(60));
        let old: Vec<u64> = (0..10).map(|i| NOW - 3000 * S + i * S).collect();
        let r = short.check_prefix(&old, 0, NOW).unwrap_err();
        assert_eq!(r.error.retry_after, Some(600));
        // And while that short block holds: the same wait, not just the block's.
        let r = short.check_prefix(&old, NOW + 60 * S, NOW + S).unwrap_err();
        assert_eq!((r.block_until, r.error.retry_after), (None, Some(599)));
        let off = AbuseLimits {
            prefix_unverified_per_hour: 0,
            ..l
        };
        assert_eq!(off.check_prefix(&ten, 0, NOW), Ok(()));
        // Off still honours a block stored before.
        assert!(off.check_prefix(&[], NOW + S, NOW).is_err());
    }
}
