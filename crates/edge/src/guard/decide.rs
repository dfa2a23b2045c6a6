//! The decision on one SMS ([`Decision`], [`GuardPolicy::check`], and its two halves for a
//! worker that keeps the subjects in two objects: [`GuardPolicy::check_before_range`] where
//! the countries and IPs are, [`GuardPolicy::check_range`] where the ranges are, the
//! country's verdict passed between), the `guard.triggered` event a new trip sends
//! ([`GuardEvent`]), and [`TenantGuard`], every subject of one tenant in memory (the
//! simulation's, or a worker keeping them in one object).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use smsotp_core::time::format_rfc3339;
use smsotp_core::{ErrorCode, UnixMillis};

use super::counts::MILLI;
use super::policy::{GuardMode, GuardPolicy};
use super::state::{CountryState, CountryVerdict, IpState, RangeState, Rule, Trip};
use crate::limits::number_prefix;

/// What a trip refuses: a country, a number range (E.164 without its last 4 digits) or an
/// end-user IP. As JSON, `{"kind": "range", "value": "+3361234"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Scope {
    /// A destination country (ISO 3166-1 alpha-2).
    Country(String),
    /// A number range.
    Range(String),
    /// An end-user IP subject.
    Ip(String),
}

impl Scope {
    /// The error a refusal of this scope answers: 403 2137 (country), 2138 (range), 2139
    /// (end-user IP).
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Scope::Country(_) => ErrorCode::GuardCountryRefused,
            Scope::Range(_) => ErrorCode::GuardRangeRefused,
            Scope::Ip(_) => ErrorCode::GuardIpRefused,
        }
    }
}

/// The guard's decision on one SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it.
    Allow,
    /// Send it, but `enforce` would have refused it (`record` mode): log and count it.
    WouldRefuse {
        /// The rule.
        rule: Rule,
        /// What it refuses.
        scope: Scope,
        /// Until when.
        until: UnixMillis,
    },
    /// Refuse it: no SMS (403, with the guard's code).
    Refuse {
        /// The rule.
        rule: Rule,
        /// What it refuses.
        scope: Scope,
        /// Until when.
        until: UnixMillis,
    },
}

impl Decision {
    /// Whether the SMS is refused (only in `enforce`).
    pub fn refuses(&self) -> bool {
        matches!(self, Decision::Refuse { .. })
    }

    /// Whether the SMS goes (allowed, or only recorded as one `enforce` would refuse).
    pub fn sends(&self) -> bool {
        !self.refuses()
    }
}

/// The payload of a `guard.triggered` event: the log line's fields, and the `data` of the
/// signed callback to the tenant (`{"event": "guard.triggered", "data": [<this>]}`,
/// [`GuardEvent::callback_body`]). One per trip, when it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardEvent {
    /// `record` (nothing refused, only reported) or `enforce`.
    pub mode: GuardMode,
    /// The rule that tripped.
    pub rule: Rule,
    /// What is refused.
    pub scope: Scope,
    /// The destination country of the SMS that tripped it.
    pub country: String,
    /// The count that tripped it: unverified SMS in the rule's window (a sliding-window
    /// estimate, so it may have decimals), or the IP's countries.
    pub observed: f64,
    /// The threshold it went over.
    pub threshold: f64,
    /// When it tripped (RFC 3339).
    pub at: String,
    /// Until when its scope is refused (RFC 3339).
    pub until: String,
}

impl GuardEvent {
    fn new(mode: GuardMode, scope: Scope, country: &str, trip: &Trip, now: UnixMillis) -> Self {
        Self {
            mode,
            rule: trip.rule,
            scope,
            country: country.to_owned(),
            observed: trip.observed_milli as f64 / MILLI as f64,
            threshold: trip.threshold_milli as f64 / MILLI as f64,
            at: format_rfc3339(now),
            until: format_rfc3339(trip.until),
        }
    }

