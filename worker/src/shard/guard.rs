//! The adaptive guard's range rule (`smsotp_edge::guard`, docs/guard.md) in the shard that
//! owns the range: every number of a range (its E.164 minus the last 4 digits) is in one
//! shard (`smsotp_edge::placement`), so the range's count and its trip are atomic with the
//! create, as the prefix rule's (2115) are.
//!
//! The tenant's limiter decides on the SMS's country and IP first, and hands the country's
//! verdict over with the create (`ShardOp::Create`'s `guard`, `RangeAsk`). Here a range
//! with more unverified SMS in the hourly window than `max(rangeFloor, rangeRatio × its
//! verified OTPs there)`, in a suspect country, trips: refused 403 2138 in `enforce` for
//! the cool-down (no SMS; the limiter's count given back, the refusal counted in the
//! statistics by the shard), reported in `record` (`guard.would_refuse`, the SMS goes;
//! counted as `wouldRefuse` 2138). A trip logs `guard.triggered` once, with the tenant;
//! its signed callback to the tenant's `guard.eventsUrl`, if set, is queued in this
//! shard's outbox (`shard/outbox.rs`, in the same synchronous step as the trip's write),
//! and its event goes to the tenant's limiter with the next statistics, for its list
//! (`GET /v1/account`).
//!
//! What it costs: no row written per SMS. The range's SMS and verifications are those the
//! prefix rule reads already, off the numbers' rows (`sends`, `verified_at`:
//! [`Store::prefix_history`](super::storage::Store::prefix_history)), built into a
//! `RangeState` for each decision; only a trip is written, in the prefix's row of
//! `prefixes` (`trip`, `trip_until`), once per trip. A number verified twice in the window
//! counts once among the range's verified OTPs (a row keeps its last verification).

use serde_json::json;
use smsotp_core::{ApiError, Channel, OtpRecord};
use smsotp_edge::guard::{Decision, GuardEvent, Outcome, RangeState, SendRequest};
use smsotp_edge::limits::number_prefix;
use worker::Result;

use super::storage::PrefixHistory;
use super::wire::RangeAsk;
use super::{OtpShard, HOUR_MS};
use crate::log;

impl OtpShard {
    /// The range rule on a new SMS to `record`'s number by `channel` (the shard's last
    /// check before it stores the OTP): `Err` the refusal (`enforce`: 403 2138), else
    /// `Ok`. `history`: the prefix's SMS and verifications since
    /// `RangeState::window_start`, and its trip; `pk`: the prefix's key (its row in
    /// `prefixes`).
    pub(super) fn guard_range(
        &self,
        (record, channel): (&OtpRecord, Channel),
        ask: &RangeAsk,
        history: &PrefixHistory,
        pk: u32,
        now: u64,
    ) -> Result<std::result::Result<(), ApiError>> {
        let prefix = number_prefix(&record.phone_number);
        let mut range = RangeState::from_times(
            history.unverified.iter().copied(),
            history.verified.iter().copied(),
            history.trip,
        );
        let req = SendRequest {
            e164: &record.phone_number,
            country: &record.country_iso,
            ip: None,
            test_number: false,
        };
        let Outcome { decision, event } =
            ask.policy
                .check_range(ask.mode, &req, &ask.country, &mut range, now);
        if let Some(event) = event {
            // The trip is the range's, whatever happens to this SMS: written now.
            if let Some(trip) = &range.trip {
                self.store().trip_range(&record.tenant, pk, prefix, trip)?;
                // The clean-up deletes the row once the trip is over.
                self.wake(trip.until.saturating_add(HOUR_MS));
            }
            self.guard_triggered(&record.tenant, event, ask, now)?;
        }
        match decision {
            Decision::Refuse { scope, .. } => Ok(Err(ApiError::new(scope.error_code()))),
            Decision::WouldRefuse { rule, scope, until } => {
                let code = scope.error_code().code();
                self.count_would_refuse(&record.tenant, &record.country_iso, channel, code, now);
                log::event(
                    "info",
                    "guard.would_refuse",
                    json!({"tenant": record.tenant, "rule": rule, "scope": scope,
                           "until": smsotp_core::time::format_rfc3339(until)}),
                );
                Ok(Ok(()))
            }
            Decision::Allow => Ok(Ok(())),
        }
    }

    /// A trip this shard started: logged (`guard.triggered`, the limiter's fields), its
    /// callback queued when the tenant has an `eventsUrl` (the same `webhook-id` on every
    /// try: `GuardEvent::webhook_id`), and the event kept to go to the tenant's limiter
    /// with its next statistics.
    fn guard_triggered(
        &self,
        tenant: &str,
        event: GuardEvent,
        ask: &RangeAsk,
        now: u64,
    ) -> Result<()> {
        let mut fields = serde_json::to_value(&event).unwrap_or_default();
        if let Some(obj) = fields.as_object_mut() {
            obj.insert("tenant".into(), json!(tenant));
        }
        log::event("warn", "guard.triggered", fields);
        if let Some(url) = &ask.policy.events_url {
            let body = event.callback_body().to_string();
            self.queue_other_callback(tenant, &event.webhook_id(), (url, &body), now)?;
        }
        self.keep_guard_event(tenant, event, now);
        Ok(())
    }
}
