//! The shard's operations: each reads the number's row, applies the core's transition and
//! the number's rules (`smsotp_edge::number`), and writes the row once — with no `await`
//! in between.

use smsotp_core::delivery::Attempt;
use smsotp_core::{ApiError, Channel, DeliveryStatus, ErrorCode, OtpStatus};
use smsotp_edge::delivery::{self, DeliveryPolicy, Route};
use smsotp_edge::guard::RangeState;
use smsotp_edge::limits::{NumberLimits, PendingOtp};
use smsotp_edge::{placement, Destination};
use worker::{Error, Result};

use super::storage::NumberRow;
use super::wire::{OutgoingSms, ShardOp, ShardReply};
use super::{OtpShard, HOUR_MS};
use crate::durable::WireError;
use crate::log;
use smsotp_edge::number::{CurrentOtp, NumberState};

/// Whether two requests render the same message (what a resend sends again is the first
/// request's message with a new PIN).
fn same_message_inputs(a: &smsotp_core::OtpRequest, b: &smsotp_core::OtpRequest) -> bool {
    (
        &a.amount,
        &a.payee,
        &a.language,
        &a.template,
        &a.templates,
        a.pin_length,
        &a.app_hash,
        &a.from,
    ) == (
        &b.amount,
        &b.payee,
        &b.language,
        &b.template,
        &b.templates,
        b.pin_length,
        &b.app_hash,
        &b.from,
    )
}

/// A refusal, as a reply.
fn refusal(e: &ApiError) -> ShardReply {
    ShardReply::Refused(WireError::from_api(e))
}

impl OtpShard {
    /// Writes the number's row: its one write of the operation.
    pub(super) fn save(&self, row: &mut NumberRow, now: u64) -> Result<()> {
        row.state.tidy(now);
        self.store().write_number(row)?;
        self.count(row, now)?;
        // The clean-up will have something to do.
        self.wake(now + HOUR_MS);
        // A failover to make (a silence past `deliveryTimeout`, a failure reported).
        let due = row.state.failover_at();
        if due > 0 {
            self.wake(due);
        }
        Ok(())
    }

    /// Blocks a tenant's prefix until `until` (the prefix rule's refusal).
    fn block_prefix(&self, tenant: &str, prefix_key: u32, prefix: &str, until: u64) -> Result<()> {
        self.store()
            .block_prefix(tenant, prefix_key, prefix, until)?;
        self.wake(until.saturating_add(HOUR_MS));
        Ok(())
    }