    /// The callback's body: `{"event": "guard.triggered", "data": [<event>]}`, as the
    /// status callbacks'.
    pub fn callback_body(&self) -> serde_json::Value {
        serde_json::json!({"event": "guard.triggered", "data": [self]})
    }

    /// The callback's `webhook-id`, the same on every retry:
    /// `msg_guard_<kind>_<value>_<until>`, each part reduced to letters, digits and `-`.
    pub fn webhook_id(&self) -> String {
        let (kind, value) = match &self.scope {
            Scope::Country(v) => ("country", v),
            Scope::Range(v) => ("range", v),
            Scope::Ip(v) => ("ip", v),
        };
        let value: String = value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        // `2027-01-15T09:00:00+00:00` → `20270115090000` (the offset is always +00:00).
        let until: String = self
            .until
            .chars()
            .take(19)
            .filter(char::is_ascii_digit)
            .collect();
        format!("msg_guard_{kind}_{value}_{until}")
    }
}

/// One SMS the guard is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendRequest<'a> {
    /// The number, E.164.
    pub e164: &'a str,
    /// Its country (ISO 3166-1 alpha-2).
    pub country: &'a str,
    /// The end-user IP subject (`crate::limits::end_user_ip`), when known.
    pub ip: Option<&'a str>,
    /// A tenant's test number ([`crate::Destination::Test`]): never counted, never refused.
    pub test_number: bool,
}

/// The decision, and the event to log and send when this SMS started a trip.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// `guard.triggered`, when a trip started.
    pub event: Option<GuardEvent>,
}

impl Outcome {
    fn allow() -> Self {
        Self {
            decision: Decision::Allow,
            event: None,
        }
    }
}

impl GuardPolicy {
    /// Decides on one SMS at `now` in `mode`, from the states of its country, its range
    /// and its IP (each the owner's row; a trip this SMS starts is stored in it). In order:
    ///
    /// 1. a test number, `off`, or an allow-listed number or range: allowed;
    /// 2. the IP's trip, or the IP rule (more than `ipCountries` unverified countries);
    /// 3. the country's trip, or a level over `countryBlockFactor` × its threshold;
    /// 4. the range's trip, or, in a country over a threshold, the range rule;
    /// 5. else allowed.
    ///
    /// A trip refuses in `enforce` and only reports in `record` ([`Decision::WouldRefuse`]).
    /// Nothing is counted here: an SMS that leaves is counted with each state's
    /// `record_sent` (a refused one is not, as it costs nothing).
    ///
    /// The same as [`GuardPolicy::check_before_range`] (steps 1–3), then, for an SMS they
    /// leave to it, [`GuardPolicy::check_range`] (step 4): what a worker does in two objects.
    pub fn check(
        &self,
        mode: GuardMode,
        req: &SendRequest<'_>,
        country: &mut CountryState,
        range: &mut RangeState,
        ip: Option<&mut IpState>,
        now: UnixMillis,
    ) -> Outcome {
        match self.check_before_range(mode, req, country, ip, now) {
            (_, Some(verdict)) => self.check_range(mode, req, &verdict, range, now),
            (outcome, None) => outcome,
        }
    }

    /// Steps 1–3 of [`GuardPolicy::check`], for the tenant's object, which keeps the
    /// countries and the IPs but not the ranges (their owner is the number's shard): the
    /// outcome, and, when the SMS goes on to the range rule, the country's verdict to hand
    /// to [`GuardPolicy::check_range`] (calm or suspect). `None`: decided here — a test
    /// number, `off`, an allow-listed number, or the IP's or the whole country's trip
    /// (refused in `enforce`, reported in `record`, its range not looked at either way).
    pub fn check_before_range(
        &self,
        mode: GuardMode,
        req: &SendRequest<'_>,
        country: &mut CountryState,
        ip: Option<&mut IpState>,
        now: UnixMillis,
    ) -> (Outcome, Option<CountryVerdict>) {
        if req.test_number || mode == GuardMode::Off || self.allows(req.e164) {
            return (Outcome::allow(), None);
        }
        if let (Some(ip), Some(subject)) = (ip, req.ip) {
            if let Some((trip, new)) = ip.check(self, req.country, now) {
                let scope = Scope::Ip(subject.to_owned());
                return (decided(mode, req, scope, trip, new, now), None);
            }
        }
        let verdict = country.check(self, now);
        if let CountryVerdict::Blocked { trip, new } = verdict {
            let scope = Scope::Country(req.country.to_owned());
            return (decided(mode, req, scope, trip, new, now), None);
        }
        (Outcome::allow(), Some(verdict))
    }

