//! The OTP operations both APIs share (the SMS.cx API in `handlers/otp.rs`, the browser
//! API in `handlers/browser.rs`, the Twilio Verify start in `handlers/twilio.rs`): create
//! and send, resend, check a PIN. Each asks the budgets (`pipeline/budget.rs`), then the
//! shard that owns the number (its limits and state, atomically), then the provider
//! (`service/delivery.rs`). A create carries the adaptive guard's verdict from the
//! tenant's limiter to the number's shard, which runs the range rule (docs/guard.md).

use serde_json::{json, Value};
use smsotp_core::create::{create_otp_with_id, create_test_otp_with_id};
use smsotp_core::{ErrorCode, FallibleSource};
use smsotp_edge::browser::client_secret::client_secret;
use smsotp_edge::idempotency::StoredAnswer;
use smsotp_edge::stats::MICROS;
use smsotp_edge::{placement, Destination};

use crate::error::{AppError, AppResult};
use crate::limiter::{Budget, GuardAsk, GuardVerdict, IdempotencyAsk, SendAsk};
use crate::pipeline::answer::Answer;
use crate::pipeline::budget::{self, SmsAsk};
use crate::pipeline::context::Ctx;
use crate::shard::{self, OutgoingSms, RangeAsk, ShardOp, ShardReply};
use crate::tenant::Tenant;

use super::delivery::deliver;

/// Anything but an id this service issues cannot exist (and reaches no Durable Object);
/// an id names the shard that owns it.
pub fn checked_id(otp_id: &str) -> AppResult<(&str, u8)> {
    match placement::of_otp_id(otp_id) {
        Some(shard) if smsotp_core::request::is_otp_id(otp_id) => Ok((otp_id, shard)),
        _ => Err(AppError::api(ErrorCode::OtpNotFound)),
    }
}

/// A create checked and ready for the limiter: everything that needs no state.
pub struct Prepared<'t> {
    request: smsotp_core::OtpRequest,
    /// A real number, or one of the tenant's test numbers (its fixed PIN, no SMS, no
    /// limit).
    destination: Destination<'t>,
    idempotency: Option<IdempotencyAsk>,
    /// The end-user IP's counting subject (`X-End-User-IP`, or the browser's own).
    ip: Option<String>,
    /// The minute it spends: the server API's, or the browser API's (which also counts
    /// its SMS against the browser's daily cap, and never supersedes another's OTP).
    pub budget: Budget,
    /// A browser create's `X-Client-Secret`: the secret of the visitor's own pending OTP
    /// for the number, which only then may be superseded.
    pub client_secret: Option<String>,
    /// The browser client (its IP subject) a browser create comes from: a client locked
    /// for the number sends nothing. `None`: the server API.
    pub client: Option<String>,
    /// The Twilio Verify service (`VA…`) a verification is started under.
    pub service: Option<String>,
    /// A Twilio Verify start: the service's pending OTP for the number, if any, is resent
    /// instead, in the same shard call.
    pub resend_pending: Option<crate::shard::ResendPending>,
}

/// A validated request and its destination: a test number, or a number the tenant may
/// send to (country, number type).
pub fn prepared<'t>(
    request: smsotp_core::OtpRequest,
    tenant: &'t Tenant,
    idempotency: Option<IdempotencyAsk>,
    ip: Option<String>,
) -> AppResult<Prepared<'t>> {
    let destination = Destination::for_create(&tenant.policy, &request.phone_number)?;
    // A channel the tenant does not have is refused before anything is counted (2136), as
    // the other policy refusals are: the statistics count it with the request's minute.
    tenant.policy.delivery.check_channel(request.channel)?;
    Ok(Prepared {
        request,
        destination,
        idempotency,
        ip,
        budget: Budget::Server,
        client_secret: None,
        client: None,
        service: None,
        resend_pending: None,
    })
}

