//! Per-number abuse controls: how often one phone number may receive an SMS and what wrong
//! PINs cost it. Pure rules over the number's recent history, which the edge keeps in the
//! shard that owns the number (so the check and the act are one atomic step there).
//!
//! Defaults (every one configurable per tenant):
//! - at most 5 SMS per number per 10 minutes and 10 per 24 hours (2108);
//! - a further SMS for a pending OTP — a resend, or a new OTP that supersedes it — waits
//!   30, 60, 120, then 240 seconds after the previous one (2109), and one OTP gets at most 5
//!   SMS (2111);
//! - 10 consecutive wrong PINs on a number, across its OTPs, lock it for an hour (2110); a
//!   right PIN resets the count. (A new secret does not reset failures: NIST SP 800-63B-4.)
//!
//! Every refusal is a 429 with the seconds to wait ([`ApiError::retry_after`]; for 2111,
//! until a new OTP may replace the exhausted one).

use smsotp_core::error::{ApiError, ErrorCode};
use smsotp_core::time::UnixMillis;

/// The most consecutive wrong PINs a setting may allow before a number is locked
/// (`failuresBeforeLock`): past it, a lock would no longer stop a guesser.
pub const MAX_FAILURES_BEFORE_LOCK: u32 = 100;

/// The shortest lock a setting may ask for (`lockSeconds`): a shorter one would let a
/// guesser go on almost unhindered.
pub const MIN_LOCK_SECONDS: u32 = 60;

/// The limits (per tenant; [`Default`] gives the documented defaults).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberLimits {
    /// SMS per number in any 10 minutes.
    pub sends_per_10_minutes: u32,
    /// SMS per number in any 24 hours.
    pub sends_per_day: u32,
    /// Seconds to wait before the 2nd, 3rd, 4th, … SMS of one OTP (the last repeats).
    pub resend_cooldowns: Vec<u32>,
    /// SMS per OTP (the first included).
    pub sends_per_otp: u32,
    /// Consecutive wrong PINs on a number that lock it.
    pub failures_before_lock: u32,
    /// How long a lock lasts, in seconds.
    pub lock_seconds: u32,
}

impl Default for NumberLimits {
    fn default() -> Self {
        Self {
            sends_per_10_minutes: 5,
            sends_per_day: 10,
            resend_cooldowns: vec![30, 60, 120, 240],
            sends_per_otp: 5,
            failures_before_lock: 10,
            lock_seconds: 3600,
        }
    }
}

/// What the shard knows of a number when an SMS is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberHistory<'a> {
    /// When SMS were sent to it in the last 24 hours, oldest first.
    pub sends: &'a [UnixMillis],
    /// Until when it is locked (0: never locked).
    pub locked_until: UnixMillis,
}

/// The pending OTP an SMS would follow (resent, or superseded by a new OTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingOtp {
    /// SMS it has had.
    pub sends: u32,
    /// When its last SMS was sent.
    pub last_send_at: UnixMillis,
}

impl NumberLimits {
    /// No per-number limit at all (a deployment that sets `NUMBER_LIMITS=off`, e.g. tests
    /// that count SMS exactly).
    pub fn unlimited() -> Self {
        Self {
            sends_per_10_minutes: u32::MAX,
            sends_per_day: u32::MAX,
            resend_cooldowns: vec![0],
            sends_per_otp: u32::MAX,
            failures_before_lock: u32::MAX,
            lock_seconds: 0,
        }
    }

