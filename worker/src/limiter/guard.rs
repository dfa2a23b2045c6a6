//! The adaptive guard's country and IP rules (`smsotp_edge::guard`, docs/guard.md), kept in
//! the tenant's limiter: the object every counted SMS already calls, so the guard adds no
//! call. A new SMS is decided after the day's caps and the IP's hour allow it and before it
//! is counted ([`TenantLimiter::guard_check`]); one that goes is counted in its country's
//! and IP's states ([`TenantLimiter::guard_sent`]); the shards' statistics bring the
//! verified OTPs ([`TenantLimiter::guard_verified`]). The range rule is the number's
//! shard's (`shard/guard.rs`): an SMS let through carries its country's verdict there
//! ([`Guarded::verdict`], in the reply).
//!
//! State: one row per country (`country:FR`) and per end-user IP (`ip:<subject>`) in the
//! `guard` table, as the pure states' JSON, read and written on each change (the
//! checkpoints of `CountryState::write_step` are not used yet), and `first_seen`: when the
//! guard first kept state for a tenant whose record has no `createdAt`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use smsotp_core::ApiError;
use smsotp_edge::guard::{
    CountryState, Decision, GuardMode, GuardPolicy, IpState, Outcome, SendRequest,
};
use smsotp_edge::stats::{StatsRow, HOUR_MS};
use worker::Result;

use super::wire::{GuardAsk, GuardVerdict, SendAsk};
use super::TenantLimiter;

/// How long an IP's state is kept after its last change: past the longest IP window (a
/// day) and cool-down (a week).
pub(super) const IP_STATE_KEPT_MS: u64 = 8 * 86_400_000;

/// A new SMS the guard let through: the states to count it in.
pub(super) struct Guarded {
    mode: GuardMode,
    policy: GuardPolicy,
    country_key: String,
    country: CountryState,
    ip: Option<(String, IpState)>,
    /// The mode and the country's verdict, for the range rule in the number's shard
    /// (`None`: decided here, nothing for the range rule).
    pub(super) verdict: Option<GuardVerdict>,
}

