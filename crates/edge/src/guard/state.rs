//! What the guard remembers, one value per subject, each stored as one JSON row by the
//! object that owns the subject: a destination country of a tenant ([`CountryState`]), a
//! number range ([`RangeState`]) and an end-user IP ([`IpState`]); and the rules over
//! them, each a `&mut self` method so the owner reads its row, asks, and writes it back
//! with no `await` between.

use serde::{Deserialize, Serialize};
use smsotp_core::UnixMillis;

use super::counts::{DailyCounts, HourlyCounts, MILLI};
use super::policy::{GuardPolicy, BUSY_HOURS_PER_DAY};
use crate::stats::unix_hour;

/// The rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A country's unverified SMS over its daily threshold (a range trips under it when
    /// the country is over this threshold only).
    CountryDaily,
    /// A country's unverified SMS over its hourly threshold.
    CountryHourly,
    /// An IP that sent SMS to too many countries.
    IpCountries,
}

impl Rule {
    /// The wire name (`country_daily`, `country_hourly`, `ip_countries`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::CountryDaily => "country_daily",
            Rule::CountryHourly => "country_hourly",
            Rule::IpCountries => "ip_countries",
        }
    }
}

/// A trip: the rule, and until when its subject is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trip {
    /// The rule that tripped.
    pub rule: Rule,
    /// Until when (unix milliseconds).
    pub until: UnixMillis,
    /// The count that tripped it, in thousandths (unverified SMS, or countries).
    pub observed_milli: u64,
    /// The threshold it went over, in thousandths.
    pub threshold_milli: u64,
}

impl Trip {
    /// The trip, if it still holds at `now`.
    fn active(trip: Option<Trip>, now: UnixMillis) -> Option<Trip> {
        trip.filter(|t| t.until > now)
    }
}

/// A country's thresholds and levels at a moment, in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryLevels {
    /// Unverified SMS in the daily window, this one included.
    pub daily: u64,
    /// The daily threshold.
    pub daily_threshold: u64,
    /// Unverified SMS in the hourly window, this one included.
    pub hourly: u64,
    /// The hourly threshold.
    pub hourly_threshold: u64,
}

/// What a country's rules say of one more SMS to it. Serialized (externally tagged, as the
/// worker's other wire enums) because the tenant's object, which keeps the country, hands
/// it to the number's shard, which keeps the range ([`super::GuardPolicy::check_range`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum CountryVerdict {
    /// Under both thresholds.
    Calm,
    /// Over a threshold (the hourly one named first): its ranges are checked
    /// ([`RangeState::check`]).
    Suspect {
        /// The rule over its threshold.
        rule: Rule,
        /// The level, in thousandths.
        observed_milli: u64,
        /// The threshold, in thousandths.
        threshold_milli: u64,
    },
    /// Refused as a whole until the trip ends; `new`: tripped by this SMS (the event to
    /// send).
    Blocked {
        /// The trip.
        trip: Trip,
        /// Whether this SMS tripped it.
        new: bool,
    },
}

/// A tenant's destination country: its unverified SMS per hour, its verified OTPs per
/// hour and per UTC day (15 days), and its trip. One row per (tenant, country), in the
/// tenant's object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountryState {
    /// SMS sent whose OTP is not verified, by the hour they were sent.
    pub unverified: HourlyCounts,
    /// OTPs verified, by the hour of the verification.
    pub verified: HourlyCounts,
    /// OTPs verified, by UTC day: today and the 14 days before.
    pub verified_days: DailyCounts,
    /// The country's trip, while refused as a whole.
    pub trip: Option<Trip>,
}

/// `ratio` (thousandths) × `count_milli` (thousandths), in thousandths.
fn ratio_of(ratio_milli: u32, count_milli: u64) -> u64 {
    u64::from(ratio_milli).saturating_mul(count_milli) / MILLI
}

impl CountryState {
    fn forget(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        let first = unix_hour(now).saturating_sub(policy.daily_window_hours);
        self.unverified.forget_before(first);
        self.verified.forget_before(first);
        self.trip = Trip::active(self.trip, now);
    }

    /// Counts an SMS that left for the country (not a refused one: a refusal sends
    /// nothing).
    pub fn record_sent(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        self.forget(policy, now);
        self.unverified.add(unix_hour(now), 1);
    }