    /// Reads limits from JSON (`{"sendsPer10Minutes": 5, "sendsPerDay": 10,
    /// "resendCooldowns": [30, 60, 120, 240], "sendsPerOtp": 5, "failuresBeforeLock": 10,
    /// "lockSeconds": 3600}`): the [defaults](NumberLimits::default) overlaid with `value`
    /// ([`NumberLimits::overlay_json`]); every problem is named.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, Vec<String>> {
        Self::default().overlay_json(value)
    }

    /// These limits with the keys present in `value` replaced (the keys and checks of
    /// [`NumberLimits::from_json`]; absent keys keep `self`'s values), e.g. a tenant's own
    /// limits over the deployment's. Every problem is listed, each naming its key.
    ///
    /// ```
    /// use smsotp_edge::limits::NumberLimits;
    /// use serde_json::json;
    ///
    /// let base = NumberLimits::from_json(&json!({"sendsPerDay": 20})).unwrap();
    /// let tenant = base.overlay_json(&json!({"lockSeconds": 60})).unwrap();
    /// assert_eq!((tenant.sends_per_day, tenant.lock_seconds), (20, 60));
    /// assert_eq!(
    ///     base.overlay_json(&json!({"sendsPerDay": 0})),
    ///     Err(vec!["sendsPerDay must be at least 1".to_owned()])
    /// );
    /// ```
    pub fn overlay_json(&self, value: &serde_json::Value) -> Result<Self, Vec<String>> {
        self.overlay_json_at(value, "")
    }

    /// [`NumberLimits::overlay_json`], with every key named under `path` (`limits.` in a
    /// tenant's policy). Keys of `value` in `skip` are left to the caller (a tenant's
    /// `limits` object holds its other abuse limits too).
    pub(crate) fn overlay_json_at(
        &self,
        value: &serde_json::Value,
        path: &str,
    ) -> Result<Self, Vec<String>> {
        self.overlay_json_skipping(value, path, &[])
    }

    pub(crate) fn overlay_json_skipping(
        &self,
        value: &serde_json::Value,
        path: &str,
        skip: &[&str],
    ) -> Result<Self, Vec<String>> {
        let mut limits = self.clone();
        let Some(obj) = value.as_object() else {
            let what = if path.is_empty() {
                "the number limits".to_owned()
            } else {
                path.trim_end_matches('.').to_owned()
            };
            return Err(vec![format!("{what} must be a JSON object")]);
        };
        let mut problems = Vec::new();
        let whole = |v: &serde_json::Value, name: &str, problems: &mut Vec<String>| {
            let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
            if n.is_none() {
                problems.push(format!("{name} must be a whole number"));
            }
            n
        };
        for (key, v) in obj {
            let name = format!("{path}{key}");
            // A value that is not a whole number keeps the previous one, so that it is
            // reported once (not again as "must be at least 1").
            let field = match key.as_str() {
                "sendsPer10Minutes" => Some(&mut limits.sends_per_10_minutes),
                "sendsPerDay" => Some(&mut limits.sends_per_day),
                "sendsPerOtp" => Some(&mut limits.sends_per_otp),
                "failuresBeforeLock" => Some(&mut limits.failures_before_lock),
                "lockSeconds" => Some(&mut limits.lock_seconds),
                _ => None,
            };
            if let Some(field) = field {
                if let Some(n) = whole(v, &name, &mut problems) {
                    *field = n;
                }
                continue;
            }
            match key.as_str() {
                "resendCooldowns" => match v.as_array() {
                    Some(list) if !list.is_empty() => {
                        let before = problems.len();
                        let cooldowns: Vec<u32> = list
                            .iter()
                            .enumerate()
                            .filter_map(|(i, c)| whole(c, &format!("{name}[{i}]"), &mut problems))
                            .collect();
                        if problems.len() == before {
                            limits.resend_cooldowns = cooldowns;
                        }
                    }
                    _ => problems.push(format!("{name} must be a non-empty list of seconds")),
                },
                k if skip.contains(&k) => {}
                _ => problems.push(format!("unknown number limit {name}")),
            }
        }
        for (key, n) in [
            ("sendsPer10Minutes", limits.sends_per_10_minutes),
            ("sendsPerDay", limits.sends_per_day),
            ("sendsPerOtp", limits.sends_per_otp),
            ("failuresBeforeLock", limits.failures_before_lock),
        ] {
            if n == 0 {
                problems.push(format!("{path}{key} must be at least 1"));
            }
        }
        // Floors, on the values this overlay sets (a deployment's `off`, development only,
        // stays unlimited under a tenant that does not name these keys).
        if obj.contains_key("failuresBeforeLock")
            && limits.failures_before_lock > MAX_FAILURES_BEFORE_LOCK
        {
            problems.push(format!(
                "{path}failuresBeforeLock must be at most {MAX_FAILURES_BEFORE_LOCK}"
            ));
        }
        if obj.contains_key("lockSeconds") && limits.lock_seconds < MIN_LOCK_SECONDS {
            problems.push(format!(
                "{path}lockSeconds must be at least {MIN_LOCK_SECONDS}"
            ));
        }
        if problems.is_empty() {
            Ok(limits)
        } else {
            Err(problems)
        }
    }
}

const MINUTE: u64 = 60_000;