/// A create from its checked request on: one call to the tenant's limiter (the minute, the
/// idempotency key, the day's SMS cap, the end-user IP's hour), then the number's shard
/// (its limits, atomically with storing the OTP), then the SMS. A step that refuses sends
/// nothing; an SMS counted by the limiter and then not sent is given back.
pub async fn create(cx: &mut Ctx, tenant: &Tenant, prepared: Prepared<'_>) -> AppResult<Answer> {
    let destination = prepared.destination;
    let send = destination
        .counted_limits(&tenant.policy)
        .map(|limits| SendAsk {
            limits,
            ip: prepared.ip.clone(),
            browser: prepared.budget == Budget::Browser,
            country: prepared.request.country_iso.clone(),
            channel: Some(prepared.request.channel),
            guard: Some(GuardAsk {
                tenant: tenant.id.clone(),
                policy: tenant.policy.guard.clone(),
                created_at: tenant.created_at,
                e164: prepared.request.phone_number.clone(),
            }),
        });
    let ask = SmsAsk {
        budget: prepared.budget,
        idempotency: prepared.idempotency.as_ref().map(|i| IdempotencyAsk {
            key: i.key.clone(),
            fingerprint: i.fingerprint.clone(),
        }),
        send,
    };
    let admitted = budget::admit(cx, tenant, ask).await?;
    if let Some(answer) = &admitted.replay {
        let mut body: Value = serde_json::from_str(&answer.body)?;
        // The stored answer has no client secret (nothing stores one): computed again.
        if let Some(id) = body["otpId"].as_str().map(str::to_owned) {
            body["clientSecret"] = json!(client_secret(&cx.settings.pin_hasher, &id));
        }
        return Ok(Answer::json(answer.status, body));
    }
    let result = create_and_send(cx, tenant, &prepared, admitted.guard).await;
    // A key's answer is kept for replays (successes only: a retry after an error runs
    // again), without the client secret.
    let stored = result.as_ref().ok().map(|a| {
        let mut body = a.body.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("clientSecret");
        }
        StoredAnswer {
            status: a.status,
            body: body.to_string(),
        }
    });
    budget::settle(cx, tenant, admitted, result.is_ok(), stored).await?;
    result
}

/// A Twilio Verify start whose SMS the tenant's limiter counted in the call that read its
/// service (`admitted`): the OTP created, or the service's pending OTP for the number
/// resent, in one shard call; the SMS given back if none left.
pub async fn create_admitted(
    cx: &Ctx,
    tenant: &Tenant,
    prepared: Prepared<'_>,
    admitted: budget::Admitted,
) -> AppResult<Answer> {
    let result = create_and_send(cx, tenant, &prepared, admitted.guard).await;
    budget::settle(cx, tenant, admitted, result.is_ok(), None).await?;
    result
}

