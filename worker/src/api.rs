//! The OTP endpoints. Each handler: parse the HTTP input, ask the core (rules) or the
//! shard that owns the OTP (state), answer. Errors go back as `AppError` to the one mapping
//! in lib.rs.

use futures_util::StreamExt;
use serde_json::{json, Value};
use smsotp_core::create::{create_otp_with_id, create_test_otp_with_id};
use smsotp_core::{validate_request_text, ErrorCode, FallibleSource};
use smsotp_edge::browser::client_secret::client_secret;
use smsotp_edge::idempotency::{self, StoredAnswer};
use smsotp_edge::limits::NumberLimits;
use smsotp_edge::limits::{end_user_ip, AbuseLimits};
use smsotp_edge::placement;
use worker::{Date, Env, Request};

use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::limiter::{self, Ask, Budget, IdempotencyAsk, SendAsk, Window};
use crate::log;
use crate::providers::Sms;
use crate::shard::{self, OutgoingSms, ShardOp};
use crate::tenant::Tenant;
use crate::usage::Usage;

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// A successful answer: HTTP status and JSON body, and the OTP it concerns (for the log).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub otp_id: Option<String>,
    /// Creates and resends: seconds before another SMS for the OTP may be asked for (the
    /// resend's body says it; the browser API's answers too).
    pub resend_after: Option<u32>,
}

/// An oversized body: 413, naming the route's limit.
fn too_large(cap: usize) -> AppError {
    AppError::message(
        ErrorCode::PayloadTooLarge,
        format!("The request body is larger than {} KiB", cap / 1024),
    )
}

/// The body of a server API request as UTF-8 text: at most [`MAX_BODY`] bytes
/// ([`body_text_within`]).
pub async fn body_text(req: &mut Request) -> AppResult<String> {
    body_text_within(req, MAX_BODY).await
}

/// The body as UTF-8 text, at most `cap` bytes, else 413. A `Content-Length` over `cap` is
/// refused before anything is read; a body without one (chunked) is read as a stream, chunk
/// by chunk, and the stream is cancelled as soon as it has gone past `cap` — so an
/// oversized upload never occupies more than `cap` plus one chunk of the isolate's memory,
/// and is answered while the client may still be sending it.
pub async fn body_text_within(req: &mut Request, cap: usize) -> AppResult<String> {
    if let Ok(Some(len)) = req.headers().get("Content-Length") {
        if len.trim().parse::<u64>().is_ok_and(|n| n > cap as u64) {
            return Err(too_large(cap));
        }
    }
    // No body at all (a resend, a bodiless POST): empty text.
    if req.inner().body().is_none() {
        return Ok(String::new());
    }
    let unreadable = |_| AppError::api(ErrorCode::BadRequest);
    let mut stream = req.stream().map_err(unreadable)?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if bytes.len() + chunk.len() > cap {
            // Dropping the stream cancels it: nothing more is read.
            drop(stream);
            return Err(too_large(cap));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::message(ErrorCode::BadRequest, "The request body is not UTF-8"))
}

/// Anything but an id this service issues cannot exist (and reaches no Durable Object);
/// an id names the shard that owns it.
pub fn checked_id(otp_id: &str) -> AppResult<(&str, u8)> {
    match placement::of_otp_id(otp_id) {
        Some(shard) if smsotp_core::request::is_otp_id(otp_id) => Ok((otp_id, shard)),
        _ => Err(AppError::api(ErrorCode::OtpNotFound)),
    }
}

/// A `POST /otp` checked and ready for the limiter: everything that needs no state.
pub struct Prepared {
    request: smsotp_core::OtpRequest,
    /// The tenant's fixed PIN when the number is one of its test numbers (no SMS, no cap).
    test_pin: Option<String>,
    idempotency: Option<IdempotencyAsk>,
    /// The end-user IP's counting subject (`X-End-User-IP`).
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
}