    /// Takes back an SMS counted by [`CountryState::record_sent`] in the hour of
    /// `sent_at` that was not sent after all (a later check refused it, or no provider
    /// took it): it costs nothing, as a refused SMS ([`super::GuardPolicy::check`]).
    pub fn record_unsent(&mut self, policy: &GuardPolicy, sent_at: UnixMillis, now: UnixMillis) {
        self.forget(policy, now);
        self.unverified.sub(unix_hour(sent_at), 1);
    }

    /// Counts an OTP verified at `now` whose SMS were sent at `sms_sent_at` (they are no
    /// longer unverified).
    pub fn record_verified(
        &mut self,
        policy: &GuardPolicy,
        sms_sent_at: &[UnixMillis],
        now: UnixMillis,
    ) {
        self.forget(policy, now);
        for &at in sms_sent_at {
            self.unverified.sub(unix_hour(at), 1);
        }
        self.verified.add(unix_hour(now), 1);
        self.verified_days.add(now, 1);
    }

    /// The thresholds, and the levels with one more SMS (Authgear compares the level
    /// after the send: `new_level > threshold`).
    ///
    /// - daily: `max(floor, ratio × V14max, ratio × verified in the window)`;
    /// - hourly: `max(floor, ratio × V14max × window / 6, ratio × verified in the window)`,
    ///
    /// `V14max` the largest count of verified OTPs in a UTC day, today and the 14 before.
    pub fn levels(&self, policy: &GuardPolicy, now: UnixMillis) -> CountryLevels {
        let v14max = u64::from(self.verified_days.max_of_15_days(now)) * MILLI;
        let v_day = self.verified.window_milli(now, policy.daily_window_hours);
        let v_hour = self.verified.window_milli(now, policy.hourly_window_hours);
        let daily_threshold = (u64::from(policy.daily_floor) * MILLI)
            .max(ratio_of(policy.daily_ratio_milli, v14max))
            .max(ratio_of(policy.daily_ratio_milli, v_day));
        let busy = v14max * u64::from(policy.hourly_window_hours) / BUSY_HOURS_PER_DAY;
        let hourly_threshold = (u64::from(policy.hourly_floor) * MILLI)
            .max(ratio_of(policy.hourly_ratio_milli, busy))
            .max(ratio_of(policy.hourly_ratio_milli, v_hour));
        CountryLevels {
            daily: self.unverified.window_milli(now, policy.daily_window_hours) + MILLI,
            daily_threshold,
            hourly: self
                .unverified
                .window_milli(now, policy.hourly_window_hours)
                + MILLI,
            hourly_threshold,
        }
    }

    /// What the rules say of one more SMS to the country at `now`: blocked while a trip
    /// holds; a new trip (stored here) when a level is over `country_block_factor` times its
    /// threshold; suspect when over a threshold; else calm.
    pub fn check(&mut self, policy: &GuardPolicy, now: UnixMillis) -> CountryVerdict {
        self.forget(policy, now);
        if let Some(trip) = self.trip {
            return CountryVerdict::Blocked { trip, new: false };
        }
        let l = self.levels(policy, now);
        let over = [
            (Rule::CountryHourly, l.hourly, l.hourly_threshold),
            (Rule::CountryDaily, l.daily, l.daily_threshold),
        ];
        let factor = u64::from(policy.country_block_factor);
        if factor > 0 {
            if let Some(&(rule, level, threshold)) = over
                .iter()
                .find(|(_, lv, th)| *lv > th.saturating_mul(factor))
            {
                let trip = Trip {
                    rule,
                    until: now.saturating_add(u64::from(policy.cooldown_seconds) * 1000),
                    observed_milli: level,
                    threshold_milli: threshold,
                };
                self.trip = Some(trip);
                return CountryVerdict::Blocked { trip, new: true };
            }
        }
        match over.iter().find(|(_, lv, th)| lv > th) {
            Some(&(rule, observed_milli, threshold_milli)) => CountryVerdict::Suspect {
                rule,
                observed_milli,
                threshold_milli,
            },
            None => CountryVerdict::Calm,
        }
    }

    /// After a restart that may have lost the changes since the row was last written (at
    /// most `unwritten`: the checkpoint's step − 1), counts them as unverified SMS of the
    /// current hour: the guard errs towards refusing, as the limiter does after a restart.
    pub fn restored(mut self, unwritten: u32, now: UnixMillis) -> Self {
        self.unverified.add(unix_hour(now), unwritten);
        self
    }