/// The OTP stored in its number's shard (if the number's limits and the guard's range rule
/// allow: `guard`, the limiter's verdict on its country) and its SMS sent (none for a test
/// number); or, for a Twilio Verify start, the service's pending OTP resent
/// (`prepared.resend_pending`).
async fn create_and_send(
    cx: &Ctx,
    tenant: &Tenant,
    prepared: &Prepared<'_>,
    guard: Option<GuardVerdict>,
) -> AppResult<Answer> {
    let settings = &cx.settings;
    let request = &prepared.request;
    let now = crate::clock::now();
    // crypto.getRandomValues; a failure refuses the create (no PIN from failed bytes).
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    // Every OTP of a number lives in the number's shard.
    let shard = placement::of_number(&settings.pin_hasher, &tenant.id, &request.phone_number);
    // The id also names the number's row in the shard (no index to look it up by).
    let (prefix_key, number_key) =
        placement::number_keys(&settings.pin_hasher, &tenant.id, &request.phone_number);
    let new = FallibleSource::run(fill, |rng| {
        let otp_id =
            placement::new_otp_id_for(rng, shard, (prefix_key, number_key), &request.country_iso);
        match prepared.destination.fixed_pin() {
            Some(pin) => {
                create_test_otp_with_id(request, &tenant.id, &settings.pin_hasher, otp_id, now, pin)
            }
            None => create_otp_with_id(
                request,
                &tenant.id,
                &settings.pin_hasher,
                otp_id,
                rng,
                now,
                settings.prices.price_micros(&request.country_iso) as f64 / MICROS as f64,
            ),
        }
    })
    .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let mut new = new;
    new.record.service = prepared.service.clone();
    let otp_id = new.record.otp_id.clone();
    // A test number is not counted by any limit.
    let destination = prepared.destination;
    // How the message goes (a test number sends none): the plan, from its first step
    // whose provider's circuit is closed; the record holds the first attempt, and the
    // route what a failover needs (the PIN sealed).
    let route = if destination.sends_sms() {
        let providers = &settings.providers;
        let delivery = &tenant.policy.delivery;
        let plan = delivery.plan(
            request.channel,
            &request.country_iso,
            &providers.routes,
            &|c, p| providers.offers(c, p),
        )?;
        let step = plan
            .iter()
            .position(|s| !super::breaker::is_open(&s.provider, now))
            .unwrap_or(0);
        let report_within = delivery.delivery_timeout.get(&request.country_iso);
        let reference = smsotp_edge::delivery::reference(&otp_id, 1);
        new.record
            .delivery
            .attempts
            .push(smsotp_core::delivery::Attempt::new(
                plan[step].channel,
                &plan[step].provider,
                &reference,
                now,
                settings.report_window_ms(&plan[step].provider, report_within),
            ));
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce)
            .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
        Some(smsotp_edge::delivery::Route {
            step,
            failovers: 0,
            max_failovers: delivery.max_failovers,
            report_within,
            callbacks: delivery.delivery_callbacks,
            sealed_pin: Some(smsotp_edge::delivery::seal(
                &settings.pin_hasher,
                &otp_id,
                &new.pin,
                nonce,
            )),
            plan,
        })
    } else {
        // A test number sends nothing, but its channel must still be one the tenant has.
        tenant.policy.delivery.check_channel(request.channel)?;
        None
    };
    let limits = destination.number_limits(&tenant.policy);
    let abuse = destination.shard_limits(&tenant.policy);
    let reply = shard::call(
        &cx.env,
        shard,
        &ShardOp::Create {
            record: Box::new(new.record.clone()),
            request: Box::new(request.clone()),
            limits: Box::new(limits),
            abuse,
            test: destination.is_test(),
            from_browser: prepared.budget == Budget::Browser,
            client_secret: prepared.client_secret.clone(),
            client: prepared.client.clone(),
            route: route.clone().map(Box::new),
            resend_pending: prepared.resend_pending.clone().map(Box::new),
            guard: guard.map(|v| {
                Box::new(RangeAsk {
                    mode: v.mode,
                    country: v.country,
                    policy: tenant.policy.guard.clone(),
                })
            }),
        },
        &cx.usage,
    )
    .await?;
    // The number's limits refused an SMS now: nothing is stored, nothing is sent.
    let resend_after = match reply {
        ShardReply::Created { resend_after } => resend_after,
        ShardReply::Resent {
            record,
            sms,
            resend_after,
        } => {
            let resent = resent(cx, tenant, shard, record, sms.as_deref(), resend_after);
            return Ok(resent.await?.0);
        }
        other => return Err(other.into_error()),
    };
    if let Some(route) = route {
        let sms = OutgoingSms::new(
            request,
            new.message,
            new.pin,
            smsotp_edge::delivery::reference(&otp_id, 1),
            (route.plan, route.step),
        );
        if let Some(taken) = deliver(cx, shard, &otp_id, &tenant.id, &sms).await? {
            taken_by(&mut new.record, taken);
        }
    }
    let mut body = json!(new.record.to_object(now));
    // Extension: who made the OTP hands this to the page that will check it (the browser
    // API's resend and check need it); SMS.cx clients ignore it.
    body["clientSecret"] = json!(client_secret(&settings.pin_hasher, &otp_id));
    Ok(Answer {
        resend_after: Some(resend_after),
        record: Some(Box::new(new.record)),
        ..Answer::json(201, body).about(&otp_id)
    })
}

