//! Every abuse limit of the edge, in one place, one module per rule:
//!
//! | limit | module | refusal |
//! |---|---|---|
//! | per number: SMS per 10 minutes and per day, resend cooldowns, SMS per OTP, wrong-PIN locks | [`number`] | 2108–2111, 2133 |
//! | per end-user IP address (IPv4, IPv6 /64) and per IPv6 /48, per hour | [`ip`] | 2114 |
//! | per number range (E.164 minus its last 4 digits): unverified SMS per hour, then a block | [`range`] | 2115 |
//! | per account per UTC day, and the share of it started from browsers | [`day`] | 2116, 2131 |
//!
//! The per-number limits are [`NumberLimits`]; the limits across numbers are
//! [`AbuseLimits`]. A tenant's policy ([`crate::tenant::TenantPolicy`]) holds both, read
//! from its record's `limits`. Every check is a pure function over a history the edge keeps
//! (times of recent sends in unix milliseconds): the shell only stores and asks.
//!
//! Each rule's items are also here, at `limits::…`.

pub mod day;
pub mod ip;
pub mod number;
pub mod range;

pub use day::utc_day;
pub use ip::{end_user_ip, ipv6_net48};
pub use number::{
    check_hard_lock, NumberHistory, NumberLimits, PendingOtp, MAX_CONSECUTIVE_FAILURES,
    MAX_FAILURES_BEFORE_LOCK, MIN_LOCK_SECONDS,
};
pub use range::{number_prefix, PrefixRefusal};

use smsotp_core::time::UnixMillis;

const SECOND: u64 = 1000;
const HOUR: u64 = 3600 * SECOND;
const DAY: u64 = 24 * HOUR;

/// A tenant's limits across numbers (the per-number ones are [`NumberLimits`]). For the
/// three counts, 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseLimits {
    /// SMS per end-user IP address (an IPv6 /64) in any hour; 0: no limit.
    pub ip_sends_per_hour: u32,
    /// Unverified SMS per number range (E.164 minus its last 4 digits) in any hour,
    /// before the range is blocked; 0: no limit.
    pub prefix_unverified_per_hour: u32,
    /// How long a range stays blocked once over its limit, in seconds.
    pub prefix_block_seconds: u32,
    /// SMS per account per UTC day; 0: no limit.
    pub daily_send_cap: u32,
    /// Of those, SMS started from the browser API per UTC day; 0: no limit. Browser
    /// traffic is public, so it gets a cap of its own below the account's: a scripted
    /// stranger who spends it leaves the tenant's backend `dailySendCap − this` SMS.
    #[serde(default = "default_browser_daily_send_cap")]
    pub browser_daily_send_cap: u32,
    /// SMS per end-user IPv6 /48 in any hour (besides the /64's `ip_sends_per_hour`: one
    /// site usually holds a /48, so 65,536 /64s must not mean 65,536 budgets); 0: no limit.
    #[serde(default = "default_ipv6_net48_sends_per_hour")]
    pub ipv6_net48_sends_per_hour: u32,
}

fn default_browser_daily_send_cap() -> u32 {
    AbuseLimits::default().browser_daily_send_cap
}

fn default_ipv6_net48_sends_per_hour() -> u32 {
    AbuseLimits::default().ipv6_net48_sends_per_hour
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            ip_sends_per_hour: 10,
            prefix_unverified_per_hour: 10,
            prefix_block_seconds: 3600,
            daily_send_cap: 10_000,
            browser_daily_send_cap: 1_000,
            ipv6_net48_sends_per_hour: 50,
        }
    }
}

/// Seconds from `now` until `at`, rounded up, at least 1.
fn seconds_until(at: UnixMillis, now: UnixMillis) -> u32 {
    (at.saturating_sub(now).div_ceil(SECOND)).clamp(1, u64::from(u32::MAX)) as u32
}

/// With `limit` (> 0) events allowed in any `window`, and `times` the events so far: when
/// one more is allowed again, if not now.
fn window_full(
    times: &[UnixMillis],
    limit: u32,
    window: u64,
    now: UnixMillis,
) -> Option<UnixMillis> {
    let mut recent: Vec<UnixMillis> = times
        .iter()
        .copied()
        .filter(|&at| at.saturating_add(window) > now)
        .collect();
    if recent.len() < limit as usize {
        return None;
    }
    recent.sort_unstable();
    // Free again when the oldest of the last `limit` leaves the window.
    Some(recent[recent.len() - limit as usize] + window)
}

#[cfg(test)]
mod testing {
    use smsotp_core::ApiError;

    pub const NOW: u64 = 1_800_000_000_000;
    pub const S: u64 = 1000;

    pub fn refused(r: Result<(), ApiError>) -> (u16, Option<u32>) {
        let e = r.unwrap_err();
        (e.code.code(), e.retry_after)
    }
}