    /// `Create`: the number's limits, superseding its pending OTP, storing the new one —
    /// one write, of the number's row.
    pub(super) fn create(&self, op: &ShardOp, now: u64) -> Result<ShardReply> {
        let ShardOp::Create {
            record,
            request,
            limits,
            abuse,
            test,
            from_browser,
            client_secret,
            client,
            route,
            resend_pending,
            guard,
        } = op
        else {
            return Err(Error::RustError("create: not a create".into()));
        };
        let test = *test;
        let Some((_, pk, nk)) = placement::keys_of_otp_id(&record.otp_id) else {
            return Err(Error::RustError(format!(
                "an OTP id without its number's keys: {}",
                record.otp_id
            )));
        };
        // A Twilio Verify start for a number whose pending OTP is of the same service: a
        // resend of that OTP (the prefix rule counts new numbers, not resends).
        if let Some(r) = resend_pending {
            if let Some(row) =
                self.store()
                    .number_row(pk, nk, &record.tenant, &record.phone_number)?
            {
                // Only the same verification asked again: the same service, and the same
                // message inputs (a PSD2 payment, the language, the name, the code's
                // length, the app hash). A start for another payment must never resend a
                // code bound to the first: it starts a new verification (superseding).
                let pending = row.state.current.as_ref().filter(|c| {
                    c.record.service.as_deref() == Some(r.service.as_str())
                        && c.record.status_at(now) == OtpStatus::Pending
                        && same_message_inputs(&c.request, request)
                });
                if let Some(otp_id) = pending.map(|c| c.record.otp_id.clone()) {
                    return self.resend(
                        row,
                        &otp_id,
                        &r.limits,
                        &r.test_pins,
                        None,
                        (&r.delivery, r.channel),
                        now,
                    );
                }
            }
        }
        // The prefix rule (SMS pumping through consecutive numbers) and the guard's range
        // rule read the same: the prefix's numbers are all in this shard, so the counts,
        // the block and the trip are atomic with this create.
        let prefix = smsotp_edge::limits::number_prefix(&record.phone_number);
        let prefix_rule = abuse.prefix_unverified_per_hour > 0;
        let hour_ago = now.saturating_sub(HOUR_MS);
        let history = if prefix_rule || guard.is_some() {
            let since = guard.as_ref().map_or(hour_ago, |g| {
                RangeState::window_start(&g.policy, now).min(hour_ago)
            });
            Some(
                self.store()
                    .prefix_history(&record.tenant, pk, prefix, since)?,
            )
        } else {
            None
        };
        if let (true, Some(history)) = (prefix_rule, &history) {
            let unverified: Vec<u64> = history
                .unverified
                .iter()
                .copied()
                .filter(|&at| at > hour_ago)
                .collect();
            if let Err(refused) = abuse.check_prefix(&unverified, history.blocked_until, now) {
                if let Some(until) = refused.block_until {
                    self.block_prefix(&record.tenant, pk, prefix, until)?;
                    log::event(
                        "warn",
                        "prefix.blocked",
                        serde_json::json!({ "tenant": record.tenant, "prefix": smsotp_core::phone::mask_phone(prefix), "untilMs": until }),
                    );
                }
                return Ok(refusal(&refused.error));
            }
        }
        let mut row = self
            .store()
            .number_row(pk, nk, &record.tenant, &record.phone_number)?
            .unwrap_or_else(|| NumberRow {
                pk,
                nk,
                tenant: record.tenant.clone(),
                phone: record.phone_number.clone(),
                state: NumberState::default(),
                seen: smsotp_edge::stats::Seen::none(),
            });
        let state = &mut row.state;
        state.tidy(now);
        if let Err(e) = state.check_locks(client.as_deref(), false, now) {
            return Ok(refusal(&e));
        }
        let pending = state.pending(now);
        // A browser create supersedes only the same visitor's own browser OTP (it shows
        // that OTP's client secret): never a server-made one (a payment confirmation, a
        // login step) nor another visitor's, which a stranger with the public key could
        // otherwise kill at will. Refused like a resend too soon, until that OTP ends.
        if *from_browser {
            if let Some(p) = pending {
                let settings = crate::config::settings_or_error(&self.env)?;
                let own = p.by_browser
                    && smsotp_edge::browser::client_secret::check_client_secret(
                        &settings.pin_hasher,
                        &p.record.otp_id,
                        client_secret.as_deref(),
                    )
                    .is_ok();
                if !own {
                    let left = p.record.expires_at.saturating_sub(now).div_ceil(1000);
                    let e = ApiError::with_message(
                        ErrorCode::ResendTooSoon,
                        "A code was already sent to this phone number and is still valid; use it, or retry when it expires",
                    )
                    .retry_after(u32::try_from(left).unwrap_or(u32::MAX));
                    return Ok(refusal(&e));
                }
            }
        }
        let pending = pending.map(|c| PendingOtp {
            sends: c.sends,
            last_send_at: c.last_send_at,
        });
        if let Err(e) = limits.check_send(&state.history(), pending, false, now) {
            return Ok(refusal(&e));
        }
        // The guard's range rule, last: a trip is only for an SMS nothing else refused (a
        // test number's OTP sends none: never guarded).
        if let (Some(ask), Some(history), false) = (guard.as_deref(), &history, test) {
            let sms = (&**record, request.channel);
            if let Err(e) = self.guard_range(sms, ask, history, pk, now)? {
                return Ok(refusal(&e));
            }
        }
        // The number's pending OTP is superseded (CANCELLED; EXPIRED if its TTL passed).
        // Only SMS are the number's sends (a test number gets none).
        let new = CurrentOtp {
            record: (**record).clone(),
            request: (**request).clone(),
            sends: 1,
            last_send_at: now,
            by_browser: *from_browser,
            route: route.as_deref().cloned(),
        };
        let ended = state.supersede(new, !test, now);
        self.save(&mut row, now)?;
        if let Some(old) = ended {
            self.status_changed(&old, now)?;
        }
        if record.otp_callback_url.is_some() {
            // Its EXPIRED callback must go out at its expiry, asked or not.
            self.store()
                .add_deadline(record.expires_at, &record.otp_id)?;
            self.wake(record.expires_at);
        }
        Ok(ShardReply::Created {
            resend_after: limits.cooldown_after(1),
        })
    }