/// A header's value, `None` when absent.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads and checks a create: its body (the tenant's defaults fill what it leaves out),
/// its `Idempotency-Key` and `X-End-User-IP`, and whether the tenant may send to the
/// number (country, number type).
async fn prepare(req: &mut Request, tenant: &Tenant) -> AppResult<Prepared> {
    let text = body_text(req).await?;
    let request = validate_request_text(&text, &tenant.policy.config).map_err(AppError::Invalid)?;
    let idempotency = match header(req, "Idempotency-Key") {
        Some(key) => Some(IdempotencyAsk {
            key: idempotency::check_key(&key)?.to_owned(),
            fingerprint: idempotency::fingerprint(&text),
        }),
        None => None,
    };
    let ip = match header(req, "X-End-User-IP") {
        Some(ip) => Some(end_user_ip(&ip)?),
        None => None,
    };
    prepared(request, tenant, idempotency, ip)
}

/// A validated request, its test PIN if the number is one of the tenant's test numbers,
/// and whether the tenant may send to the number (country, number type).
pub fn prepared(
    request: smsotp_core::OtpRequest,
    tenant: &Tenant,
    idempotency: Option<IdempotencyAsk>,
    ip: Option<String>,
) -> AppResult<Prepared> {
    let test_pin = tenant
        .policy
        .test_pin(&request.phone_number)
        .map(str::to_owned);
    if test_pin.is_none() {
        tenant.policy.check_destination(&request.phone_number)?;
    }
    Ok(Prepared {
        request,
        test_pin,
        idempotency,
        ip,
        budget: Budget::Server,
        client_secret: None,
        client: None,
    })
}