/// A resend as asked: the OTP, the end-user IP (the server API's `X-End-User-IP`, the
/// browser's connecting IP), the budget it spends.
pub struct Resend<'a> {
    pub otp_id: &'a str,
    pub ip: Option<String>,
    pub budget: Budget,
    /// The browser client asking (`None`: the server API).
    pub client: Option<String>,
    /// The channel asked for (`None`: the OTP's own).
    pub channel: Option<smsotp_core::Channel>,
}

/// A resend: a new PIN by SMS for a pending OTP. Like a create's, its SMS is counted by
/// the tenant's limiter (the day's cap and the end-user IP's hour, with the request's
/// minute, in one call) before the shard makes the new PIN, and given back if no SMS
/// leaves. A test number's OTP (its id carries the number's keys, so no lookup is needed)
/// sends nothing and counts for nothing.
pub async fn resend(cx: &mut Ctx, tenant: &Tenant, asked: Resend<'_>) -> AppResult<Answer> {
    let Resend {
        otp_id,
        ip,
        budget,
        client,
        channel,
    } = asked;
    let (otp_id, shard) = match checked_id(otp_id) {
        Ok(c) => c,
        Err(e) => return Err(budget::refused(cx, tenant, budget, e).await),
    };
    let hasher = &cx.settings.pin_hasher;
    let destination = Destination::of_otp_id(&tenant.policy, hasher, &tenant.id, otp_id);
    // The id carries its number's country (and keys, not the number): the resend's SMS is
    // counted and guarded there like a new one's.
    let country = placement::country_of_otp_id(otp_id).unwrap_or_default();
    let send = destination
        .counted_limits(&tenant.policy)
        .map(|limits| SendAsk {
            limits,
            ip: ip.clone(),
            browser: budget == Budget::Browser,
            country: country.clone(),
            channel,
            guard: (!country.is_empty()).then(|| GuardAsk {
                tenant: tenant.id.clone(),
                policy: tenant.policy.guard.clone(),
                created_at: tenant.created_at,
                e164: allow_listed_number_of(tenant, hasher, otp_id),
            }),
        });
    let ask = SmsAsk {
        budget,
        idempotency: None,
        send,
    };
    let admitted = budget::admit(cx, tenant, ask).await?;
    let result = resend_in_shard(cx, tenant, (otp_id, shard), client, channel).await;
    let sent = matches!(&result, Ok((_, true)));
    budget::settle(cx, tenant, admitted, sent, None).await?;
    result.map(|(answer, _)| answer)
}

/// For a resend (asked by id): the guard's allow-listed number (`guard.allowNumbers`)
/// whose keys the id carries, else `""`. An `allowRanges` prefix cannot be matched from
/// the keys (they are digests of the whole number and of its range), so a resend to an
/// allow-listed range is guarded like any (docs/guard.md).
fn allow_listed_number_of(
    tenant: &Tenant,
    hasher: &smsotp_core::PinHasher,
    otp_id: &str,
) -> String {
    let allowed = &tenant.policy.guard.allow_numbers;
    placement::number_of_otp_id(hasher, &tenant.id, otp_id, allowed)
        .cloned()
        .unwrap_or_default()
}

/// The resend in the OTP's shard and its SMS: the answer, and whether an SMS left (not
/// for a test number).
async fn resend_in_shard(
    cx: &Ctx,
    tenant: &Tenant,
    (otp_id, shard): (&str, u8),
    client: Option<String>,
    channel: Option<smsotp_core::Channel>,
) -> AppResult<(Answer, bool)> {
    let op = ShardOp::Resend {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        limits: Box::new(tenant.policy.number_limits.clone()),
        delivery: Box::new(tenant.policy.delivery.clone()),
        channel,
        test_pins: tenant.policy.test_numbers.clone(),
        client,
    };
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Resent {
            record,
            sms,
            resend_after,
        } => resent(cx, tenant, shard, record, sms.as_deref(), resend_after).await,
        other => Err(other.into_error()),
    }
}