    /// How many changes (SMS and verifications) the row may take between writes: a tenth
    /// of the hourly threshold, at least 1, so a restart's assumed changes
    /// ([`CountryState::restored`]) stay under a tenth of it. A trip is written at once.
    pub fn write_step(&self, policy: &GuardPolicy, now: UnixMillis) -> u32 {
        let hourly = self.levels(policy, now).hourly_threshold / MILLI;
        u32::try_from(hourly / 10).unwrap_or(u32::MAX).max(1)
    }
}

/// A number range (its E.164 without the last 4 digits: [`crate::limits::number_prefix`]):
/// its unverified SMS and verified OTPs per hour, and its trip. Kept by whoever owns the
/// range — the OTP shard holds every number of a range (`crate::placement`), and already
/// knows its unverified SMS of the last hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RangeState {
    /// SMS sent whose OTP is not verified, by the hour they were sent.
    pub unverified: HourlyCounts,
    /// OTPs verified, by the hour of the verification.
    pub verified: HourlyCounts,
    /// The range's trip, while refused.
    pub trip: Option<Trip>,
}

impl RangeState {
    /// The earliest instant the range rule looks at, at `now`: the start of the hour
    /// before its window's full hours (the sliding window takes part of it:
    /// [`HourlyCounts::window_milli`]).
    pub fn window_start(policy: &GuardPolicy, now: UnixMillis) -> UnixMillis {
        let first = unix_hour(now).saturating_sub(policy.hourly_window_hours);
        u64::from(first) * crate::stats::HOUR_MS
    }

    /// A range's state from the times of its SMS and verifications, for an owner that
    /// keeps them elsewhere (the OTP shard reads them off its numbers' rows, so it writes
    /// nothing per SMS for the range): `unverified`, its SMS no verification followed;
    /// `verified`, its verifications; each counted in its hour (those before
    /// [`RangeState::window_start`] are forgotten by the next rule); `trip`, its trip as
    /// stored.
    pub fn from_times(
        unverified: impl IntoIterator<Item = UnixMillis>,
        verified: impl IntoIterator<Item = UnixMillis>,
        trip: Option<Trip>,
    ) -> Self {
        let mut range = RangeState {
            trip,
            ..RangeState::default()
        };
        for at in unverified {
            range.unverified.add(unix_hour(at), 1);
        }
        for at in verified {
            range.verified.add(unix_hour(at), 1);
        }
        range
    }

    fn forget(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        let first = unix_hour(now).saturating_sub(policy.hourly_window_hours);
        self.unverified.forget_before(first);
        self.verified.forget_before(first);
        self.trip = Trip::active(self.trip, now);
    }

    /// Counts an SMS that left for a number of the range.
    pub fn record_sent(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        self.forget(policy, now);
        self.unverified.add(unix_hour(now), 1);
    }

    /// Counts an OTP of the range verified at `now`, its SMS sent at `sms_sent_at`.
    pub fn record_verified(
        &mut self,
        policy: &GuardPolicy,
        sms_sent_at: &[UnixMillis],
        now: UnixMillis,
    ) {
        self.forget(policy, now);
        for &at in sms_sent_at {
            self.unverified.sub(unix_hour(at), 1);
        }
        self.verified.add(unix_hour(now), 1);
    }

    /// Whether one more SMS to the range is refused: `Some((trip, new))` while its trip
    /// holds, or when this SMS trips it — its country is suspect (`country`) and its
    /// unverified SMS in the hourly window, this one included, are over
    /// `max(range_floor, range_ratio × its verified OTPs in the window)`.
    pub fn check(
        &mut self,
        policy: &GuardPolicy,
        country: &CountryVerdict,
        now: UnixMillis,
    ) -> Option<(Trip, bool)> {
        self.forget(policy, now);
        if let Some(trip) = self.trip {
            return Some((trip, false));
        }
        let CountryVerdict::Suspect { rule, .. } = *country else {
            return None;
        };
        let hours = policy.hourly_window_hours;
        let level = self.unverified.window_milli(now, hours) + MILLI;
        let threshold = (u64::from(policy.range_floor) * MILLI).max(ratio_of(
            policy.range_ratio_milli,
            self.verified.window_milli(now, hours),
        ));
        (level > threshold).then(|| {
            let trip = Trip {
                rule,
                until: now.saturating_add(u64::from(policy.cooldown_seconds) * 1000),
                observed_milli: level,
                threshold_milli: threshold,
            };
            self.trip = Some(trip);
            (trip, true)
        })
    }
}

