//! An OTP's delivery in its shard: a provider's report applied in one write (and a
//! delivery callback queued, if the tenant asked for them), the step that took a message
//! after others failed within the request, and the failovers the alarm makes — the same
//! PIN through the next step of the plan, after a failure report or a silence past
//! `deliveryTimeout`, counted like any SMS (the OTP's and the number's caps here, the
//! tenant's day in its limiter), never for an OTP no longer pending.

use smsotp_core::delivery::{Attempt, Report, Reported};
use smsotp_core::{DeliveryStatus, OtpRecord};
use smsotp_edge::delivery;
use smsotp_edge::limits::PendingOtp;
use worker::{Error, Result};

use super::storage::NumberRow;
use super::wire::{OutgoingSms, ShardOp, ShardReply};
use super::OtpShard;
use crate::limiter::wire::LimiterReply;
use crate::limiter::{self, Ask, SendAsk};
use crate::{callback, log, service, tenant};

/// Failovers made per alarm run at most (the next alarm comes at once for the rest).
const MAX_FAILOVERS_PER_RUN: u64 = 20;

impl OtpShard {
    /// `Sent` and `Report`: the OTP's delivery updated, one write if it changed.
    pub(super) fn delivery_changed(
        &self,
        mut row: NumberRow,
        op: &ShardOp,
        now: u64,
    ) -> Result<ShardReply> {
        let otp_id = op.otp_id();
        let is_current = row
            .state
            .current
            .as_ref()
            .is_some_and(|c| c.record.otp_id == otp_id);
        let Some(record) = row.state.find_mut(otp_id, now) else {
            return Ok(ShardReply::Reported { known: false });
        };
        let reported = match op {
            ShardOp::Sent {
                reference, step, ..
            } => {
                let Some(current) = row.state.current.as_mut().filter(|_| is_current) else {
                    return Ok(ShardReply::Reported { known: false });
                };
                let Some(route) = current.route.as_mut() else {
                    return Ok(ShardReply::Reported { known: false });
                };
                let Some(attempt) = current
                    .record
                    .delivery
                    .attempts
                    .iter_mut()
                    .find(|a| &a.reference == reference)
                else {
                    return Ok(ShardReply::Reported { known: false });
                };
                let settings = crate::config::settings_or_error(&self.env)?;
                if !taken_by(&settings, attempt, route, *step) {
                    return Ok(ShardReply::Reported { known: false });
                }
                let record = current.record.clone();
                self.save(&mut row, now)?;
                self.delivery_callback(&row, &record, Some(reference), now)?;
                return Ok(ShardReply::Reported { known: true });
            }
            ShardOp::Report {
                provider,
                reference,
                message_id,
                status,
                error_code,
                error_text,
                ..
            } => record.delivery.report(&Report {
                provider,
                reference: reference.as_deref(),
                message_id,
                status: *status,
                error_code: error_code.as_deref(),
                error_text: error_text.as_deref(),
            }),
            _ => return Err(Error::RustError("delivery: not a delivery op".into())),
        };
        match reported {
            Reported::Unknown => Ok(ShardReply::Reported { known: false }),
            Reported::Unchanged => Ok(ShardReply::Reported { known: true }),
            Reported::Changed(status) => {
                let record = record.clone();
                // The message the report was about (by our reference, else by the
                // provider's id).
                let changed = record
                    .delivery
                    .attempts
                    .iter()
                    .find(|a| match op {
                        ShardOp::Report {
                            reference: Some(r), ..
                        } => &a.reference == r,
                        ShardOp::Report { message_id, .. } => {
                            a.message_id.as_deref() == Some(message_id.as_str())
                        }
                        _ => false,
                    })
                    .map(|a| a.reference.clone());
                self.save(&mut row, now)?;
                self.delivery_callback(&row, &record, changed.as_deref(), now)?;
                log::event(
                    if status.is_failure() { "warn" } else { "info" },
                    "delivery.report",
                    serde_json::json!({
                        "otpId": record.otp_id,
                        "status": status.as_str(),
                        "provider": record.delivery.latest().map(|a| a.provider.as_str()),
                    }),
                );
                // A failure with a failover left: the alarm sends it now.
                let due = row.state.failover_at();
                if due > 0 {
                    self.wake(due);
                }
                Ok(ShardReply::Reported { known: true })
            }
        }
    }