    /// `Unlock`: the number's locks and counts cleared (one write, if it has a row).
    pub(super) fn unlock(
        &self,
        tenant: &str,
        phone: &str,
        pk: u32,
        nk: u32,
        now: u64,
    ) -> Result<ShardReply> {
        if let Some(mut row) = self.store().number_row(pk, nk, tenant, phone)? {
            row.state.unlock();
            self.save(&mut row, now)?;
        }
        Ok(ShardReply::Unlocked)
    }

    /// `Resend`: the limits, then a new PIN (the old one stops working) and its message,
    /// planned for the channel asked (else the OTP's own).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resend(
        &self,
        mut row: NumberRow,
        otp_id: &str,
        limits: &NumberLimits,
        test_pins: &std::collections::BTreeMap<String, String>,
        client: Option<&str>,
        (delivery, channel): (&DeliveryPolicy, Option<Channel>),
        now: u64,
    ) -> Result<ShardReply> {
        let Some(record) = row.state.find_mut(otp_id, now) else {
            return Ok(ShardReply::NotFound);
        };
        // Not pending (or its TTL passed): the answer a check would give.
        let before = record.status;
        if let Err(e) = record.still_pending(now) {
            let record = record.clone();
            if record.status != before {
                self.save(&mut row, now)?;
                self.status_changed(&record, now)?;
            }
            return Ok(refusal(&e));
        }
        if let Err(e) = row.state.check_locks(client, false, now) {
            if let Some(c) = &row.state.current {
                let country = &c.record.country_iso;
                self.count_refusal(&row.tenant, country, c.request.channel, e.code.code(), now);
            }
            return Ok(refusal(&e));
        }
        let state = &mut row.state;
        // Only the current OTP can be pending (a new one supersedes it).
        let Some(current) = state.current.as_mut().filter(|c| c.record.otp_id == otp_id) else {
            return Ok(ShardReply::NotFound);
        };
        // A message reported undelivered (or silent past its timeout) is no reason to make
        // the person wait out the cooldown: they may ask again at once (the OTP's and the
        // number's caps still count).
        let last_send_at = if current.record.delivery.latest_failed(now) {
            0
        } else {
            current.last_send_at
        };
        let pending = PendingOtp {
            sends: current.sends,
            last_send_at,
        };
        let destination = Destination::among(test_pins, &current.record.phone_number);
        // A test number sends no SMS, so no per-number limit applies (as on create).
        let unlimited;
        let limits = if destination.is_test() {
            unlimited = NumberLimits::unlimited();
            &unlimited
        } else {
            limits
        };
        let history = smsotp_edge::limits::NumberHistory {
            sends: &state.sends,
            locked_until: state.locked_until,
        };
        if let Err(e) = limits.check_send(&history, Some(pending), true, now) {
            if !destination.is_test() {
                let country = &current.record.country_iso;
                let asked = channel.unwrap_or(current.request.channel);
                self.count_refusal(&row.tenant, country, asked, e.code.code(), now);
            }
            return Ok(refusal(&e));
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        let hasher = &settings.pin_hasher;
        // The new message's plan (a test number sends none).
        let channel = channel.unwrap_or(current.request.channel);
        let plan = if destination.sends_sms() {
            let providers = &settings.providers;
            match delivery.plan(
                channel,
                &current.record.country_iso,
                &providers.routes,
                &|c, p| providers.offers(c, p),
            ) {
                Ok(plan) => plan,
                Err(e) => return Ok(refusal(&e)),
            }
        } else {
            Vec::new()
        };
        let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
        let (pin_hash, message, pin) = match destination.fixed_pin() {
            // A test number's PIN stays the fixed one.
            Some(pin) => (
                hasher.hash(otp_id, pin),
                smsotp_core::render_message(&current.request, Some(pin), None),
                pin.to_owned(),
            ),
            None => smsotp_core::FallibleSource::run(fill, |rng| {
                let new =
                    smsotp_core::create::new_pin_message(&current.request, otp_id, hasher, rng);
                (new.hash, new.message, new.pin)
            })
            .map_err(|e| Error::RustError(format!("crypto.getRandomValues: {e}")))?,
        };
        current
            .record
            .replace_pin(pin_hash, now)
            .map_err(|e| Error::RustError(e.to_string()))?;
        current.sends += 1;
        current.last_send_at = now;
        let sms = match plan.first() {
            Some(first) => {
                let reference =
                    delivery::reference(otp_id, current.record.delivery.attempts.len() + 1);
                let report_within = delivery.delivery_timeout.get(&current.record.country_iso);
                current.record.delivery.attempts.push(Attempt::new(
                    first.channel,
                    &first.provider,
                    &reference,
                    now,
                    settings.report_window_ms(&first.provider, report_within),
                ));
                let mut nonce = [0u8; 12];
                getrandom::fill(&mut nonce)
                    .map_err(|e| Error::RustError(format!("crypto.getRandomValues: {e}")))?;
                let failovers = current.route.as_ref().map_or(0, |r| r.failovers);
                current.route = Some(Route {
                    plan: plan.clone(),
                    step: 0,
                    failovers,
                    max_failovers: delivery.max_failovers,
                    report_within,
                    callbacks: delivery.delivery_callbacks,
                    sealed_pin: Some(delivery::seal(hasher, otp_id, &pin, nonce)),
                });
                Some(Box::new(OutgoingSms::new(
                    &current.request,
                    message,
                    pin,
                    reference,
                    (plan, 0),
                )))
            }
            None => None,
        };
        let record = current.record.clone();
        if destination.sends_sms() {
            state.sends.push(now);
        }
        self.save(&mut row, now)?;
        Ok(ShardReply::Resent {
            record,
            sms,
            resend_after: limits.cooldown_after(pending.sends + 1),
        })
    }

    /// `Check`, `Cancel`, `Approve`, `FailDelivery`, `Get` of the OTP `otp_id` (the op's
    /// own, or the number's latest for a check by number): the core's transition on the
    /// record, the number's wrong-PIN count with it, one write if anything changed.
    pub(super) fn transition(
        &self,
        mut row: NumberRow,
        (otp_id, op): (&str, &ShardOp),
        now: u64,
    ) -> Result<ShardReply> {
        // A missing key is the deployment's fault: a worker error (logged, 500), not an
        // answer naming it.
        let settings = crate::config::settings_or_error(&self.env)?;
        let hasher = &settings.pin_hasher;
        let Some(found) = row.state.find(otp_id, now) else {
            return Ok(ShardReply::NotFound);
        };
        // Through a Twilio Verify service, another service's OTP (or one the SMS.cx API
        // made) does not exist.
        if op.service().is_some() && found.service.as_deref() != op.service() {
            return Ok(ShardReply::NotFound);
        }
        let status = found.status_at(now);
        // A check through a Twilio Verify service is answered with the record, refused or
        // not (its answer shows the verification).
        let twilio_check = matches!(
            op,
            ShardOp::Check {
                service: Some(_),
                ..
            }
        );
        let refused_with = |record: &smsotp_core::OtpRecord, e: &ApiError| {
            if twilio_check {
                ShardReply::Checked {
                    record: record.clone(),
                    error: Some(WireError::from_api(e)),
                }
            } else {
                refusal(e)
            }
        };
        // PSD2: a code confirms only the payment it was sent for; no attempt is spent on
        // a check for another.
        if let ShardOp::Check {
            payment: Some(p), ..
        } = op
        {
            // As the core stored them: trimmed.
            let trimmed = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_owned);
            let (amount, payee) = (trimmed(&p.amount), trimmed(&p.payee));
            let refused = if amount.is_some() && amount != found.amount {
                Some(ApiError::new(ErrorCode::AmountInvalid).for_field("amount"))
            } else if payee.is_some() && payee != found.payee {
                Some(ApiError::new(ErrorCode::PayeeInvalid).for_field("payee"))
            } else {
                None
            };
            if let Some(e) = refused {
                return Ok(refused_with(found, &e));
            }
        }
        // A locked number (or client) is refused before the PIN is looked at: no attempt
        // spent, nothing learnt. Only a pending OTP's check is refused; a finished one
        // answers what it is.
        if let ShardOp::Check { client, .. } = op {
            if status == OtpStatus::Pending {
                if let Err(e) = row.state.check_locks(client.as_deref(), true, now) {
                    let found = row.state.find(otp_id, now).cloned();
                    return Ok(match found {
                        Some(r) => refused_with(&r, &e),
                        None => refusal(&e),
                    });
                }
            }
        }
        let Some(record) = row.state.find_mut(otp_id, now) else {
            return Ok(ShardReply::NotFound);
        };
        let before = (record.status, record.attempts);
        let mut changed_delivery = false;
        let result: std::result::Result<(), ApiError> = match op {
            ShardOp::Check { pin, .. } => record.check(pin, now, hasher).map(|_| ()),
            ShardOp::Cancel { .. } => record.cancel(now),
            ShardOp::Approve { .. } => record.approve(now).map(|_| ()),
            ShardOp::FailDelivery { error, .. } => {
                record.fail_delivery(now);
                if let Some(latest) = record.delivery.attempts.last_mut() {
                    latest.status = DeliveryStatus::Failed;
                    latest.error_text = Some(error.clone());
                }
                changed_delivery = true;
                Ok(())
            }
            ShardOp::Get { .. } => {
                record.expire(now);
                Ok(())
            }
            ShardOp::Create { .. }
            | ShardOp::Resend { .. }
            | ShardOp::Unlock { .. }
            | ShardOp::Latest { .. }
            | ShardOp::QueueCallback { .. }
            | ShardOp::Sent { .. }
            | ShardOp::Report { .. } => Ok(()),
        };
        let record = record.clone();
        let status_changed = record.status != before.0;
        let mut changed = status_changed || record.attempts != before.1 || changed_delivery;
        // Wrong PINs count against the number across its OTPs; a right one clears them.
        if let ShardOp::Check { limits, client, .. } = op {
            changed |= row
                .state
                .checked(before, &record, client.as_deref(), limits, now);
        }
        // An approval is a verification of the number as a right PIN is: its SMS count as
        // verified (the prefix rule) and its wrong PINs in a row are cleared.
        if matches!(op, ShardOp::Approve { .. })
            && before.0 == OtpStatus::Pending
            && record.status == OtpStatus::Verified
        {
            row.state.right_pin(now);
            changed = true;
        }
        if changed {
            self.save(&mut row, now)?;
        }
        if status_changed {
            self.status_changed(&record, now)?;
        }
        Ok(match result {
            Err(e) if twilio_check => ShardReply::Checked {
                record,
                error: Some(WireError::from_api(&e)),
            },
            Err(e) => refusal(&e),
            Ok(()) if twilio_check => ShardReply::Checked {
                record,
                error: None,
            },
            Ok(()) => ShardReply::Record(record),
        })
    }
}