/// `POST /otp`: checks, then one call to the tenant's limiter (the minute, the
/// idempotency key, the day's SMS cap, the end-user IP's hour), then the number's shard
/// (its limits, atomically with storing the OTP), then the SMS. A step that refuses sends
/// nothing; an SMS counted by the limiter and then not sent is given back.
pub async fn create(
    req: &mut Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<Answer> {
    let prepared = match prepare(req, tenant).await {
        Ok(p) => p,
        Err(e) => {
            return Err(refused(env, settings, tenant, Budget::Server, usage, window, e).await)
        }
    };
    create_prepared(env, settings, tenant, usage, window, prepared).await
}

/// A create from its checked request on (the server API's and the browser API's).
pub async fn create_prepared(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    usage: &Usage,
    window: &mut Option<Window>,
    prepared: Prepared,
) -> AppResult<Answer> {
    let limit = minute_limit(settings, prepared.budget);
    let limits = &tenant.policy.limits;
    let send = prepared.test_pin.is_none().then(|| SendAsk {
        limits: *limits,
        ip: prepared.ip.clone(),
        browser: prepared.budget == Budget::Browser,
    });
    let counts_sends = send.as_ref().is_some_and(counts);
    let send_counted = send.clone();
    if limit > 0 || prepared.idempotency.is_some() || counts_sends {
        let ask = Ask::Create {
            limit,
            budget: prepared.budget,
            idempotency: prepared.idempotency.as_ref().map(|i| IdempotencyAsk {
                key: i.key.clone(),
                fingerprint: i.fingerprint.clone(),
            }),
            send,
        };
        let reply = limiter::admit(env, &tenant.id, &ask, usage, window).await?;
        if let Some(answer) = reply.replay {
            let mut body: Value = serde_json::from_str(&answer.body)?;
            // The stored answer has no client secret (nothing stores one): computed again.
            if let Some(id) = body["otpId"].as_str().map(str::to_owned) {
                body["clientSecret"] = json!(client_secret(&settings.pin_hasher, &id));
            }
            return Ok(Answer {
                status: answer.status,
                body,
                otp_id: None,
                resend_after: None,
            });
        }
    }
    let result = create_and_send(env, settings, tenant, &prepared, usage).await;
    // Settle with the limiter: an SMS counted but not sent is given back; a key's answer
    // is kept for replays (successes only: a retry after an error runs again).
    if result.is_err() && counts_sends {
        if let Some(sent) = &send_counted {
            limiter::refund(env, &tenant.id, sent, usage).await?;
        }
    }
    if let Some(i) = &prepared.idempotency {
        let answer = match &result {
            Ok(a) => {
                let mut body = a.body.clone();
                if let Some(o) = body.as_object_mut() {
                    o.remove("clientSecret");
                }
                Some(StoredAnswer {
                    status: a.status,
                    body: body.to_string(),
                })
            }
            Err(_) => None,
        };
        let finish = Ask::Finish {
            key: i.key.clone(),
            answer,
        };
        limiter::ask(env, &tenant.id, &finish, usage).await?;
    }
    result
}

/// The OTP stored in its number's shard (if the number's limits allow) and its SMS sent
/// (none for a test number).
async fn create_and_send(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    prepared: &Prepared,
    usage: &Usage,
) -> AppResult<Answer> {
    let request = &prepared.request;
    let now = Date::now().as_millis();
    // crypto.getRandomValues; a failure refuses the create (no PIN from failed bytes).
    let fill = |bytes: &mut [u8]| getrandom::fill(bytes).is_ok();
    // Every OTP of a number lives in the number's shard.
    let shard = placement::of_number(&settings.pin_hasher, &tenant.id, &request.phone_number);
    // The id also names the number's row in the shard (no index to look it up by).
    let (prefix_key, number_key) =
        placement::number_keys(&settings.pin_hasher, &tenant.id, &request.phone_number);
    let new = FallibleSource::run(fill, |rng| {
        let otp_id = placement::new_otp_id_for(rng, shard, prefix_key, number_key);
        match &prepared.test_pin {
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
                settings.price_per_part,
            ),
        }
    })
    .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    let otp_id = new.record.otp_id.clone();
    // A test number is not counted by any limit.
    let (limits, abuse) = match prepared.test_pin {
        Some(_) => (
            NumberLimits::unlimited(),
            AbuseLimits {
                prefix_unverified_per_hour: 0,
                ..tenant.policy.limits
            },
        ),
        None => (tenant.policy.number_limits.clone(), tenant.policy.limits),
    };
    let reply = shard::call(
        env,
        shard,
        &ShardOp::Create {
            record: Box::new(new.record.clone()),
            request: Box::new(request.clone()),
            limits: Box::new(limits),
            abuse,
            test: prepared.test_pin.is_some(),
            from_browser: prepared.budget == Budget::Browser,
            client_secret: prepared.client_secret.clone(),
            client: prepared.client.clone(),
        },
        usage,
    )
    .await?;
    // The number's limits refused an SMS now: nothing is stored, nothing is sent.
    if let Some(e) = reply.error {
        return Err(AppError::Api(e.into_api()));
    }
    if prepared.test_pin.is_none() {
        let sms = OutgoingSms {
            to: request.phone_number.clone(),
            from: request.from.clone(),
            text: new.message.text,
            parts: new.message.sms.parts,
            unicode: new.message.sms.encoding == smsotp_core::Encoding::Ucs2,
        };
        deliver(env, settings, shard, &otp_id, &tenant.id, &sms, usage).await?;
    }
    let mut body = json!(new.record.to_object(now));
    // Extension: who made the OTP hands this to the page that will check it (the browser
    // API's resend and check need it); SMS.cx clients ignore it.
    body["clientSecret"] = json!(client_secret(&settings.pin_hasher, &otp_id));
    Ok(Answer {
        status: 201,
        body,
        otp_id: Some(otp_id),
        resend_after: reply.resend_after,
    })
}

/// The per-minute limit of a budget.
pub fn minute_limit(settings: &Settings, budget: Budget) -> u32 {
    match budget {
        Budget::Server => settings.rate_limit_per_minute,
        Budget::Browser => settings.browser_rate_limit_per_minute,
    }
}

