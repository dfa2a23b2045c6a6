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
//! `guard` table, as the pure states' JSON, and `first_seen`: when the guard first kept
//! state for a tenant whose record has no `createdAt`. Rows written are what a Durable
//! Object bills, so neither is written on every SMS: a country is kept in memory and
//! written at checkpoints (every `CountryState::write_step` changes, and at once on a
//! trip), an IP when its list of countries changes or it trips. Trips are also kept in
//! `guard_events` (the newest 100, `GET /v1/account`) and POSTed to the tenant's
//! `guard.eventsUrl` through a shard's outbox.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use smsotp_core::ApiError;
use smsotp_edge::guard::{
    CountryState, Decision, GuardEvent, GuardMode, GuardPolicy, IpState, Outcome, SendRequest,
};
use smsotp_edge::stats::{StatsRow, HOUR_MS};
use worker::Result;

use super::wire::{GuardAsk, GuardVerdict, LimiterReply, SendAsk};
use super::TenantLimiter;

/// How long an IP's state is kept after its last change: past the longest IP window (a
/// day) and cool-down (a week).
pub(super) const IP_STATE_KEPT_MS: u64 = 8 * 86_400_000;

/// How many `guard.triggered` events a tenant's list keeps (`GET /v1/account`): a trip
/// refuses its subject for an hour by default, so a hundred is days of a sustained attack.
pub(super) const EVENTS_KEPT: u32 = 100;

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

    /// A country's state: this instance's copy, else its stored row, read back as if the
    /// changes a restart may have lost since it was written were unverified SMS of this
    /// hour (`CountryState::restored`: at most `write_step − 1` of them, a tenth of the
    /// hourly threshold, erring towards refusing as the limiter's counters do).
    fn country_state(&self, key: &str, policy: &GuardPolicy, now: u64) -> Result<CountryState> {
        if let Some((state, _)) = self.guard_countries.borrow().get(key) {
            return Ok(state.clone());
        }
        let stored: Option<CountryState> = self
            .store()
            .guard_state(key)?
            .and_then(|json| serde_json::from_str(&json).ok());
        let state = match stored {
            Some(s) => {
                let lost = s.write_step(policy, now).saturating_sub(1);
                s.restored(lost, now)
            }
            None => CountryState::default(),
        };
        self.guard_countries
            .borrow_mut()
            .insert(key.to_owned(), (state.clone(), 0));
        Ok(state)
    }

    /// Keeps a country's state after `changes` SMS or verifications: written once its
    /// unwritten changes reach `CountryState::write_step` (a tenth of its hourly
    /// threshold, at least 1), or at once (`now_written`: a trip). A country under ~100
    /// verified OTPs a day is written on every change; a busy one every few dozen
    /// (docs/guard.md, "What it costs").
    fn country_changed(
        &self,
        key: &str,
        state: &CountryState,
        changes: u32,
        policy: &GuardPolicy,
        now: u64,
        now_written: bool,
    ) -> Result<()> {
        let unwritten = self
            .guard_countries
            .borrow()
            .get(key)
            .map_or(0, |(_, n)| *n)
            .saturating_add(changes);
        let write = now_written || unwritten >= state.write_step(policy, now);
        if write {
            self.guard_write(key, state, now)?;
        }
        self.guard_countries.borrow_mut().insert(
            key.to_owned(),
            (state.clone(), if write { 0 } else { unwritten }),
        );
        Ok(())
    }

    /// Writes every country's unwritten changes (the alarm: a tenant that stops sending
    /// does not leave them to a restart's estimate).
    pub(super) fn write_guard_countries(&self, now: u64) -> Result<()> {
        let pending: Vec<(String, CountryState)> = self
            .guard_countries
            .borrow()
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(k, (s, _))| (k.clone(), s.clone()))
            .collect();
        for (key, state) in pending {
            self.guard_write(&key, &state, now)?;
            self.guard_countries.borrow_mut().insert(key, (state, 0));
        }
        Ok(())
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
        let mut country = self.country_state(&country_key, &ask.policy, now)?;
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
        if let Some(event) = event {
            // The trip is the state's: written now, whatever happens to this SMS.
            self.country_changed(&country_key, &country, 0, &ask.policy, now, true)?;
            if let Some((key, state)) = &ip {
                self.guard_write(key, state, now)?;
            }
            self.guard_triggered(&ask.tenant, event, ask.policy.events_url.as_deref(), now)?;
        }
        if let Decision::Refuse { scope, .. } = &decision {
            return Ok(Err(ApiError::new(scope.error_code())));
        }
        if let Decision::WouldRefuse { rule, scope, until } = &decision {
            self.count_would_refuse(&send.country, send.channel, scope.error_code().code(), now);
            crate::log::event(
                "info",
                "guard.would_refuse",
                json!({"tenant": ask.tenant, "rule": rule, "scope": scope,
                       "until": smsotp_core::time::format_rfc3339(*until)}),
            );
        }
        Ok(Ok(Some(Guarded {
            mode,
            policy: ask.policy.clone(),
            country_key,
            country,
            ip,
            verdict,
        })))
    }

    /// A trip: logged (`guard.triggered`), kept in the tenant's list (`GET /v1/account`)
    /// and, with an `eventsUrl`, to be POSTed there once the request's work is done
    /// ([`TenantLimiter::send_guard_events`]).
    fn guard_triggered(
        &self,
        tenant: &str,
        event: GuardEvent,
        url: Option<&str>,
        now: u64,
    ) -> Result<()> {
        let mut fields = serde_json::to_value(&event).unwrap_or_default();
        if let Some(obj) = fields.as_object_mut() {
            obj.insert("tenant".into(), json!(tenant));
        }
        crate::log::event("warn", "guard.triggered", fields);
        self.keep_guard_event(&event, now)?;
        if let Some(url) = url {
            self.events_out
                .borrow_mut()
                .push((tenant.to_owned(), event, url.to_owned()));
        }
        Ok(())
    }

    fn keep_guard_event(&self, event: &GuardEvent, now: u64) -> Result<()> {
        let json =
            serde_json::to_string(event).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.store().keep_guard_event(&json, now, EVENTS_KEPT)
    }

    /// The range rule's events a shard sends with its statistics (it logged them and
    /// queued their callbacks): kept in the list.
    pub(super) fn keep_shard_events(&self, events: &[GuardEvent], now: u64) -> Result<()> {
        for event in events {
            self.keep_guard_event(event, now)?;
        }
        Ok(())
    }

    /// `Ask::Guard`: the newest `limit` events (at most [`EVENTS_KEPT`]) and `first_seen`.
    pub(super) fn guard_view(&self, limit: u32) -> Result<LimiterReply> {
        let events = self
            .store()
            .guard_events(limit.min(EVENTS_KEPT))?
            .into_iter()
            .filter_map(|json| serde_json::from_str(&json).ok())
            .collect();
        let first_seen = self
            .store()
            .guard_state("first_seen")?
            .and_then(|s| s.parse().ok());
        Ok(LimiterReply::Guard { events, first_seen })
    }

    /// Queues the callbacks of this request's trips, each in a shard's outbox (signed,
    /// retried and capped there as the status callbacks are). A failure is logged with
    /// the event (`guard.event_lost`): the trip itself is stored and listed.
    pub(super) async fn send_guard_events(&self) {
        let out: Vec<_> = self.events_out.borrow_mut().drain(..).collect();
        for (tenant, event, url) in out {
            let body = event.callback_body().to_string();
            let id = event.webhook_id();
            let usage = crate::usage::Usage::default();
            if let Err(e) =
                crate::shard::wire::queue_callback(&self.env, (&tenant, &id), (&url, &body), &usage)
                    .await
            {
                crate::log::event(
                    "error",
                    "guard.event_lost",
                    json!({"tenant": tenant, "webhookId": id, "error": e.to_string()}),
                );
            }
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
        self.country_changed(&g.country_key, &g.country, 1, &g.policy, now, false)?;
        if let Some((key, mut state)) = g.ip.take() {
            // Written when its countries change (a new one; the rule counts countries),
            // not on each SMS: a stored `last_sent` that is older only makes a country
            // leave the window sooner, and come back with a write at its next SMS.
            let before = state.countries.len();
            state.record_sent(&g.policy, &send.country, now);
            if state.countries.len() != before {
                self.guard_write(&key, &state, now)?;
            }
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
        let mut state = self.country_state(&key, &policy, now)?;
        state.record_unsent(&policy, now, now);
        self.country_changed(&key, &state, 1, &policy, now, false)
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
            let mut state = self.country_state(&key, &policy, now)?;
            let changes = sent_at.len() as u32;
            for at in sent_at {
                state.record_verified(&policy, &[at], now);
            }
            self.country_changed(&key, &state, changes, &policy, now, false)?;
        }
        Ok(())
    }
}