impl TenantLimiter {
    fn guard_read<T: DeserializeOwned + Default>(&self, subject: &str) -> Result<T> {
        Ok(self
            .store()
            .guard_state(subject)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    fn guard_write<T: Serialize>(&self, subject: &str, state: &T, now: u64) -> Result<()> {
        let json =
            serde_json::to_string(state).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.store().write_guard_state(subject, &json, now)
    }

    /// The mode at `now`: the tenant's, else `record` during the week after its
    /// `createdAt` — or, for a record without one, after the guard first saw the tenant.
    fn guard_mode(&self, ask: &GuardAsk, now: u64) -> Result<GuardMode> {
        if let Some(mode) = ask.policy.mode {
            return Ok(mode);
        }
        let created = match ask.created_at {
            Some(t) => t,
            None => match self
                .store()
                .guard_state("first_seen")?
                .and_then(|s| s.parse().ok())
            {
                Some(t) => t,
                None => {
                    self.store()
                        .write_guard_state("first_seen", &now.to_string(), now)?;
                    now
                }
            },
        };
        Ok(ask.policy.mode_at(created, now))
    }

    /// Decides on a new SMS (`send.guard`; nothing when absent, or in `off`): `Err` the
    /// refusal (`enforce`: 403 2137 or 2139), else what to count it in once it is taken.
    /// A trip is written at once and logged (`guard.triggered`); in `record`, what would
    /// have been refused is logged (`guard.would_refuse`) and goes.
    pub(super) fn guard_check(
        &self,
        send: &SendAsk,
        now: u64,
    ) -> Result<std::result::Result<Option<Guarded>, ApiError>> {
        let Some(ask) = &send.guard else {
            return Ok(Ok(None));
        };
        *self.guard_policy.borrow_mut() = Some(ask.policy.clone());
        let mode = self.guard_mode(ask, now)?;
        if mode == GuardMode::Off || send.country.is_empty() {
            return Ok(Ok(None));
        }
        let country_key = format!("country:{}", send.country);
        let mut country: CountryState = self.guard_read(&country_key)?;
        let mut ip = match &send.ip {
            Some(subject) => {
                let key = format!("ip:{subject}");
                let state: IpState = self.guard_read(&key)?;
                Some((key, state))
            }
            None => None,
        };
        let req = SendRequest {
            e164: &ask.e164,
            country: &send.country,
            ip: send.ip.as_deref(),
            test_number: false,
        };
        let (Outcome { decision, event }, verdict) = ask.policy.check_before_range(
            mode,
            &req,
            &mut country,
            ip.as_mut().map(|(_, s)| s),
            now,
        );
        let verdict = verdict.map(|country| GuardVerdict { mode, country });
        if let Some(event) = &event {
            // The trip is the state's: written now, whatever happens to this SMS.
            self.guard_write(&country_key, &country, now)?;
            if let Some((key, state)) = &ip {
                self.guard_write(key, state, now)?;
            }
            let mut fields = serde_json::to_value(event).unwrap_or_default();
            if let Some(obj) = fields.as_object_mut() {
                obj.insert("tenant".into(), json!(ask.tenant));
            }
            crate::log::event("warn", "guard.triggered", fields);
        }
        match decision {
            Decision::Refuse { scope, .. } => Ok(Err(ApiError::new(scope.error_code()))),
            Decision::WouldRefuse { rule, scope, until } => {
                crate::log::event(
                    "info",
                    "guard.would_refuse",
                    json!({"tenant": ask.tenant, "rule": rule, "scope": scope,
                           "until": smsotp_core::time::format_rfc3339(until)}),
                );
                Ok(Ok(Some(Guarded {
                    mode,
                    policy: ask.policy.clone(),
                    country_key,
                    country,
                    ip,
                    verdict,
                })))
            }
            Decision::Allow => Ok(Ok(Some(Guarded {
                mode,
                policy: ask.policy.clone(),
                country_key,
                country,
                ip,
                verdict,
            }))),
        }
    }

    /// Counts an SMS the guard let through and the limiter took, in its country's and its
    /// IP's states.
    pub(super) fn guard_sent(
        &self,
        guarded: Option<Guarded>,
        send: &SendAsk,
        now: u64,
    ) -> Result<()> {
        let Some(mut g) = guarded else {
            return Ok(());
        };
        debug_assert!(g.mode != GuardMode::Off);
        g.country.record_sent(&g.policy, now);
        self.guard_write(&g.country_key, &g.country, now)?;
        if let Some((key, mut state)) = g.ip.take() {
            state.record_sent(&g.policy, &send.country, now);
            self.guard_write(&key, &state, now)?;
        }
        Ok(())
    }

    /// A refunded SMS (counted, then not sent: `Ask::Refund`) taken back from its
    /// country's unverified SMS of this hour (its IP keeps the country: not taken back).
    pub(super) fn guard_unsent(&self, country: &str, now: u64) -> Result<()> {
        let policy = self.guard_policy.borrow().clone().unwrap_or_default();
        if policy.mode == Some(GuardMode::Off) || country.is_empty() {
            return Ok(());
        }
        let key = format!("country:{country}");
        if let Some(json) = self.store().guard_state(&key)? {
            let mut state: CountryState = serde_json::from_str(&json).unwrap_or_default();
            state.record_unsent(&policy, now, now);
            self.guard_write(&key, &state, now)?;
        }
        Ok(())
    }

    /// The verified OTPs of the shards' statistics (`AddStats`), by country: their SMS
    /// are no longer unverified (taken as sent in the hour their OTP was created, the
    /// bucket's), and they raise the country's thresholds. Not for a tenant whose last SMS
    /// found the guard `off`.
    pub(super) fn guard_verified(&self, rows: &[StatsRow], now: u64) -> Result<()> {
        let policy = self.guard_policy.borrow().clone().unwrap_or_default();
        if policy.mode == Some(GuardMode::Off) {
            return Ok(());
        }
        let mut by_country: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
        for row in rows {
            let n = row.counters.verified;
            let country = row.key.country.as_str();
            if n == 0 || country.len() != 2 || country == "ZZ" {
                continue;
            }
            let sent_at = u64::from(row.key.hour) * HOUR_MS;
            by_country
                .entry(country)
                .or_default()
                .extend(std::iter::repeat_n(sent_at, n as usize));
        }
        for (country, sent_at) in by_country {
            let key = format!("country:{country}");
            let mut state: CountryState = self.guard_read(&key)?;
            for at in sent_at {
                state.record_verified(&policy, &[at], now);
            }
            self.guard_write(&key, &state, now)?;
        }
        Ok(())
    }
}