/// Seconds from `now` until `at`, rounded up, at least 1.
fn seconds_until(at: UnixMillis, now: UnixMillis) -> u32 {
    (at.saturating_sub(now).div_ceil(1000)).clamp(1, u64::from(u32::MAX)) as u32
}

impl NumberLimits {
    /// May the number get an SMS now? `pending` is the OTP it would follow, if any;
    /// `same_otp` says whether the SMS is for that OTP (a resend) or for a new one.
    ///
    /// ```
    /// use smsotp_edge::limits::{NumberHistory, NumberLimits, PendingOtp};
    ///
    /// let limits = NumberLimits::default();
    /// let now = 1_800_000_000_000;
    /// let quiet = NumberHistory { sends: &[], locked_until: 0 };
    /// assert!(limits.check_send(&quiet, None, false, now).is_ok());
    /// // A resend 10 s after the first SMS: wait 20 s more.
    /// let sent = [now - 10_000];
    /// let history = NumberHistory { sends: &sent, locked_until: 0 };
    /// let pending = PendingOtp { sends: 1, last_send_at: now - 10_000 };
    /// let refused = limits.check_send(&history, Some(pending), true, now).unwrap_err();
    /// assert_eq!((refused.code.code(), refused.retry_after), (2109, Some(20)));
    /// ```
    pub fn check_send(
        &self,
        history: &NumberHistory<'_>,
        pending: Option<PendingOtp>,
        same_otp: bool,
        now: UnixMillis,
    ) -> Result<(), ApiError> {
        if history.locked_until > now {
            let wait = seconds_until(history.locked_until, now);
            return Err(ApiError::new(ErrorCode::NumberLocked).retry_after(wait));
        }
        if let Some(p) = pending {
            let ready_at = p.last_send_at + u64::from(self.cooldown_after(p.sends)) * 1000;
            if same_otp && p.sends >= self.sends_per_otp {
                // No more SMS for this OTP; a new OTP may replace it after the cooldown.
                let wait = seconds_until(ready_at, now);
                return Err(ApiError::new(ErrorCode::OtpSendLimit).retry_after(wait));
            }
            if ready_at > now {
                let wait = seconds_until(ready_at, now);
                return Err(ApiError::with_message(
                    ErrorCode::ResendTooSoon,
                    format!("A new SMS to this phone number is allowed in {wait} s"),
                )
                .retry_after(wait));
            }
        }
        for (window, max) in [
            (10 * MINUTE, self.sends_per_10_minutes),
            (24 * 60 * MINUTE, self.sends_per_day),
        ] {
            let recent: Vec<UnixMillis> = history
                .sends
                .iter()
                .copied()
                .filter(|&at| at + window > now)
                .collect();
            if recent.len() >= max as usize {
                // Free again when the oldest send that counts leaves the window.
                let frees_at = recent[recent.len() - max as usize] + window;
                let wait = seconds_until(frees_at, now);
                return Err(ApiError::new(ErrorCode::NumberSendLimit).retry_after(wait));
            }
        }
        Ok(())
    }

    /// Seconds another SMS for an OTP must wait after its `sends`-th (the last cooldown
    /// repeats).
    pub fn cooldown_after(&self, sends: u32) -> u32 {
        let step = (sends.max(1) - 1) as usize;
        self.resend_cooldowns
            .get(step)
            .or(self.resend_cooldowns.last())
            .copied()
            .unwrap_or(0)
    }

    /// The lock after a wrong PIN: `failures` consecutive wrong PINs now (this one
    /// included); `Some(until)` when they lock the number.
    pub fn lock_after(&self, failures: u32, now: UnixMillis) -> Option<UnixMillis> {
        (failures >= self.failures_before_lock).then(|| now + u64::from(self.lock_seconds) * 1000)
    }

    /// May a PIN be checked, or an SMS sent, for a number (or for one browser client of
    /// it) locked until `locked_until` (0: never locked)? 2110 with the time left while
    /// the lock lasts: a lock refuses checks too, not only SMS, so a lock cannot be
    /// waited out by guessing the PIN of an OTP sent before it.
    pub fn check_lock(locked_until: UnixMillis, now: UnixMillis) -> Result<(), ApiError> {
        if locked_until <= now {
            return Ok(());
        }
        let seconds = locked_until.saturating_sub(now).div_ceil(1000);
        Err(ApiError::new(ErrorCode::NumberLocked)
            .retry_after(u32::try_from(seconds).unwrap_or(u32::MAX)))
    }
}