    /// Queues a `delivery_update` callback for `record` about its message `reference`
    /// (`None`: the latest), when its tenant asked for them (`deliveryCallbacks`) and it has
    /// a callback URL.
    fn delivery_callback(
        &self,
        row: &NumberRow,
        record: &OtpRecord,
        reference: Option<&str>,
        now: u64,
    ) -> Result<()> {
        let asked = row
            .state
            .current
            .as_ref()
            .filter(|c| c.record.otp_id == record.otp_id)
            .and_then(|c| c.route.as_ref())
            .is_some_and(|r| r.callbacks);
        let (true, Some(url)) = (asked, &record.otp_callback_url) else {
            return Ok(());
        };
        let object = record.to_object(now);
        let Some(delivery) = &object.delivery else {
            return Ok(());
        };
        // One id per (message, status): a receiver dedupes retries by it, and no two
        // changes share one.
        let attempt = match reference {
            Some(r) => delivery.attempts.iter().find(|a| a.reference == r),
            None => delivery.attempts.last(),
        };
        let Some(attempt) = attempt else {
            return Ok(());
        };
        let webhook_id = format!(
            "msg_{}_delivery_{}_{}",
            record.otp_id,
            attempt.reference.rsplit('.').next().unwrap_or(""),
            attempt.status.as_str()
        );
        let body = callback::body_of("delivery_update", &object);
        self.store()
            .queue_callback(&webhook_id, &record.tenant, url, &body, now)?;
        self.wake(now);
        Ok(())
    }