/// The answer's record shows the step that took its latest message, as its shard now
/// does (the steps before it failed within the request).
fn taken_by(record: &mut smsotp_core::OtpRecord, taken: smsotp_edge::delivery::Step) {
    if let Some(a) = record.delivery.attempts.last_mut() {
        a.channel = taken.channel;
        a.provider = taken.provider;
    }
}

/// A resend the shard made (`Resend`, or a Twilio Verify start of a pending OTP): its SMS
/// delivered (none for a test number, whose fixed PIN stays), and the answer — the OTP
/// object with `resendAfter`, 200 — with whether an SMS left.
async fn resent(
    cx: &Ctx,
    tenant: &Tenant,
    shard: u8,
    record: smsotp_core::OtpRecord,
    sms: Option<&OutgoingSms>,
    resend_after: u32,
) -> AppResult<(Answer, bool)> {
    let mut record = record;
    if let Some(sms) = sms {
        if let Some(taken) = deliver(cx, shard, &record.otp_id, &tenant.id, sms).await? {
            taken_by(&mut record, taken);
        }
    }
    let now = crate::clock::now();
    let mut body = json!(record.to_object(now));
    body["resendAfter"] = json!(resend_after);
    let otp_id = record.otp_id.clone();
    let answer = Answer {
        resend_after: Some(resend_after),
        record: Some(Box::new(record)),
        ..Answer::json(200, body).about(&otp_id)
    };
    Ok((answer, sms.is_some()))
}

/// Who asks for a PIN check, beyond the tenant: a browser client (its wrong PINs lock that
/// client before the number), or a Twilio Verify service (another service's OTP is not
/// found; the OTP may be named by its number, and a payment it must confirm). All `None`:
/// the SMS.cx API.
#[derive(Default)]
pub struct Checker {
    pub client: Option<String>,
    pub service: Option<String>,
    pub number: Option<crate::shard::NumberRef>,
    pub payment: Option<crate::shard::Payment>,
}

fn check_op(tenant: &Tenant, otp_id: &str, pin: String, checker: Checker) -> ShardOp {
    ShardOp::Check {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        pin,
        limits: Box::new(tenant.policy.number_limits.clone()),
        client: checker.client,
        service: checker.service,
        number: checker.number,
        payment: checker.payment,
    }
}

/// Checks a PIN in the shard that owns the OTP — the one place every API's check goes
/// through (the SMS.cx verify, the browser's, the Twilio Verify check): the VERIFIED
/// record, or the check's error (2021 for no such OTP, or another tenant's).
pub async fn check_pin(
    cx: &Ctx,
    tenant: &Tenant,
    (otp_id, shard): (&str, u8),
    pin: String,
    checker: Checker,
) -> AppResult<smsotp_core::OtpRecord> {
    let op = check_op(tenant, otp_id, pin, checker);
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(record) => Ok(record),
        other => Err(other.into_error()),
    }
}

/// [`check_pin`] through a Twilio Verify service (`checker.service` set), in `shard`: the
/// record after the check and the check's refusal, if any (a wrong PIN is no error there:
/// the answer shows the verification). `otp_id` is empty when `checker.number` names it.
pub async fn check_pin_shown(
    cx: &Ctx,
    tenant: &Tenant,
    (otp_id, shard): (&str, u8),
    pin: String,
    checker: Checker,
) -> AppResult<(smsotp_core::OtpRecord, Option<smsotp_core::ApiError>)> {
    let op = check_op(tenant, otp_id, pin, checker);
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Checked { record, error } => Ok((record, error.map(|e| e.into_api()))),
        other => Err(other.into_error()),
    }
}