/// One destination country of an end-user IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpCountry {
    /// The country.
    pub country: String,
    /// Its last SMS from this IP.
    pub last_sent: UnixMillis,
    /// Its last OTP verified from this IP (0: none).
    pub last_verified: UnixMillis,
}

/// An end-user IP (an `X-End-User-IP` subject: IPv4, or IPv6 /64): the countries it sent
/// SMS to in the window, and its trip. Kept where the IP's SMS are counted (the tenant's
/// limiter keeps each IP's SMS of the last hour already).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IpState {
    /// Its countries, in the window.
    pub countries: Vec<IpCountry>,
    /// Its trip, while refused.
    pub trip: Option<Trip>,
}

impl IpState {
    fn window_start(policy: &GuardPolicy, now: UnixMillis) -> UnixMillis {
        now.saturating_sub(u64::from(policy.ip_window_minutes) * 60_000)
    }

    fn forget(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        let start = Self::window_start(policy, now);
        self.countries
            .retain(|c| c.last_sent > start || c.last_verified > start);
        self.trip = Trip::active(self.trip, now);
    }

    /// Counts an SMS from this IP to `country`.
    pub fn record_sent(&mut self, policy: &GuardPolicy, country: &str, now: UnixMillis) {
        self.forget(policy, now);
        match self.countries.iter_mut().find(|c| c.country == country) {
            Some(c) => c.last_sent = now,
            None => self.countries.push(IpCountry {
                country: country.to_owned(),
                last_sent: now,
                last_verified: 0,
            }),
        }
    }

    /// Counts an OTP to `country` verified from this IP.
    pub fn record_verified(&mut self, policy: &GuardPolicy, country: &str, now: UnixMillis) {
        self.forget(policy, now);
        match self.countries.iter_mut().find(|c| c.country == country) {
            Some(c) => c.last_verified = now,
            None => self.countries.push(IpCountry {
                country: country.to_owned(),
                last_sent: 0,
                last_verified: now,
            }),
        }
    }