    /// [`GuardPolicy::check`] for the tenant's object: [`GuardPolicy::check_before_range`]'s
    /// outcome (a suspect country refuses nothing here; past `countryBlockFactor` it is
    /// blocked as a whole).
    pub fn check_country_and_ip(
        &self,
        mode: GuardMode,
        req: &SendRequest<'_>,
        country: &mut CountryState,
        ip: Option<&mut IpState>,
        now: UnixMillis,
    ) -> Outcome {
        self.check_before_range(mode, req, country, ip, now).0
    }

    /// Step 4 of [`GuardPolicy::check`], for the owner of the number's range (the OTP
    /// shard): `country`, the verdict [`GuardPolicy::check_before_range`] handed over. The
    /// range's trip refuses while it holds, whatever the country's verdict; a new one needs
    /// a suspect country (stored in `range`, with the event to report). Test numbers, `off`
    /// and allow-listed numbers are allowed, as in step 1.
    pub fn check_range(
        &self,
        mode: GuardMode,
        req: &SendRequest<'_>,
        country: &CountryVerdict,
        range: &mut RangeState,
        now: UnixMillis,
    ) -> Outcome {
        if req.test_number || mode == GuardMode::Off || self.allows(req.e164) {
            return Outcome::allow();
        }
        match range.check(self, country, now) {
            Some((trip, new)) => {
                let scope = Scope::Range(number_prefix(req.e164).to_owned());
                decided(mode, req, scope, trip, new, now)
            }
            None => Outcome::allow(),
        }
    }
}

/// A trip's outcome for one SMS: refused in `enforce`, reported in `record`; the event
/// when this SMS started the trip (`new`).
fn decided(
    mode: GuardMode,
    req: &SendRequest<'_>,
    scope: Scope,
    trip: Trip,
    new: bool,
    now: UnixMillis,
) -> Outcome {
    let event = new.then(|| GuardEvent::new(mode, scope.clone(), req.country, &trip, now));
    let (rule, until) = (trip.rule, trip.until);
    let decision = match mode {
        GuardMode::Enforce => Decision::Refuse { rule, scope, until },
        _ => Decision::WouldRefuse { rule, scope, until },
    };
    Outcome { decision, event }
}

/// Every guarded subject of one tenant, in memory: its countries, ranges and IPs. What the
/// simulation runs, and what a worker keeping the guard in one object per tenant would
/// hold (a worker that keeps ranges in the OTP shards calls [`GuardPolicy::check`] with
/// the parts instead).
#[derive(Debug, Clone, Default)]
pub struct TenantGuard {
    /// By country.
    pub countries: HashMap<String, CountryState>,
    /// By range.
    pub ranges: HashMap<String, RangeState>,
    /// By IP subject.
    pub ips: HashMap<String, IpState>,
}

impl TenantGuard {
    /// Decides on one SMS ([`GuardPolicy::check`]).
    pub fn check(
        &mut self,
        policy: &GuardPolicy,
        mode: GuardMode,
        req: &SendRequest<'_>,
        now: UnixMillis,
    ) -> Outcome {
        if req.test_number || mode == GuardMode::Off {
            return Outcome::allow();
        }
        let country = self.countries.entry(req.country.to_owned()).or_default();
        let range = self
            .ranges
            .entry(number_prefix(req.e164).to_owned())
            .or_default();
        let ip = req
            .ip
            .map(|subject| self.ips.entry(subject.to_owned()).or_default());
        policy.check(mode, req, country, range, ip, now)
    }