/// Hands an OTP's SMS to the provider. A failure leaves the OTP FAILED (the PIN never
/// reached anyone, so it must not stay usable) and answers 502.
async fn deliver(
    env: &Env,
    settings: &Settings,
    shard: u8,
    otp_id: &str,
    tenant: &str,
    sms: &OutgoingSms,
    usage: &Usage,
) -> AppResult<()> {
    usage.subrequest();
    let provider = &settings.provider;
    let message = Sms {
        to: &sms.to,
        from: &sms.from,
        text: &sms.text,
        otp_id,
        unicode: sms.unicode,
        timeout: settings.sms_timeout,
    };
    match provider.send(&message).await {
        Ok(message_id) => {
            if settings.keeps_dev_inbox() {
                crate::dev::record(
                    env,
                    crate::dev::InboxSms {
                        otp_id: otp_id.to_owned(),
                        to: sms.to.clone(),
                        text: sms.text.clone(),
                        sent_at: String::from(worker::js_sys::Date::new_0().to_iso_string()),
                    },
                )
                .await;
            }
            log::event(
                "info",
                "sms.sent",
                json!({
                    "otpId": otp_id, "tenant": tenant, "provider": provider.name(),
                    "providerMessageId": message_id, "to": smsotp_core::phone::mask_phone(&sms.to),
                    "parts": sms.parts,
                }),
            );
            Ok(())
        }
        Err(failure) => {
            log::event(
                "error",
                "sms.failed",
                json!({
                    "otpId": otp_id, "tenant": tenant, "provider": provider.name(),
                    "kind": failure.kind(), "reason": failure.to_string(),
                }),
            );
            let op = ShardOp::FailDelivery {
                otp_id: otp_id.to_owned(),
            };
            shard::call(env, shard, &op, usage).await?;
            Err(AppError::message(
                ErrorCode::ProviderError,
                format!("The SMS provider could not send the message; the OTP {otp_id} is FAILED"),
            ))
        }
    }
}

/// `POST /otp/{id}/resend` (extension): a new PIN by SMS for a pending OTP; the old PIN
/// stops working, the attempts made carry over. 200 with the OTP object and `resendAfter`
/// (seconds until another resend may be asked for).
pub async fn resend(
    req: &Request,
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    otp_id: &str,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<Answer> {
    let ip = match header(req, "X-End-User-IP").map(|ip| end_user_ip(&ip)) {
        Some(Err(e)) => {
            let budget = Budget::Server;
            return Err(refused(env, settings, tenant, budget, usage, window, e.into()).await);
        }
        Some(Ok(ip)) => Some(ip),
        None => None,
    };
    let asked = Resend {
        otp_id,
        ip,
        budget: Budget::Server,
        client: None,
    };
    resend_for(env, settings, tenant, asked, usage, window).await
}

/// A resend as asked: the OTP, the end-user IP (the server API's `X-End-User-IP`, the
/// browser's connecting IP), the budget it spends.
pub struct Resend<'a> {
    pub otp_id: &'a str,
    pub ip: Option<String>,
    pub budget: Budget,
    /// The browser client asking (`None`: the server API).
    pub client: Option<String>,
}

/// A resend ([`Resend`]).
pub async fn resend_for(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    asked: Resend<'_>,
    usage: &Usage,
    window: &mut Option<Window>,
) -> AppResult<Answer> {
    let Resend {
        otp_id,
        ip,
        budget,
        client,
    } = asked;
    let limit = minute_limit(settings, budget);
    let (otp_id, shard) = match checked_id(otp_id) {
        Ok(c) => c,
        Err(e) => return Err(refused(env, settings, tenant, budget, usage, window, e).await),
    };
    // A resend is an SMS like a create's: the tenant's limiter counts it against the day's
    // cap and the end-user IP's hour (with the request's minute, in one call) before the
    // shard makes the new PIN; it is given back if no SMS leaves. A test number's OTP (its
    // id carries the number's keys, so no lookup is needed) sends nothing and counts for
    // nothing.
    let send = SendAsk {
        limits: tenant.policy.limits,
        ip: ip.clone(),
        browser: budget == Budget::Browser,
    };
    let counts_sends = counts(&send) && !is_test_otp(settings, tenant, otp_id);
    if limit > 0 || counts_sends {
        let ask = Ask::Create {
            limit,
            budget,
            idempotency: None,
            send: Some(send.clone()),
        };
        limiter::admit(env, &tenant.id, &ask, usage, window).await?;
    }
    let result = resend_in_shard(env, settings, tenant, (otp_id, shard), client, usage).await;
    let sent = matches!(&result, Ok((_, true)));
    if counts_sends && !sent {
        limiter::refund(env, &tenant.id, &send, usage).await?;
    }
    result.map(|(answer, _)| answer)
}