    /// Whether one more SMS from this IP to `country` is refused: `Some((trip, new))`
    /// while its trip holds, or when the countries it sent SMS to in the window, this one
    /// included and those with an OTP verified from it in the window left out, are more
    /// than `ip_countries`.
    pub fn check(
        &mut self,
        policy: &GuardPolicy,
        country: &str,
        now: UnixMillis,
    ) -> Option<(Trip, bool)> {
        self.forget(policy, now);
        if let Some(trip) = self.trip {
            return Some((trip, false));
        }
        let start = Self::window_start(policy, now);
        let verified = |c: &IpCountry| c.last_verified > start;
        let mut n = self
            .countries
            .iter()
            .filter(|c| c.last_sent > start && !verified(c) && c.country != country)
            .count() as u64;
        if !self
            .countries
            .iter()
            .any(|c| c.country == country && verified(c))
        {
            n += 1;
        }
        (n > u64::from(policy.ip_countries)).then(|| {
            let trip = Trip {
                rule: Rule::IpCountries,
                until: now.saturating_add(u64::from(policy.cooldown_seconds) * 1000),
                observed_milli: n * MILLI,
                threshold_milli: u64::from(policy.ip_countries) * MILLI,
            };
            self.trip = Some(trip);
            (trip, true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::HOUR_MS;

    /// 2027-01-15T08:00:00Z.
    const NOW: u64 = 1_800_000_000_000;
    const DAY: u64 = 86_400_000;

    fn p() -> GuardPolicy {
        GuardPolicy::default()
    }

    #[test]
    fn an_unsent_sms_is_taken_back_from_its_hour() {
        let policy = p();
        let mut c = CountryState::default();
        c.record_sent(&policy, NOW);
        c.record_sent(&policy, NOW + 1);
        c.record_unsent(&policy, NOW + 1, NOW + 2);
        assert_eq!(
            c.levels(&policy, NOW + 2).hourly,
            2_000,
            "one left, and the next"
        );
        // Never below nothing, nor from another hour.
        c.record_unsent(&policy, NOW + HOUR_MS, NOW + HOUR_MS);
        c.record_unsent(&policy, NOW, NOW + 3);
        c.record_unsent(&policy, NOW, NOW + 3);
        assert_eq!(c.unverified, HourlyCounts::default());
    }

    #[test]
    fn thresholds_follow_the_issue_formulas() {
        let policy = p();
        let mut c = CountryState::default();
        // Nothing verified: the floors, 20 a day and 3 an hour.
        let l = c.levels(&policy, NOW);
        assert_eq!((l.daily_threshold, l.hourly_threshold), (20_000, 3_000));
        assert_eq!((l.daily, l.hourly), (1_000, 1_000));
        // 3,000 verified 10 days ago: V14max = 3,000, daily 0.2 × 3,000 = 600, hourly
        // 0.2 × 3,000 / 6 = 100.
        for _ in 0..3000 {
            c.record_verified(&policy, &[], NOW - 10 * DAY);
        }
        let l = c.levels(&policy, NOW);
        assert_eq!((l.daily_threshold, l.hourly_threshold), (600_000, 100_000));
        // 4,000 verified in the last 24 h (1,000 in the last hour): daily 0.2 × 4,000 (also
        // today's V14max), hourly max(0.2 × 4,000 / 6, 0.2 × 1,000) = 200.
        for i in 0..4000u64 {
            let at = if i < 1000 { NOW - 1 } else { NOW - 2 * HOUR_MS };
            c.record_verified(&policy, &[], at);
        }
        let l = c.levels(&policy, NOW);
        assert_eq!((l.daily_threshold, l.hourly_threshold), (800_000, 200_000));
        // After 15 days, the old day is out of the maximum.
        let mut d = CountryState::default();
        d.record_verified(&policy, &[], NOW - 15 * DAY);
        d.verified_days.add(NOW - 15 * DAY, 10_000);
        assert_eq!(d.levels(&policy, NOW).daily_threshold, 20_000);
    }

    #[test]
    fn a_verified_otp_takes_its_sms_out_of_the_unverified() {
        let policy = p();
        let mut c = CountryState::default();
        c.record_sent(&policy, NOW - 2 * HOUR_MS);
        c.record_sent(&policy, NOW - 10);
        c.record_sent(&policy, NOW - 5);
        assert_eq!(c.levels(&policy, NOW).daily, 4_000);
        c.record_verified(&policy, &[NOW - 2 * HOUR_MS, NOW - 10], NOW);
        let l = c.levels(&policy, NOW);
        assert_eq!((l.daily, l.hourly), (2_000, 2_000));
        // Hours outside the daily window are forgotten.
        c.record_sent(&policy, NOW + 25 * HOUR_MS);
        assert_eq!(c.unverified.0.len(), 1);
    }

    #[test]
    fn a_country_is_suspect_then_blocked_past_the_factor() {
        let policy = p();
        let mut c = CountryState::default();
        assert_eq!(c.check(&policy, NOW), CountryVerdict::Calm);
        // Hourly floor 3: the 3rd SMS of the hour is at the threshold, the 4th over it.
        for _ in 0..2 {
            c.record_sent(&policy, NOW);
        }
        assert_eq!(c.check(&policy, NOW), CountryVerdict::Calm);
        c.record_sent(&policy, NOW);
        assert_eq!(
            c.check(&policy, NOW),
            CountryVerdict::Suspect {
                rule: Rule::CountryHourly,
                observed_milli: 4_000,
                threshold_milli: 3_000
            }
        );
        // 3 × 3 = 9: the 10th SMS of the hour blocks the country for an hour.
        for _ in 0..6 {
            c.record_sent(&policy, NOW);
        }
        let v = c.check(&policy, NOW);
        let CountryVerdict::Blocked { trip, new: true } = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            (trip.rule, trip.until),
            (Rule::CountryHourly, NOW + HOUR_MS)
        );
        assert_eq!(
            c.check(&policy, NOW + 1),
            CountryVerdict::Blocked { trip, new: false }
        );
        // A factor of 0 never blocks a whole country.
        let never = GuardPolicy {
            country_block_factor: 0,
            ..p()
        };
        let mut c = CountryState::default();
        for _ in 0..1000 {
            c.record_sent(&never, NOW);
        }
        assert!(matches!(
            c.check(&never, NOW),
            CountryVerdict::Suspect { .. }
        ));
        // The trip ends after the cool-down.
        let mut c = CountryState {
            trip: Some(trip),
            ..CountryState::default()
        };
        assert_eq!(c.check(&policy, NOW + HOUR_MS), CountryVerdict::Calm);
        assert_eq!(c.trip, None);
    }

    #[test]
    fn ranges_trip_only_in_a_suspect_country() {
        let policy = p();
        let suspect = CountryVerdict::Suspect {
            rule: Rule::CountryDaily,
            observed_milli: 0,
            threshold_milli: 0,
        };
        let mut r = RangeState::default();
        for _ in 0..10 {
            r.record_sent(&policy, NOW);
        }
        assert_eq!(r.check(&policy, &CountryVerdict::Calm, NOW), None);
        // Floor 5: with 5 unverified already, the 6th trips.
        let mut r = RangeState::default();
        for _ in 0..4 {
            r.record_sent(&policy, NOW);
        }
        assert_eq!(r.check(&policy, &suspect, NOW), None);
        r.record_sent(&policy, NOW);
        let (trip, new) = r.check(&policy, &suspect, NOW).unwrap();
        assert!(new);
        assert_eq!(
            (trip.rule, trip.observed_milli, trip.threshold_milli),
            (Rule::CountryDaily, 6_000, 5_000)
        );
        assert_eq!(
            r.check(&policy, &CountryVerdict::Calm, NOW + 1),
            Some((trip, false))
        );
        // A range that converts: 5 unverified, 8 verified → threshold 8.
        let mut r = RangeState::default();
        for _ in 0..13 {
            r.record_sent(&policy, NOW);
        }
        for _ in 0..8 {
            r.record_verified(&policy, &[NOW], NOW);
        }
        assert_eq!(r.check(&policy, &suspect, NOW), None);
    }

    #[test]
    fn a_range_from_the_times_of_its_sms() {
        let policy = p();
        // 3 SMS (one an hour before), one verified: as counted one by one.
        let mut counted = RangeState::default();
        for at in [NOW - HOUR_MS, NOW, NOW + 1] {
            counted.record_sent(&policy, at);
        }
        counted.record_verified(&policy, &[NOW + 1], NOW + 2);
        let from = RangeState::from_times([NOW - HOUR_MS, NOW], [NOW + 2], None);
        assert_eq!(from, counted);
        // The window starts at the hour before the current one (the sliding window's part
        // hour), for a window of 1 hour; 3 hours back for 3.
        assert_eq!(RangeState::window_start(&policy, NOW + 1), NOW - HOUR_MS);
        let wide = GuardPolicy {
            hourly_window_hours: 3,
            ..p()
        };
        assert_eq!(RangeState::window_start(&wide, NOW), NOW - 3 * HOUR_MS);
    }

    #[test]
    fn an_ip_to_more_than_3_unverified_countries_an_hour() {
        let policy = p();
        let mut ip = IpState::default();
        for c in ["FR", "DE", "US"] {
            assert_eq!(ip.check(&policy, c, NOW), None);
            ip.record_sent(&policy, c, NOW);
        }
        // Again to one of them: still 3.
        assert_eq!(ip.check(&policy, "FR", NOW), None);
        // A 4th country: tripped.
        let (trip, new) = ip.check(&policy, "BR", NOW).unwrap();
        assert!(new && trip.rule == Rule::IpCountries && trip.observed_milli == 4_000);
        // A country it verified an OTP of does not count.
        let mut ip = IpState::default();
        for c in ["FR", "DE", "US"] {
            ip.record_sent(&policy, c, NOW);
        }
        ip.record_verified(&policy, "DE", NOW + 1);
        assert_eq!(ip.check(&policy, "BR", NOW + 2), None);
        // Out of the hour, a country is forgotten.
        let mut ip = IpState::default();
        for c in ["FR", "DE", "US"] {
            ip.record_sent(&policy, c, NOW);
        }
        assert_eq!(ip.check(&policy, "BR", NOW + HOUR_MS), None);
        assert!(ip.countries.is_empty());
        // Authgear's 24 h window, configured.
        let day = GuardPolicy {
            ip_window_minutes: 1440,
            ..p()
        };
        let mut ip = IpState::default();
        for c in ["FR", "DE", "US"] {
            ip.record_sent(&day, c, NOW);
        }
        assert!(ip.check(&day, "BR", NOW + 23 * HOUR_MS).is_some());
    }

    #[test]
    fn a_restart_errs_towards_refusing() {
        let policy = p();
        let mut c = CountryState::default();
        assert_eq!(c.write_step(&policy, NOW), 1);
        for _ in 0..30_000 {
            c.record_verified(&policy, &[], NOW - 3 * DAY);
        }
        // Hourly threshold 0.2 × 30,000 / 6 = 1,000: written every 100 changes.
        assert_eq!(c.write_step(&policy, NOW), 100);
        let before = c.levels(&policy, NOW).hourly;
        let after = c.clone().restored(99, NOW).levels(&policy, NOW).hourly;
        assert_eq!(after - before, 99_000);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(serde_json::from_value::<CountryState>(json).unwrap(), c);
    }
}