/// Consecutive wrong PINs on a number, across its OTPs and whoever typed them, after which
/// it is refused checks and SMS until the tenant unlocks it (NIST SP 800-63B-4 §3.2.2: at
/// most 100 consecutive failed attempts on one account).
pub const MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// May a number with `consecutive` wrong PINs in a row be checked or sent to? 2133 (no
/// Retry-After: only the tenant's unlock ends it) from [`MAX_CONSECUTIVE_FAILURES`] on.
pub fn check_hard_lock(consecutive: u32) -> Result<(), ApiError> {
    if consecutive < MAX_CONSECUTIVE_FAILURES {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::NumberLockedUntilCleared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;
    const S: u64 = 1000;

    #[test]
    fn locks_refuse_until_they_end_and_100_in_a_row_until_unlocked() {
        assert!(NumberLimits::check_lock(0, NOW).is_ok());
        assert!(NumberLimits::check_lock(NOW, NOW).is_ok());
        assert_eq!(
            refused(NumberLimits::check_lock(NOW + 1500, NOW)),
            (2110, Some(2))
        );
        assert!(check_hard_lock(99).is_ok());
        for n in [100, 101, u32::MAX] {
            let e = check_hard_lock(n).unwrap_err();
            assert_eq!(
                (e.code.code(), e.http_status(), e.retry_after),
                (2133, 403, None)
            );
        }
    }

    fn refused(r: Result<(), ApiError>) -> (u16, Option<u32>) {
        let e = r.unwrap_err();
        (e.code.code(), e.retry_after)
    }

    #[test]
    fn five_sends_per_ten_minutes_and_ten_per_day() {
        let l = NumberLimits::default();
        let five: Vec<u64> = (0..5).map(|i| NOW - 500 * S + i * 60 * S).collect();
        let h = NumberHistory {
            sends: &five,
            locked_until: 0,
        };
        // The oldest of the five (500 s ago) leaves the 10-minute window in 100 s.
        assert_eq!(
            refused(l.check_send(&h, None, false, NOW)),
            (2108, Some(100))
        );
        let four = &five[1..];
        let h = NumberHistory {
            sends: four,
            locked_until: 0,
        };
        assert!(l.check_send(&h, None, false, NOW).is_ok());
        // Ten in the last day, spread out: the oldest frees a place at its 24 h mark.
        let ten: Vec<u64> = (0..10)
            .map(|i| NOW - 20 * 3600 * S + i * 3600 * S)
            .collect();
        let h = NumberHistory {
            sends: &ten,
            locked_until: 0,
        };
        assert_eq!(
            refused(l.check_send(&h, None, false, NOW)),
            (2108, Some(4 * 3600))
        );
    }

    #[test]
    fn resends_wait_30_60_120_240_seconds_and_stop_at_five() {
        let l = NumberLimits::default();
        let quiet = NumberHistory {
            sends: &[],
            locked_until: 0,
        };
        for (sends, cooldown) in [(1, 30), (2, 60), (3, 120), (4, 240)] {
            let p = PendingOtp {
                sends,
                last_send_at: NOW - 10 * S,
            };
            assert_eq!(
                refused(l.check_send(&quiet, Some(p), true, NOW)),
                (2109, Some(cooldown - 10)),
                "after {sends}"
            );
            let p = PendingOtp {
                sends,
                last_send_at: NOW - cooldown as u64 * S,
            };
            assert!(
                l.check_send(&quiet, Some(p), true, NOW).is_ok(),
                "after {sends}"
            );
        }
        let p = PendingOtp {
            sends: 5,
            last_send_at: NOW - 3600 * S,
        };
        assert_eq!(
            refused(l.check_send(&quiet, Some(p), true, NOW)),
            (2111, Some(1))
        );
        // Exhausted 40 s after its 5th SMS: a new OTP may replace it 200 s later.
        let p = PendingOtp {
            sends: 5,
            last_send_at: NOW - 40 * S,
        };
        assert_eq!(
            refused(l.check_send(&quiet, Some(p), true, NOW)),
            (2111, Some(200))
        );
        // A new OTP superseding the pending one waits the same cooldown, with no 5-SMS cap.
        let p = PendingOtp {
            sends: 5,
            last_send_at: NOW - 100 * S,
        };
        assert_eq!(
            refused(l.check_send(&quiet, Some(p), false, NOW)),
            (2109, Some(140))
        );
        let p = PendingOtp {
            sends: 5,
            last_send_at: NOW - 240 * S,
        };
        assert!(l.check_send(&quiet, Some(p), false, NOW).is_ok());
    }

    #[test]
    fn limits_from_json_and_off() {
        let l =
            NumberLimits::from_json(&serde_json::json!({"sendsPerDay": 3, "resendCooldowns": [5]}))
                .unwrap();
        assert_eq!(
            (
                l.sends_per_day,
                l.resend_cooldowns.clone(),
                l.sends_per_10_minutes
            ),
            (3, vec![5], 5)
        );
        let problems = NumberLimits::from_json(
            &serde_json::json!({"sendsPerDay": -1, "colour": 1, "resendCooldowns": [], "sendsPerOtp": 0}),
        )
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "unknown number limit colour",
                "resendCooldowns must be a non-empty list of seconds",
                "sendsPerDay must be a whole number",
                "sendsPerOtp must be at least 1",
            ]
        );
        // An overlay keeps what it does not name, and names every key under its path.
        let base = NumberLimits::from_json(&serde_json::json!({"sendsPerDay": 3})).unwrap();
        let over = base
            .overlay_json(&serde_json::json!({"resendCooldowns": [1, 2]}))
            .unwrap();
        assert_eq!((over.sends_per_day, over.resend_cooldowns), (3, vec![1, 2]));
        assert_eq!(
            base.overlay_json_at(&serde_json::json!({"resendCooldowns": [1, "x"]}), "limits."),
            Err(vec![
                "limits.resendCooldowns[1] must be a whole number".to_owned()
            ])
        );
        assert_eq!(
            base.overlay_json_at(&serde_json::json!([]), "limits."),
            Err(vec!["limits must be a JSON object".to_owned()])
        );
        let off = NumberLimits::unlimited();
        let many: Vec<u64> = (0..100).map(|i| NOW - i * S).collect();
        let h = NumberHistory {
            sends: &many,
            locked_until: 0,
        };
        let p = PendingOtp {
            sends: 50,
            last_send_at: NOW,
        };
        assert!(off.check_send(&h, Some(p), true, NOW).is_ok());
        assert_eq!(off.lock_after(1000, NOW), None);
    }

    #[test]
    fn lock_settings_have_floors() {
        // At the floors: accepted.
        let l = NumberLimits::from_json(
            &serde_json::json!({"failuresBeforeLock": 100, "lockSeconds": 60}),
        )
        .unwrap();
        assert_eq!((l.failures_before_lock, l.lock_seconds), (100, 60));
        // Past them: each named, under its path.
        assert_eq!(
            NumberLimits::default().overlay_json_at(
                &serde_json::json!({"failuresBeforeLock": 101, "lockSeconds": 59}),
                "limits."
            ),
            Err(vec![
                "limits.failuresBeforeLock must be at most 100".to_owned(),
                "limits.lockSeconds must be at least 60".to_owned(),
            ])
        );
        assert_eq!(
            NumberLimits::from_json(&serde_json::json!({"lockSeconds": 0})),
            Err(vec!["lockSeconds must be at least 60".to_owned()])
        );
        // A base without a lock (development's `off`) stays so under an overlay that does
        // not name the lock's keys.
        let over = NumberLimits::unlimited()
            .overlay_json(&serde_json::json!({"sendsPerDay": 3}))
            .unwrap();
        assert_eq!(
            (over.failures_before_lock, over.lock_seconds),
            (u32::MAX, 0)
        );
    }

    #[test]
    fn ten_consecutive_failures_lock_the_number_for_an_hour() {
        let l = NumberLimits::default();
        assert_eq!(l.lock_after(9, NOW), None);
        assert_eq!(l.lock_after(10, NOW), Some(NOW + 3600 * S));
        let h = NumberHistory {
            sends: &[],
            locked_until: NOW + 1800 * S,
        };
        assert_eq!(
            refused(l.check_send(&h, None, false, NOW)),
            (2110, Some(1800))
        );
        let h = NumberHistory {
            sends: &[],
            locked_until: NOW,
        };
        assert!(l.check_send(&h, None, false, NOW).is_ok());
    }
}