/// The resend in the OTP's shard and its SMS: the answer, and whether an SMS left (not
/// for a test number).
async fn resend_in_shard(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    (otp_id, shard): (&str, u8),
    client: Option<String>,
    usage: &Usage,
) -> AppResult<(Answer, bool)> {
    let op = ShardOp::Resend {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        limits: Box::new(tenant.policy.number_limits.clone()),
        test_pins: tenant.policy.test_numbers.clone(),
        client,
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    if let Some(e) = reply.error {
        return Err(AppError::Api(e.into_api()));
    }
    let Some(record) = reply.record else {
        return Err(AppError::api(ErrorCode::OtpNotFound));
    };
    // No SMS: a test number (its fixed PIN stays).
    if let Some(sms) = &reply.sms {
        deliver(env, settings, shard, otp_id, &tenant.id, sms, usage).await?;
    }
    let now = Date::now().as_millis();
    let mut body = json!(record.to_object(now));
    body["resendAfter"] = json!(reply.resend_after);
    let answer = Answer {
        status: 200,
        body,
        otp_id: Some(otp_id.to_owned()),
        resend_after: reply.resend_after,
    };
    Ok((answer, reply.sms.is_some()))
}

/// Whether an OTP id is one of the tenant's test numbers': its id carries the keyed
/// digests of its number, compared with those of each test number (a false match takes
/// both 32-bit keys colliding).
fn is_test_otp(settings: &Settings, tenant: &Tenant, otp_id: &str) -> bool {
    let Some((_, pk, nk)) = placement::keys_of_otp_id(otp_id) else {
        return false;
    };
    tenant
        .policy
        .test_numbers
        .keys()
        .any(|number| placement::number_keys(&settings.pin_hasher, &tenant.id, number) == (pk, nk))
}

/// Whether an SMS ask has anything for the limiter to count (a day's cap, the browser's,
/// or an IP with a limit).
fn counts(send: &SendAsk) -> bool {
    let l = &send.limits;
    l.daily_send_cap > 0
        || (send.browser && l.browser_daily_send_cap > 0)
        || (send.ip.is_some() && (l.ip_sends_per_hour > 0 || l.ipv6_net48_sends_per_hour > 0))
}

/// A request refused before its limiter call, still counted as one request of the
/// tenant's minute of `budget`: the refusal, or the limiter's 429 (or failure) when that
/// comes first.
pub async fn refused(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    budget: Budget,
    usage: &Usage,
    window: &mut Option<Window>,
    e: AppError,
) -> AppError {
    let limit = minute_limit(settings, budget);
    match limiter::take_request(env, &tenant.id, limit, budget, usage, window).await {
        Ok(()) => e,
        Err(limited) => limited,
    }
}

/// A shard's reply as the client's answer: no record is 2021 (missing, or another
/// tenant's), an error is that error, else 200 with `ok_body`.
fn answer(reply: shard::ShardReply, otp_id: &str, ok_body: Value) -> AppResult<Answer> {
    if reply.record.is_none() {
        return Err(AppError::api(ErrorCode::OtpNotFound));
    }
    match reply.error {
        Some(e) => Err(AppError::Api(e.into_api())),
        None => Ok(Answer {
            status: 200,
            body: ok_body,
            otp_id: Some(otp_id.to_owned()),
            resend_after: None,
        }),
    }
}

/// `POST /otp/{id}`.
pub async fn verify(
    req: &mut Request,
    env: &Env,
    tenant: &Tenant,
    otp_id: &str,
    usage: &Usage,
) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let text = body_text(req).await?;
    let pin = smsotp_core::request::verify_pin(&text)?;
    check_pin(env, tenant, otp_id, shard, pin, None, usage).await?;
    Ok(Answer {
        status: 200,
        body: json!({"status": "VERIFIED"}),
        otp_id: Some(otp_id.to_owned()),
        resend_after: None,
    })
}