    /// Counts an SMS that left (not for a test number, nor in `off`).
    pub fn record_sent(
        &mut self,
        policy: &GuardPolicy,
        mode: GuardMode,
        req: &SendRequest<'_>,
        now: UnixMillis,
    ) {
        if req.test_number || mode == GuardMode::Off {
            return;
        }
        self.countries
            .entry(req.country.to_owned())
            .or_default()
            .record_sent(policy, now);
        self.ranges
            .entry(number_prefix(req.e164).to_owned())
            .or_default()
            .record_sent(policy, now);
        if let Some(ip) = req.ip {
            self.ips
                .entry(ip.to_owned())
                .or_default()
                .record_sent(policy, req.country, now);
        }
    }

    /// Counts an OTP verified at `now`, its SMS sent at `sms_sent_at`; `ip`: the IP
    /// subject its OTP was created for, if any.
    pub fn record_verified(
        &mut self,
        policy: &GuardPolicy,
        mode: GuardMode,
        req: &SendRequest<'_>,
        sms_sent_at: &[UnixMillis],
        now: UnixMillis,
    ) {
        if req.test_number || mode == GuardMode::Off {
            return;
        }
        self.countries
            .entry(req.country.to_owned())
            .or_default()
            .record_verified(policy, sms_sent_at, now);
        self.ranges
            .entry(number_prefix(req.e164).to_owned())
            .or_default()
            .record_verified(policy, sms_sent_at, now);
        if let Some(ip) = req.ip {
            self.ips
                .entry(ip.to_owned())
                .or_default()
                .record_verified(policy, req.country, now);
        }
    }