    /// The failovers due at `now`, each: the tenant's day counted in its limiter, then
    /// (re-read, still due) the OTP's and the number's caps, the attempt written, then the
    /// send (and, if another step took it or none did, a second write).
    pub(super) async fn fail_over_due(&self, now: u64) -> Result<()> {
        let due = self.store().due_failovers(now, MAX_FAILOVERS_PER_RUN)?;
        if due.is_empty() {
            return Ok(());
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        for row in due {
            let Some(current) = &row.state.current else {
                continue;
            };
            let otp_id = current.record.otp_id.clone();
            let kv = crate::usage::Usage::default();
            let tenant = match tenant::by_id(&self.env, &row.tenant, &settings, &kv).await {
                Ok(Some(t)) => t,
                // The tenant is gone, or KV failed: no failover now (KV failing: retried at
                // the next alarm, as the row stays due).
                Ok(None) => {
                    self.give_up(&row, &otp_id, "the tenant no longer exists", now)?;
                    continue;
                }
                Err(e) => {
                    log::event(
                        "warn",
                        "delivery.failover_deferred",
                        serde_json::json!({ "otpId": otp_id, "reason": format!("tenant unavailable: {e:?}") }),
                    );
                    continue;
                }
            };
            // The tenant's day: a failover is an SMS like any other.
            let send = SendAsk {
                limits: tenant.policy.limits,
                ip: None,
                browser: false,
                country: String::new(),
                channel: None,
                // The guard decided on the OTP's first SMS.
                guard: None,
            };
            let ask = Ask::Failover { send: send.clone() };
            let usage = crate::usage::Usage::default();
            match limiter::ask(&self.env, &tenant.id, &ask, &usage).await {
                Ok(LimiterReply::Refused { error, .. }) => {
                    let why = format!("the tenant's cap: {}", error.into_api().message);
                    self.give_up(&row, &otp_id, &why, crate::clock::now())?;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    log::event(
                        "warn",
                        "delivery.failover_deferred",
                        serde_json::json!({ "otpId": otp_id, "reason": format!("limiter unavailable: {e:?}") }),
                    );
                    continue;
                }
            }
            let now = crate::clock::now();
            let prepared =
                self.prepare_failover(&row, &otp_id, &tenant.policy.number_limits, now)?;
            let Some((sms, shard)) = prepared else {
                // Not due any more (verified, delivered or refused meanwhile): the SMS
                // counted is given back.
                limiter::refund(&self.env, &tenant.id, &send, &usage)
                    .await
                    .ok();
                continue;
            };
            log::event(
                "info",
                "delivery.failover",
                serde_json::json!({
                    "otpId": otp_id, "tenant": tenant.id,
                    "to": sms.plan.get(sms.step).map(|s| format!("{}:{}", s.channel.as_str(), s.provider)),
                }),
            );
            let outcome = service::delivery::send_plan(&settings, &otp_id, &tenant.id, &sms).await;
            let now = crate::clock::now();
            self.failover_sent(&otp_id, &sms, outcome, now, shard)?;
        }
        Ok(())
    }

    /// Re-reads the number and, if its current OTP is still due for a failover and its
    /// caps allow one more SMS, writes the new attempt (the next step, the same PIN) and
    /// answers the message to send.
    fn prepare_failover(
        &self,
        row: &NumberRow,
        otp_id: &str,
        limits: &smsotp_edge::limits::NumberLimits,
        now: u64,
    ) -> Result<Option<(OutgoingSms, ())>> {
        let Some(mut row) = self.store().row_of_otp(otp_id, Some(&row.tenant))? else {
            return Ok(None);
        };
        let due = row.state.failover_at();
        if due == 0 || due > now {
            return Ok(None);
        }
        let history = row.state.history();
        let Some(current) = row.state.current.as_ref() else {
            return Ok(None);
        };
        // The OTP's and the number's caps, without the resend cooldown (a failover is
        // not a person asking again).
        let pending = PendingOtp {
            sends: current.sends,
            last_send_at: 0,
        };
        if let Err(refused) = limits.check_send(&history, Some(pending), true, now) {
            let why = format!("the number's caps: {}", refused.message);
            self.give_up(&row, otp_id, &why, now)?;
            return Ok(None);
        }
        let settings = crate::config::settings_or_error(&self.env)?;
        let Some(current) = row.state.current.as_mut() else {
            return Ok(None);
        };
        let Some(route) = current.route.as_mut() else {
            return Ok(None);
        };
        let Some(pin) = route
            .sealed_pin
            .as_deref()
            .and_then(|sealed| delivery::open(&settings.pin_hasher, otp_id, sealed))
        else {
            route.sealed_pin = None;
            self.save(&mut row, now)?;
            return Ok(None);
        };
        let step = route.step + 1;
        let Some(next) = route.plan.get(step).cloned() else {
            return Ok(None);
        };
        route.step = step;
        route.failovers += 1;
        let reference = delivery::reference(otp_id, current.record.delivery.attempts.len() + 1);
        current.record.delivery.attempts.push(Attempt::new(
            next.channel,
            &next.provider,
            &reference,
            now,
            settings.report_window_ms(&next.provider, route.report_within),
        ));
        let message = smsotp_core::render_message(&current.request, Some(&pin), None);
        let sms = OutgoingSms::new(
            &current.request,
            message,
            pin,
            reference,
            (route.plan.clone(), step),
        );
        current.sends += 1;
        current.last_send_at = now;
        let record = current.record.clone();
        row.state.sends.push(now);
        self.save(&mut row, now)?;
        self.delivery_callback(&row, &record, None, now)?;
        Ok(Some((sms, ())))
    }

    /// After a failover's send: the step that took it, or every step failed (the attempt
    /// `failed`; the OTP stays pending, as the first message may still arrive).
    fn failover_sent(
        &self,
        otp_id: &str,
        sms: &OutgoingSms,
        outcome: std::result::Result<usize, String>,
        now: u64,
        _: (),
    ) -> Result<()> {
        let Some(mut row) = self.store().row_of_otp(otp_id, None)? else {
            return Ok(());
        };
        let Some(current) = row
            .state
            .current
            .as_mut()
            .filter(|c| c.record.otp_id == otp_id)
        else {
            return Ok(());
        };
        let Some(attempt) = current
            .record
            .delivery
            .attempts
            .iter_mut()
            .find(|a| a.reference == sms.reference)
        else {
            return Ok(());
        };
        match outcome {
            Ok(step) if step == sms.step => return Ok(()),
            Ok(step) => {
                if let Some(route) = current.route.as_mut() {
                    let settings = crate::config::settings_or_error(&self.env)?;
                    taken_by(&settings, attempt, route, step);
                }
            }
            Err(why) => {
                attempt.status = DeliveryStatus::Failed;
                attempt.error_text = Some(why);
                // Nothing further to try: the plan is spent.
                if let Some(route) = current.route.as_mut() {
                    route.step = route.plan.len().saturating_sub(1);
                }
            }
        }
        let record = current.record.clone();
        self.save(&mut row, now)?;
        self.delivery_callback(&row, &record, Some(&sms.reference), now)
    }

    /// No (more) failover for this OTP: logged, and its route says so (no alarm for it).
    fn give_up(&self, row: &NumberRow, otp_id: &str, why: &str, now: u64) -> Result<()> {
        log::event(
            "warn",
            "delivery.failover_refused",
            serde_json::json!({ "otpId": otp_id, "tenant": row.tenant, "reason": why }),
        );
        let Some(mut row) = self.store().row_of_otp(otp_id, Some(&row.tenant))? else {
            return Ok(());
        };
        if let Some(route) = row.state.current.as_mut().and_then(|c| c.route.as_mut()) {
            route.max_failovers = route.failovers;
        }
        self.save(&mut row, now)
    }
}

/// The message `attempt` was taken by the plan's step `step`, the steps before it having
/// failed within the send: its channel and provider are that step's, and so is whether a
/// report can come (and by when). `false` when the plan has no such step.
fn taken_by(
    settings: &crate::config::Settings,
    attempt: &mut smsotp_core::delivery::Attempt,
    route: &mut smsotp_edge::delivery::Route,
    step: usize,
) -> bool {
    let Some(taken) = route.plan.get(step) else {
        return false;
    };
    attempt.channel = taken.channel;
    attempt.provider = taken.provider.clone();
    attempt.expect_report_within(settings.report_window_ms(&taken.provider, route.report_within));
    route.step = step;
    true
}