/// Checks a PIN in the shard that owns the OTP (the server API's verify and the browser
/// API's, which names its `client`: wrong PINs lock that client before the number): the
/// VERIFIED record, or the check's error (2021 for no such OTP, or another tenant's).
pub async fn check_pin(
    env: &Env,
    tenant: &Tenant,
    otp_id: &str,
    shard: u8,
    pin: String,
    client: Option<String>,
    usage: &Usage,
) -> AppResult<smsotp_core::OtpRecord> {
    let op = ShardOp::Check {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
        pin,
        limits: Box::new(tenant.policy.number_limits.clone()),
        client,
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    let Some(record) = reply.record else {
        return Err(AppError::api(ErrorCode::OtpNotFound));
    };
    match reply.error {
        Some(e) => Err(AppError::Api(e.into_api())),
        None => Ok(record),
    }
}

/// `GET /otp/{id}`: from the shard that owns it (the only store of an OTP).
pub async fn status(env: &Env, tenant: &Tenant, otp_id: &str, usage: &Usage) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let now = Date::now().as_millis();
    let op = ShardOp::Get {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    let record = shard::call(env, shard, &op, usage)
        .await?
        .record
        .ok_or(AppError::api(ErrorCode::OtpNotFound))?;
    Ok(Answer {
        status: 200,
        body: json!(record.to_object(now)),
        otp_id: Some(otp_id.to_owned()),
        resend_after: None,
    })
}

/// `DELETE /v1/numbers/{phoneNumber}/lock` (extension, secret key): clears the number's
/// locks — the lock after `failuresBeforeLock` wrong PINs, its browser clients' locks, and
/// the hard lock after 100 wrong PINs in a row, which nothing else ends. The number is in
/// E.164, `+` written as is or as `%2B`. 200 with the number; the same for a number that
/// was not locked (the tenant's view of it is "unlocked" either way).
pub async fn unlock(
    env: &Env,
    settings: &Settings,
    tenant: &Tenant,
    number: &str,
    usage: &Usage,
) -> AppResult<Answer> {
    let decoded = number.replace("%2B", "+").replace("%2b", "+");
    let e164 = match smsotp_core::phone::parse(&decoded, None) {
        Ok(p) if decoded.starts_with('+') => p.e164,
        _ => return Err(AppError::Api(
            smsotp_core::ApiError::with_message(
                ErrorCode::PhoneNumberInvalid,
                "The phone number in the path is not a valid number in E.164 (+ and country code)",
            )
            .for_field("phoneNumber"),
        )),
    };
    let hasher = &settings.pin_hasher;
    let shard = placement::of_number(hasher, &tenant.id, &e164);
    let (pk, nk) = placement::number_keys(hasher, &tenant.id, &e164);
    let op = ShardOp::Unlock {
        tenant: tenant.id.clone(),
        phone: e164.clone(),
        pk,
        nk,
    };
    shard::call(env, shard, &op, usage).await?;
    log::event(
        "info",
        "number.unlocked",
        json!({ "tenant": tenant.id, "to": smsotp_core::phone::mask_phone(&e164) }),
    );
    Ok(Answer {
        status: 200,
        body: json!({ "phoneNumber": e164, "locked": false }),
        otp_id: None,
        resend_after: None,
    })
}

/// `DELETE /otp/{id}`.
pub async fn cancel(env: &Env, tenant: &Tenant, otp_id: &str, usage: &Usage) -> AppResult<Answer> {
    let (otp_id, shard) = checked_id(otp_id)?;
    let op = ShardOp::Cancel {
        otp_id: otp_id.to_owned(),
        tenant: tenant.id.clone(),
    };
    let reply = shard::call(env, shard, &op, usage).await?;
    answer(reply, otp_id, json!({"info": {"id": otp_id}}))
}