    /// Drops the ranges and IPs with nothing left in their windows and no trip (a range or
    /// IP state is small but there are many; countries are kept).
    pub fn forget_idle(&mut self, policy: &GuardPolicy, now: UnixMillis) {
        let first = crate::stats::unix_hour(now).saturating_sub(policy.hourly_window_hours);
        self.ranges.retain(|_, r| {
            r.trip.is_some_and(|t| t.until > now)
                || r.unverified
                    .0
                    .iter()
                    .chain(&r.verified.0)
                    .any(|e| e[0] >= first)
        });
        let start = now.saturating_sub(u64::from(policy.ip_window_minutes) * 60_000);
        self.ips.retain(|_, ip| {
            ip.trip.is_some_and(|t| t.until > now)
                || ip
                    .countries
                    .iter()
                    .any(|c| c.last_sent > start || c.last_verified > start)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000_000;

    fn req<'a>(e164: &'a str, ip: Option<&'a str>) -> SendRequest<'a> {
        SendRequest {
            e164,
            country: "FR",
            ip,
            test_number: false,
        }
    }

    /// Sends unverified SMS to numbers of one range until the guard stops them.
    fn pump(g: &mut TenantGuard, policy: &GuardPolicy, mode: GuardMode, n: usize) -> Vec<Outcome> {
        (0..n)
            .map(|i| {
                let number = format!("+3361234{:04}", i);
                let r = req(&number, None);
                let out = g.check(policy, mode, &r, NOW + i as u64);
                if out.decision.sends() {
                    g.record_sent(policy, mode, &r, NOW + i as u64);
                }
                out
            })
            .collect()
    }

    #[test]
    fn the_tenants_object_refuses_a_country_and_an_ip_but_no_range() {
        let policy = GuardPolicy {
            hourly_floor: 1,
            daily_floor: 1,
            country_block_factor: 2,
            ip_countries: 1,
            ..GuardPolicy::default()
        };
        let mut fr = CountryState::default();
        let mut outcomes = Vec::new();
        for i in 0..4u64 {
            let number = format!("+3361234{i:04}");
            let out = policy.check_country_and_ip(
                GuardMode::Enforce,
                &req(&number, None),
                &mut fr,
                None,
                NOW + i,
            );
            if out.decision.sends() {
                fr.record_sent(&policy, NOW + i);
            }
            outcomes.push(out);
        }
        // Over 1 (the floor) the country is only suspect: no range rule here, so sent;
        // over 2 × 1 it is refused as a whole, once reported.
        assert!(outcomes[..2].iter().all(|o| o.decision == Decision::Allow));
        assert!(matches!(
            &outcomes[2].decision,
            Decision::Refuse { scope: Scope::Country(c), .. } if c == "FR"
        ));
        assert!(outcomes[2].event.is_some() && outcomes[3].event.is_none());
        assert!(outcomes[3].decision.refuses());
        // An IP to a second country, over ipCountries = 1.
        let mut ip = IpState::default();
        ip.record_sent(&policy, "DE", NOW);
        let out = policy.check_country_and_ip(
            GuardMode::Record,
            &req("+33612345678", Some("203.0.113.7")),
            &mut CountryState::default(),
            Some(&mut ip),
            NOW + 1,
        );
        assert!(matches!(
            out.decision,
            Decision::WouldRefuse {
                scope: Scope::Ip(_),
                ..
            }
        ));
    }

    /// The two halves of `check` in two owners: the tenant's object hands the country's
    /// verdict over, and the range's owner, which keeps only the times of the range's SMS
    /// and verifications and its trip, decides on the range.
    #[test]
    fn the_range_rule_runs_where_the_range_is() {
        let policy = GuardPolicy {
            hourly_floor: 1,
            daily_floor: 1,
            country_block_factor: 0,
            range_floor: 2,
            ..GuardPolicy::default()
        };
        let pumped = |i: u64| format!("+3361234{i:04}");
        let mut fr = CountryState::default();
        // The country's first SMS: calm, handed over.
        let (out, verdict) = policy.check_before_range(
            GuardMode::Enforce,
            &req(&pumped(0), None),
            &mut fr,
            None,
            NOW,
        );
        assert_eq!(
            (out.decision, verdict),
            (Decision::Allow, Some(CountryVerdict::Calm))
        );
        // A calm country: the range rule trips nothing, however many unverified SMS.
        let mut range = RangeState::from_times([NOW; 9], [], None);
        let calm = CountryVerdict::Calm;
        let first = pumped(0);
        let r0 = req(&first, None);
        let out = policy.check_range(GuardMode::Enforce, &r0, &calm, &mut range, NOW);
        assert_eq!(out.decision, Decision::Allow);
        // Suspect (2 unverified SMS over the floor of 1): handed over as such.
        fr.record_sent(&policy, NOW);
        let (_, verdict) = policy.check_before_range(GuardMode::Enforce, &r0, &mut fr, None, NOW);
        let suspect = verdict.unwrap();
        assert!(matches!(
            suspect,
            CountryVerdict::Suspect {
                rule: Rule::CountryHourly,
                ..
            }
        ));
        // The range: 2 unverified SMS (the floor), the 3rd trips it, reported once.
        let mut range = RangeState::from_times([NOW - 2, NOW - 1], [], None);
        let out = policy.check_range(GuardMode::Enforce, &r0, &suspect, &mut range, NOW);
        let Decision::Refuse { scope, .. } = &out.decision else {
            panic!("{out:?}")
        };
        assert_eq!(scope, &Scope::Range("+3361234".into()));
        assert_eq!(scope.error_code().code(), 2138);
        let event = out.event.expect("a new trip");
        assert_eq!((event.observed, event.threshold), (3.0, 2.0));
        // The trip, as the owner stores it, refuses while it holds whatever the country.
        let trip = range.trip;
        assert!(trip.is_some());
        let mut again = RangeState::from_times([], [], trip);
        let out = policy.check_range(GuardMode::Enforce, &r0, &calm, &mut again, NOW + 1);
        assert!(out.decision.refuses() && out.event.is_none());
        // In record, the same trip is only reported.
        let mut rec = RangeState::from_times([NOW - 2, NOW - 1], [], None);
        let out = policy.check_range(GuardMode::Record, &r0, &suspect, &mut rec, NOW);
        assert!(matches!(out.decision, Decision::WouldRefuse { .. }));
        assert_eq!(out.event.unwrap().mode, GuardMode::Record);
        // Verified OTPs raise the range's threshold: 3 unverified, 3 verified → over
        // max(2, 3) only from the 4th unverified... this is the 4th: 4 > 3, refused; with
        // 4 verified, allowed.
        let mut conv = RangeState::from_times([NOW - 3, NOW - 2, NOW - 1], [NOW; 3], None);
        let out = policy.check_range(GuardMode::Enforce, &r0, &suspect, &mut conv, NOW);
        assert!(out.decision.refuses());
        let mut conv = RangeState::from_times([NOW - 3, NOW - 2, NOW - 1], [NOW; 4], None);
        let out = policy.check_range(GuardMode::Enforce, &r0, &suspect, &mut conv, NOW);
        assert_eq!(out.decision, Decision::Allow);
        // An allow-listed number, off, a test number: never refused by its range.
        let listed = GuardPolicy {
            allow_numbers: [pumped(0)].into(),
            ..policy.clone()
        };
        let mut tripped = RangeState::from_times([], [], trip);
        let out = listed.check_range(GuardMode::Enforce, &r0, &suspect, &mut tripped, NOW);
        assert_eq!(out.decision, Decision::Allow);
        let out = policy.check_range(GuardMode::Off, &r0, &suspect, &mut tripped, NOW);
        assert_eq!(out.decision, Decision::Allow);
        let test = SendRequest {
            test_number: true,
            ..r0
        };
        let out = policy.check_range(GuardMode::Enforce, &test, &suspect, &mut tripped, NOW);
        assert_eq!(out.decision, Decision::Allow);
        // Nothing is handed over when the tenant's object decided: allow-listed, or a
        // whole country blocked.
        let (_, none) = listed.check_before_range(GuardMode::Enforce, &r0, &mut fr, None, NOW);
        assert_eq!(none, None);
        let blocking = GuardPolicy {
            country_block_factor: 1,
            ..policy.clone()
        };
        let (out, none) = blocking.check_before_range(GuardMode::Record, &r0, &mut fr, None, NOW);
        assert!(matches!(
            out.decision,
            Decision::WouldRefuse {
                scope: Scope::Country(_),
                ..
            }
        ));
        assert_eq!(none, None);
    }

    #[test]
    fn a_verdict_crosses_the_wire() {
        let suspect = CountryVerdict::Suspect {
            rule: Rule::CountryDaily,
            observed_milli: 21_000,
            threshold_milli: 20_000,
        };
        for (verdict, json) in [
            (CountryVerdict::Calm, json!("calm")),
            (
                suspect,
                json!({"suspect": {"rule": "country_daily", "observedMilli": 21_000, "thresholdMilli": 20_000}}),
            ),
        ] {
            assert_eq!(serde_json::to_value(verdict).unwrap(), json);
            assert_eq!(
                serde_json::from_value::<CountryVerdict>(json).unwrap(),
                verdict
            );
        }
    }

    #[test]
    fn each_scope_answers_its_own_403() {
        for (scope, code) in [
            (Scope::Country("FR".into()), 2137),
            (Scope::Range("+3361234".into()), 2138),
            (Scope::Ip("203.0.113.7".into()), 2139),
        ] {
            let e = scope.error_code();
            assert_eq!((e.code(), e.http_status()), (code, 403), "{scope:?}");
        }
    }

    #[test]
    fn enforce_refuses_a_pumped_range_and_says_so_once() {
        let policy = GuardPolicy::default();
        let mut g = TenantGuard::default();
        let outs = pump(&mut g, &policy, GuardMode::Enforce, 10);
        // The country's hourly floor is 3: the 4th SMS makes it suspect; the range's floor
        // is 5: refused from the 6th on.
        assert!(outs[..5].iter().all(|o| o.decision == Decision::Allow));
        let Decision::Refuse { rule, scope, until } = &outs[5].decision else {
            panic!("{:?}", outs[5])
        };
        assert_eq!(
            (*rule, scope, *until),
            (
                Rule::CountryHourly,
                &Scope::Range("+3361234".into()),
                NOW + 5 + 3_600_000
            )
        );
        let event = outs[5].event.as_ref().unwrap();
        assert_eq!((event.observed, event.threshold), (6.0, 5.0));
        assert!(outs[6..]
            .iter()
            .all(|o| o.decision.refuses() && o.event.is_none()));
        // Another range of the suspect country, at its first SMS: allowed.
        let other = req("+33799990000", None);
        assert_eq!(
            g.check(&policy, GuardMode::Enforce, &other, NOW + 20)
                .decision,
            Decision::Allow
        );
        let body = event.callback_body();
        assert_eq!(
            body,
            json!({"event": "guard.triggered", "data": [{
                "mode": "enforce", "rule": "country_hourly",
                "scope": {"kind": "range", "value": "+3361234"}, "country": "FR",
                "observed": 6.0, "threshold": 5.0,
                "at": "2027-01-15T08:00:00+00:00", "until": "2027-01-15T09:00:00+00:00"
            }]})
        );
        assert_eq!(
            event.webhook_id(),
            "msg_guard_range_-3361234_20270115090000"
        );
    }

    #[test]
    fn record_mode_sends_everything_and_reports_what_it_would_refuse() {
        let policy = GuardPolicy::default();
        let mut g = TenantGuard::default();
        let outs = pump(&mut g, &policy, GuardMode::Record, 10);
        assert!(outs.iter().all(|o| o.decision.sends()));
        let would: Vec<_> = outs
            .iter()
            .filter(|o| matches!(o.decision, Decision::WouldRefuse { .. }))
            .collect();
        assert_eq!(would.len(), 5);
        // In record mode the SMS go, so they count: the country passes 3 × its hourly
        // threshold at its 10th SMS (a second event, for the country).
        let events: Vec<_> = outs.iter().filter_map(|o| o.event.as_ref()).collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].mode, GuardMode::Record);
        assert_eq!(events[0].scope, Scope::Range("+3361234".into()));
        assert_eq!(events[1].scope, Scope::Country("FR".into()));
        let more = pump(&mut g, &policy, GuardMode::Record, 1);
        assert!(more[0].decision.sends());
    }

    #[test]
    fn test_numbers_allow_lists_and_off_bypass() {
        let mut policy = GuardPolicy::default();
        let mut g = TenantGuard::default();
        pump(&mut g, &policy, GuardMode::Enforce, 10);
        let blocked = req("+33612340042", None);
        assert!(g
            .check(&policy, GuardMode::Enforce, &blocked, NOW + 100)
            .decision
            .refuses());
        assert_eq!(
            g.check(&policy, GuardMode::Off, &blocked, NOW + 100)
                .decision,
            Decision::Allow
        );
        let test = SendRequest {
            test_number: true,
            ..blocked
        };
        assert_eq!(
            g.check(&policy, GuardMode::Enforce, &test, NOW + 100)
                .decision,
            Decision::Allow
        );
        // A test number is never counted.
        let before = g.countries["FR"].clone();
        g.record_sent(&policy, GuardMode::Enforce, &test, NOW + 100);
        g.record_verified(&policy, GuardMode::Enforce, &test, &[NOW], NOW + 100);
        assert_eq!(g.countries["FR"], before);
        policy.allow_ranges.insert("+3361234".into());
        assert_eq!(
            g.check(&policy, GuardMode::Enforce, &blocked, NOW + 100)
                .decision,
            Decision::Allow
        );
        policy.allow_ranges.clear();
        policy.allow_numbers.insert("+33612340042".into());
        assert_eq!(
            g.check(&policy, GuardMode::Enforce, &blocked, NOW + 100)
                .decision,
            Decision::Allow
        );
        // An allow-listed SMS is still counted.
        g.record_sent(&policy, GuardMode::Enforce, &blocked, NOW + 100);
        assert_ne!(g.countries["FR"], before);
    }

    #[test]
    fn an_ip_that_hops_countries_is_refused() {
        let policy = GuardPolicy::default();
        let mut g = TenantGuard::default();
        let ip = Some("192.0.2.7");
        for (i, (country, number)) in [
            ("FR", "+33612345678"),
            ("DE", "+4915112345678"),
            ("US", "+12025550100"),
            ("BR", "+5511912345678"),
        ]
        .into_iter()
        .enumerate()
        {
            let r = SendRequest {
                e164: number,
                country,
                ip,
                test_number: false,
            };
            let out = g.check(&policy, GuardMode::Enforce, &r, NOW + i as u64);
            if i < 3 {
                assert_eq!(out.decision, Decision::Allow, "{country}");
                g.record_sent(&policy, GuardMode::Enforce, &r, NOW + i as u64);
            } else {
                assert_eq!(
                    out.decision,
                    Decision::Refuse {
                        rule: Rule::IpCountries,
                        scope: Scope::Ip("192.0.2.7".into()),
                        until: NOW + 3 + 3_600_000
                    }
                );
            }
        }
        // Idle subjects are dropped after their windows.
        g.forget_idle(&policy, NOW + 2 * 3_600_000);
        assert!(g.ips.is_empty() && g.ranges.is_empty());
    }

    proptest! {
        /// Whatever the traffic: `record` refuses nothing, `off` allows everything and
        /// counts nothing, a test number changes no state, and `enforce` refuses only where
        /// a trip holds (a refusal names a trip that lasts past now).
        #[test]
        fn modes_keep_their_promises(
            sends in prop::collection::vec((0u64..7_200_000, 0u8..3, 0u16..40, 0u8..6, any::<bool>()), 1..120)
        ) {
            let policy = GuardPolicy::default();
            let countries = ["FR", "DE", "US"];
            let mut sends = sends;
            sends.sort_by_key(|s| s.0);
            let mut guards = [TenantGuard::default(), TenantGuard::default(), TenantGuard::default()];
            for (at, c, n, ip, verify) in sends {
                let now = NOW + at;
                let number = format!("+{}{:07}", 30 + u16::from(c), u32::from(n) * 137);
                let ip = format!("192.0.2.{ip}");
                let r = SendRequest { e164: &number, country: countries[c as usize], ip: Some(&ip), test_number: false };
                for (g, mode) in guards.iter_mut().zip([GuardMode::Record, GuardMode::Off, GuardMode::Enforce]) {
                    let test = SendRequest { test_number: true, ..r };
                    let before = (g.countries.clone(), g.ranges.clone(), g.ips.clone());
                    prop_assert_eq!(g.check(&policy, mode, &test, now).decision, Decision::Allow);
                    g.record_sent(&policy, mode, &test, now);
                    g.record_verified(&policy, mode, &test, &[now], now);
                    prop_assert_eq!(&before, &(g.countries.clone(), g.ranges.clone(), g.ips.clone()));
                    let out = g.check(&policy, mode, &r, now);
                    match mode {
                        GuardMode::Record => prop_assert!(out.decision.sends()),
                        GuardMode::Off => {
                            prop_assert_eq!(&out.decision, &Decision::Allow);
                            prop_assert!(g.countries.is_empty());
                        }
                        GuardMode::Enforce => {
                            if let Decision::Refuse { until, .. } = out.decision {
                                prop_assert!(until > now);
                            }
                            let would = matches!(out.decision, Decision::WouldRefuse { .. });
                            prop_assert!(!would);
                        }
                    }
                    if out.decision.sends() {
                        g.record_sent(&policy, mode, &r, now);
                        if verify {
                            g.record_verified(&policy, mode, &r, &[now], now + 1000);
                        }
                    }
                }
            }
        }
    }
}
